// What each role may do in the UI. The server checks every request anyway (403); this only
// decides which controls are shown, so nobody is offered a button that cannot work.

export const ROLES = ["operator", "planner", "crew_manager", "admin"];

const CAN = {
  ackAlarms: ["operator", "admin"], // acknowledge, shelve, comment
  editCrew: ["crew_manager", "admin"],
  runWhatIf: ["planner", "admin"],
  makeReport: ["operator", "crew_manager", "admin"], // planners read them
  viewAudit: ["admin"],
  handOver: ["operator", "admin"], // open, sign, acknowledge and accept handovers
  exportLog: ["admin"], // the shift log as CSV
};

/** May ``role`` do ``what`` (a key of CAN)? */
export function can(role, what) {
  return (CAN[what] ?? []).includes(role);
}

/** The pages, in menu order, with the roles that see them. */
export const PAGES = [
  { id: "board", href: "/board", roles: ROLES },
  { id: "crew", href: "/crew", roles: ROLES },
  { id: "whatif", href: "/whatif", roles: ["planner", "admin"] },
  { id: "history", href: "/history", roles: ROLES },
  { id: "marey", href: "/marey", roles: ROLES },
  { id: "reports", href: "/reports", roles: ROLES },
  { id: "shiftlog", href: "/shiftlog", roles: ROLES },
  { id: "incidents", href: "/incidents", roles: ROLES },
  { id: "handover", href: "/handover", roles: ROLES },
  { id: "alarmperf", href: "/alarmperf", roles: ROLES },
  { id: "audit", href: "/audit", roles: ["admin"] },
];
