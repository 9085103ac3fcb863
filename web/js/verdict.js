// The verdicts of the what-if page in words: the server sends codes and parameters
// (simulation/verdict.py), this module says them in the UI's language. Also the names a
// planner reads instead of ids: service levels, periods, scenarios, binding resources.
// Calendar dates are dd/mm, with the year (dd/mm/yyyy) where it matters.

import { h } from "./dom.js";
import { fmtNum } from "./fmt.js";
import { has, t } from "./i18n.js";

export const RESOURCES = [
  "drivers_early",
  "drivers_late",
  "trains",
  "technicians",
  "control_centre",
  "station_staff",
];

/** "2022-03-14" → "14/03" (or "14/03/2022" with ``year``). */
export function fmtIsoDate(iso, year = false) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso ?? ""));
  if (!m) return "—";
  return year ? `${m[3]}/${m[2]}/${m[1]}` : `${m[3]}/${m[2]}`;
}

/** A date formatter for dates inside ``start``…``end``: the year only when they span two. */
export function datesOf(start, end) {
  const year = String(start).slice(0, 4) !== String(end).slice(0, 4);
  return (iso) => fmtIsoDate(iso, year);
}

const pct = (share) => fmtNum(100 * share);
// trips: whole when whole, else one decimal (a median of 0.5 trips is not 1, nor 0): the same
// figure in a run's verdict, its comparison and the command line's
const trips = (v) => fmtNum(v, v !== null && v !== undefined && Math.abs(v - Math.round(v)) >= 0.05 ? 1 : 0);

/** A service level by name: "Giãn cách 6 phút giờ cao điểm". */
export function levelName(s) {
  if (s.level === "peak_headway") {
    return s.headway_s ? t("verdict.lv_peak_headway", { min: fmtNum(s.headway_s / 60) }) : t("verdict.lv_peak_any");
  }
  return t(`verdict.lv_${s.level}`);
}

/** A period by name ("Cao điểm sáng"), with its hours when the result records them. */
export function periodName(name, periods) {
  const p = periods?.[name];
  const hours = p ? `${p.start}–${p.end}` : "";
  if (has(`period.${name}`)) return hours ? `${t(`period.${name}`)} (${hours})` : t(`period.${name}`);
  return hours ? t("period.other", { hours }) : name;
}

/** A scenario's title: a preset's name in the UI's language, a custom one's own name. */
export function scenarioTitle(name, { edited = false, custom = false } = {}) {
  if (!custom && has(`scn.${name}`)) return edited ? t("scn.edited", { name: t(`scn.${name}`) }) : t(`scn.${name}`);
  return t("scn.custom", { name });
}

/** A preset's description in the UI's language ("" when it has none). */
export function scenarioDescription(name, fallback = "") {
  return has(`scn_desc.${name}`) ? t(`scn_desc.${name}`) : fallback;
}

function levelText(s, date) {
  const level = levelName(s);
  switch (s.code) {
    case "level_held_throughout":
      return t("verdict.level_held_throughout", { level, date: date(s.until) });
    case "level_held_until":
      return t("verdict.level_held_until", {
        level,
        date: date(s.date),
        lost: date(s.lost_date),
        share: pct(s.share_lost),
      });
    case "level_lost_from_start":
      return t("verdict.level_lost_from_start", { level, date: date(s.date), share: pct(s.share_lost) });
    case "level_lost_in_some_runs": {
      const base = t("verdict.level_lost_in_some_runs", { level, share: pct(s.share_lost) });
      return s.lost_date_p10 ? `${base} ${t("verdict.lost_p10", { date: date(s.lost_date_p10) })}` : base;
    }
    default:
      return null;
  }
}

function tripsText(s) {
  if (!s.p90) return t("verdict.trips_none", { planned: trips(s.planned) });
  let text = t("verdict.trips_lost", {
    p50: trips(s.p50),
    planned: trips(s.planned),
    p10: trips(s.p10),
    p90: trips(s.p90),
  });
  if (s.crew_mean === null) return `${text} ${t("verdict.cause_not_recorded")}`;
  const causes = { mean: trips(s.mean), crew: trips(s.crew_mean), fleet: trips(s.fleet_mean) };
  // "no trip stopped" is what the operator reported: no cancellation for want of crew
  return `${text} ${t(s.crew_mean === 0 ? "verdict.trips_no_crew_cause" : "verdict.trips_by_cause", causes)}`;
}

function statementText(s, date) {
  switch (s.code) {
    case "trips_lost":
      return tripsText(s);
    case "overtime":
      return t("verdict.overtime", { h: fmtNum(s.hours_p50), pm: fmtNum(s.person_month_max_p50) });
    case "binding":
      return t("verdict.binding", {
        resource: t(`resource.${s.resource}`),
        share: pct(s.share_of_days),
        since: s.first_date_p50 ? t("verdict.binding_since", { date: date(s.first_date_p50) }) : "",
      }).trim();
    case "binding_none":
    case "binding_not_recorded":
      return t(`verdict.${s.code}`);
    default:
      return levelText(s, date);
  }
}

/** The verdict of one run as a list (``data-code`` on each item, for tests and styling). */
export function runVerdict(verdict) {
  const date = datesOf(verdict.start_date, verdict.end_date);
  const items = verdict.statements
    .map((s) => [s, statementText(s, date)])
    .filter(([, text]) => text)
    .map(([s, text]) => h("li", { dataset: { code: s.code, level: s.level ?? "" } }, text));
  return h("ul", { class: "verdict" }, items);
}

// --- two runs ------------------------------------------------------------------------------
const other = (side) => (side === "a" ? "B" : "A");

function compareText(s, cmp) {
  const level = s.level ? levelName(s) : "";
  const runDate = (side) => datesOf(cmp[side].start_date, cmp[side].verdict.end_date);
  switch (s.code) {
    case "level_same":
      return t("verdict.c_level_same", { level });
    case "level_share_differs":
      return t("verdict.c_level_share_differs", { level, a: pct(s.share_lost_a), b: pct(s.share_lost_b) });
    case "level_held_only_by": {
      const worse = s.better === "a" ? "b" : "a";
      return t("verdict.c_level_held_only_by", {
        level,
        better: s.better.toUpperCase(),
        worse: worse.toUpperCase(),
        date: runDate(worse)(s.lost_date_other),
      });
    }
    case "level_held_longer":
      return t("verdict.c_level_held_longer", {
        level,
        better: s.better.toUpperCase(),
        worse: other(s.better),
        days: fmtNum(s.days),
      });
    case "trips_lost_diff":
    case "overtime_diff": {
      const kind = s.code === "trips_lost_diff" ? "trips" : "overtime";
      const stat = s.statistic === "p50" ? "p50" : t("verdict.stat_mean", { days: fmtNum(s.days) });
      const num = kind === "overtime" ? (v) => fmtNum(v, 1) : trips;
      const params = { a: num(s.a), b: num(s.b), stat };
      if (!s.better) return t(`verdict.c_${kind}_same`, params);
      return t(`verdict.c_${kind}_less`, {
        ...params,
        better: s.better.toUpperCase(),
        n: num(Math.abs(s.diff)),
      });
    }
    case "binding_compare": {
      const name = (res, recorded) =>
        res ? t(`resource.${res}`) : recorded ? t("verdict.binding_nothing") : t("verdict.not_recorded");
      return t("verdict.c_binding", { a: name(s.resource_a, s.recorded_a), b: name(s.resource_b, s.recorded_b) });
    }
    default:
      return null;
  }
}

function warningText(w) {
  if (w.code === "length_differs") {
    return t("verdict.w_length_differs", { a: fmtNum(w.days_a), b: fmtNum(w.days_b), n: fmtNum(w.compared_days) });
  }
  if (w.code === "start_differs") {
    return t("verdict.w_start_differs", { a: fmtIsoDate(w.start_a, true), b: fmtIsoDate(w.start_b, true) });
  }
  return null;
}

/** The warnings (when the runs differ in length or start) and the verdict of a comparison. */
export function compareVerdict(cmp) {
  const v = cmp.verdict;
  const warnings = v.warnings
    .map((w) => [w, warningText(w)])
    .filter(([, text]) => text)
    .map(([w, text]) => h("p", { class: "notice warn", role: "note", dataset: { code: w.code } }, text));
  const items = v.statements
    .map((s) => [s, compareText(s, cmp)])
    .filter(([, text]) => text)
    .map(([s, text]) =>
      h("li", { dataset: { code: s.code, level: s.level ?? "", better: s.better ?? "" } }, text),
    );
  return [warnings, h("ul", { class: "verdict", id: "compare-verdict" }, items)];
}
