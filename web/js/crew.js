// Crew screens: roster with filters, status/test/case entry, 3-on-site cohorts with beds, and
// the 14-day coverage calendar with shortfalls and the suggested degraded timetable.
// Only crew managers and admins get entry controls; everyone else reads.

import { ApiError, api, describeError, request } from "./api.js";
import { $, $$, fill, h } from "./dom.js";
import { fmtDateTime, fmtDay, fmtDuration, fmtNum, fromLocalInput, toLocalInput } from "./fmt.js";
import { checkDateTimes, clearErrors, dateTimeAttrs, showErrors, showMessage, values, watchDateTimes } from "./forms.js";
import { t } from "./i18n.js";
import { can } from "./roles.js";
import { roleTable, rolesAt } from "./crewtile.js";
import { initPage } from "./shell.js";

const STATES = [
  "available",
  "on_shift",
  "rest",
  "leave",
  "f1_quarantine",
  "f0_isolation",
  "sick_other",
];
const NEEDS_UNTIL = new Set(["f1_quarantine", "f0_isolation", "sick_other"]);
// The status form offers every state but F0: an F0 is declared in the case form, which shows
// who will be marked F1 for the user to confirm and marks them (a status entry would record
// the case with its contacts left on duty). Nor is any state preselected: the user chooses.
const ENTRY_STATES = STATES.filter((s) => s !== "f0_isolation");
// A case is a fact: its time may not be later than now, beyond the few minutes a clock may
// run ahead (the server's CLOCK_SKEW, api/routes/crew.py, which refuses it too).
const CLOCK_SKEW_MS = 5 * 60_000;

const me = await initPage("crew");
if (me) main(me); // not awaited: the page counts as loaded while its data arrives

/** A client id for a write, so a retried POST is recorded once (works without https too). */
function newId(prefix) {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}-${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

async function main(me) {
  const editor = can(me.role, "editCrew");
  watchDateTimes();
  if (editor) $("#entry-forms").hidden = false;
  else for (const el of $$(".editor-only")) el.remove(); // no control that could only fail

  /** @type {import("./types.js").StaffOut[]} */
  let staff = [];
  /** @type {import("./types.js").StatusNow | {staff: [], revision: null}} */
  let status = { staff: [], revision: null };
  let cohorts = [];
  /** @type {import("./types.js").Coverage | null} */
  let coverage = null;
  let coverageError = null;
  let coverageRevision;

  fillStateOptions();

  async function loadAll() {
    try {
      [staff, status, cohorts] = await Promise.all([
        api("/api/crew/staff"),
        api("/api/crew/status"),
        api("/api/crew/cohorts"),
      ]);
    } catch (err) {
      fill($("#roster tbody"), h("tr", {}, h("td", { colspan: 7, class: "error" }, describeError(err))));
      return;
    }
    $("#crew-revision").textContent = t("crew.revision", { rev: status.revision });
    fill($("#staff-ids"), staff.map((s) => h("option", { value: s.id }, s.name)));
    renderRoster();
    renderCohorts();
    if (status.revision !== coverageRevision) {
      coverageRevision = status.revision;
      loadCoverage();
    }
  }

  // Coverage is a solver run on the server (seconds when staff are short): one request at a
  // time, and one more afterwards if the record changed meanwhile, never a pile of them.
  let coverageBusy = false;
  let coverageAgain = false;
  async function loadCoverage() {
    if (coverageBusy) {
      coverageAgain = true;
      return;
    }
    coverageBusy = true;
    if (!coverage) fill($("#calendar"), h("p", { class: "muted" }, t("crew.calculating")));
    $("#coverage-note").textContent = t("crew.calculating");
    try {
      coverage = await api("/api/crew/coverage?days=14");
      coverageError = null;
    } catch (err) {
      coverage = null;
      coverageError = describeError(err);
    } finally {
      coverageBusy = false;
    }
    renderCoverage();
    if (coverageAgain) {
      coverageAgain = false;
      loadCoverage();
    }
  }

  function fillStateOptions() {
    const keep = $("#f-state").value;
    fill(
      $("#f-state"),
      h("option", { value: "" }, t("crew.all")),
      STATES.map((s) => h("option", { value: s }, t(`state.${s}`))),
    );
    $("#f-state").value = keep;
    const sel = $("#s-state");
    if (sel) {
      const k = sel.value;
      fill(
        sel,
        h("option", { value: "" }, t("crew.choose_state")),
        ENTRY_STATES.map((s) => h("option", { value: s }, t(`state.${s}`))),
      );
      sel.value = k;
    }
  }

  // --- roster --------------------------------------------------------------------------------
  function renderRoster() {
    const f = values($("#roster-filters"));
    const byId = new Map(status.staff.map((p) => [p.staff_id, p]));
    const now = new Date();
    const cohortOf = new Map();
    for (const c of cohorts) {
      const active = new Date(c.start) <= now && now < new Date(c.planned_end);
      for (const m of c.members) if (active || !cohortOf.has(m)) cohortOf.set(m, c);
    }
    const text = f.text.toLowerCase();
    const rows = staff
      .filter((s) => !f.role || s.role === f.role)
      .filter((s) => !f.substitute || s.substitute)
      .filter((s) => !text || s.id.toLowerCase().includes(text) || s.name.toLowerCase().includes(text))
      .filter((s) => !f.state || byId.get(s.id)?.state === f.state);
    $("#roster-count").textContent = t("crew.count", { n: rows.length, total: staff.length });
    fill(
      $("#roster tbody"),
      rows.map((s) => {
        const st = byId.get(s.id);
        const c = cohortOf.get(s.id);
        const role = t(`staffrole.${s.role}`) + (s.substitute ? ` (${t("crew.substitute")})` : "");
        return h(
          "tr",
          { dataset: { staff: s.id, state: st?.state ?? "" } },
          h("th", { scope: "row" }, s.id),
          h("td", {}, s.name),
          h("td", {}, role),
          h(
            "td",
            {},
            st ? h("span", { class: `state-pill ${st.state}` }, t(`state.${st.state}`)) : "—",
            st?.awaiting_release_test ? h("span", { class: "tag driver-tag" }, t("crew.awaiting_test")) : null,
          ),
          h("td", { class: "num" }, st?.until ? fmtDateTime(st.until) : ""),
          h("td", {}, c ? c.name : ""),
          editor
            ? h(
                "td",
                { class: "actions" },
                h(
                  "button",
                  { type: "button", class: "btn small", onclick: () => prefillStatus(s.id) },
                  t("crew.set_status"),
                ),
                " ",
                h(
                  "button",
                  { type: "button", class: "btn small", onclick: () => prefill("#test-form", s.id, "#t-outcome") },
                  t("crew.add_test"),
                ),
                " ",
                h(
                  "button",
                  {
                    type: "button",
                    class: "btn small danger",
                    dataset: { action: "declare-f0" },
                    onclick: () => prefill("#case-form", s.id, "#case-form button[type=submit]"),
                  },
                  "F0",
                ),
              )
            : null,
        );
      }),
    );
  }

  function prefill(formSel, staffId, focusSel) {
    const form = $(formSel);
    form.elements.namedItem("staff_id").value = staffId;
    for (const el of form.querySelectorAll("input[data-dt]")) {
      if (!el.value && el.name !== "until") el.value = toLocalInput();
    }
    form.scrollIntoView({ block: "center" });
    $(focusSel).focus();
  }

  /** The status form for ``staffId``, its state unchosen: each person's state is picked. */
  function prefillStatus(staffId) {
    $("#s-state").value = "";
    prefill("#status-form", staffId, "#s-state");
  }

  $("#roster-filters").addEventListener("input", renderRoster);
  $("#roster-filters").addEventListener("submit", (ev) => ev.preventDefault());
  $("#reload").addEventListener("click", loadAll);

  // --- entry forms ---------------------------------------------------------------------------
  const knownStaff = (id) => staff.some((s) => s.id === id);

  function checkStaff(v, problems) {
    if (!v.staff_id) problems.push({ field: "staff_id", msg: t("form.required") });
    else if (!knownStaff(v.staff_id)) problems.push({ field: "staff_id", msg: t("crew.err_unknown_staff") });
  }

  if (editor) {
    for (const el of $$("#entry-forms input[data-dt]")) {
      if (el.name !== "until" && el.name !== "at") el.value = toLocalInput();
    }
    let statusEventId = newId("ui-status");
    $("#status-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.target;
      clearErrors(form);
      const v = values(form);
      const problems = [];
      checkStaff(v, problems);
      if (!v.state) problems.push({ field: "state", msg: t("crew.err_choose_state") });
      if (!v.effective) problems.push({ field: "effective", msg: t("form.required") });
      if (NEEDS_UNTIL.has(v.state) && !v.until) problems.push({ field: "until", msg: t("crew.err_until") });
      checkDateTimes(form, problems);
      if (problems.length) return showErrors(form, { fields: problems });
      try {
        await api("/api/crew/status-events", {
          method: "POST",
          body: {
            event_id: statusEventId, // the same id on a retry: recorded once
            staff_id: v.staff_id,
            state: v.state,
            effective: fromLocalInput(v.effective),
            until: v.until ? fromLocalInput(v.until) : null,
            note: v.note,
            source: `web: ${me.user}`,
          },
        });
        statusEventId = newId("ui-status");
        form.elements.namedItem("state").value = ""; // the next entry is chosen afresh
        showMessage(form, t("crew.saved_status", { id: v.staff_id, state: t(`state.${v.state}`) }), true);
        await loadAll();
      } catch (err) {
        showErrors(form, err);
      }
    });

    // an F0 goes through the case form (see ENTRY_STATES): the hint's button takes you there
    $("#s-f0-go").addEventListener("click", () =>
      prefill("#case-form", $("#s-staff").value.trim(), "#case-form button[type=submit]"),
    );

    let testId = newId("ui-test");
    $("#test-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.target;
      clearErrors(form);
      const v = values(form);
      const problems = [];
      checkStaff(v, problems);
      if (!v.taken_at) problems.push({ field: "taken_at", msg: t("form.required") });
      checkDateTimes(form, problems);
      if (problems.length) return showErrors(form, { fields: problems });
      try {
        await api("/api/crew/tests", {
          method: "POST",
          body: {
            test_id: testId,
            staff_id: v.staff_id,
            kind: v.kind,
            outcome: v.outcome,
            taken_at: fromLocalInput(v.taken_at),
          },
        });
        testId = newId("ui-test");
        showMessage(form, t("crew.saved_test", { id: v.staff_id }), true);
        await loadAll();
      } catch (err) {
        showErrors(form, err);
      }
    });

    $("#case-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.target;
      clearErrors(form);
      const v = values(form);
      const problems = [];
      checkStaff(v, problems);
      checkDateTimes(form, problems);
      const at = v.at ? fromLocalInput(v.at) : null;
      if (at && new Date(at).getTime() > Date.now() + CLOCK_SKEW_MS) {
        problems.push({ field: "at", msg: t("crew.err_case_future") });
      }
      if (problems.length) return showErrors(form, { fields: problems });
      const body = { staff_id: v.staff_id, at };
      try {
        // who would be marked F1, and who of them is driving or on shift now: confirm first
        showMessage(form, t("crew.case_checking"), true);
        const q = new URLSearchParams({ staff_id: body.staff_id, ...(body.at ? { at: body.at } : {}) });
        const preview = await api(`/api/crew/cases/preview?${q}`);
        clearErrors(form);
        if (!(await confirmCase(preview))) return;
        const out = await api("/api/crew/cases", { method: "POST", body });
        const contacts = byPerson(out.contacts);
        showMessage(form, t("crew.case_done", { id: v.staff_id, n: contacts.length }), true);
        fill(
          $("#case-result"),
          contacts.length
            ? h("ul", {}, contacts.map((c) => h("li", {}, `${c.staff_id}: ${c.reasons.join("; ")}`)))
            : null,
        );
        await loadAll();
      } catch (err) {
        showErrors(form, err);
      }
    });
  }

  /** Contacts one per person with every reason they are one: the API lists a contact once per
   * group shared with the case, so someone in the case's team and room comes twice, but is
   * one person marked F1 once. */
  function byPerson(contacts) {
    const people = new Map();
    for (const c of contacts) {
      const p = people.get(c.staff_id);
      if (p) p.reasons.push(c.reason);
      else people.set(c.staff_id, { ...c, reasons: [c.reason] });
    }
    return [...people.values()];
  }

  /** The F0 confirmation: the contacts to be marked F1, those on a train or shift first.
   * @param {import("./types.js").CasePreview} p  @returns {Promise<boolean>} */
  function confirmCase(p) {
    const dialog = $("#case-dialog");
    const where = (c) =>
      [
        c.on_train ? t("crew.on_train", { train: c.on_train }) : "",
        c.on_shift ? t("crew.on_shift", { shift: shiftName(c.on_shift) }) : "",
      ]
        .filter(Boolean)
        .join(", ");
    const row = (c) =>
      h(
        "li",
        { class: c.on_train || c.on_shift ? "on-duty" : "", dataset: { staff: c.staff_id } },
        h("strong", {}, `${c.name} (${c.staff_id})`),
        where(c) ? h("span", { class: "duty" }, ` — ${where(c)}`) : null,
        c.reasons.filter(Boolean).map((r) => h("div", { class: "small muted reason" }, r)),
      );
    const contacts = byPerson(p.contacts);
    const notMarked = byPerson(p.not_marked);
    const onDuty = contacts.filter((c) => c.on_train || c.on_shift);
    const rest = contacts.filter((c) => !onDuty.includes(c));
    $("#case-dialog-h").textContent = t("crew.case_confirm_title", { name: p.case.name, id: p.case.staff_id });
    fill(
      $("#case-preview"),
      where(p.case)
        ? h("p", { class: "warn-text", id: "case-self-duty" }, t("crew.case_self_duty", { name: p.case.name, where: where(p.case) }))
        : null,
      p.on_duty_now
        ? h("p", { class: "error", id: "case-on-duty" }, t("crew.case_on_duty", { n: p.on_duty_now, trains: p.on_trains_now.join(", ") || "—" }))
        : null,
      h(
        "p",
        { id: "case-contacts-count" },
        contacts.length ? t("crew.case_contacts", { n: contacts.length }) : t("crew.case_no_contacts"),
      ),
      contacts.length ? h("ul", { id: "case-contacts" }, [...onDuty, ...rest].map(row)) : null,
      notMarked.length ? h("p", { class: "small muted" }, t("crew.case_not_marked", { n: notMarked.length })) : null,
    );
    return new Promise((resolve) => {
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      for (const b of dialog.querySelectorAll("[data-close]")) b.onclick = () => dialog.close("");
      dialog.showModal();
      dialog.querySelector("[data-close]").focus(); // the safe choice has the focus
    });
  }

  function shiftName(id) {
    const key = `shift.${id}`;
    const name = t(key);
    return name === key ? id : name;
  }

  // --- cohorts ---------------------------------------------------------------------------------
  function cohortProblems(v, members) {
    const problems = [];
    const unknown = members.filter((m) => !knownStaff(m));
    if (unknown.length) {
      problems.push({ field: "members", msg: t("crew.err_unknown_members", { ids: unknown.join(", ") }) });
    }
    if (v.beds_available === "" || !(Number(v.beds_available) >= 0)) {
      problems.push({ field: "beds_available", msg: t("crew.err_beds") });
    } else if (members.length > Number(v.beds_available)) {
      problems.push({
        field: "beds_available",
        msg: t("crew.err_too_few_beds", { n: members.length, beds: v.beds_available }),
      });
    }
    return problems;
  }

  if (editor) {
    const form = $("#cohort-new");
    form.elements.namedItem("start").value = toLocalInput();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const v = values(form);
      const members = v.members.split(/[\s,;]+/).filter(Boolean);
      const problems = cohortProblems(v, members);
      for (const k of ["id", "name", "start", "planned_end"]) {
        if (!v[k]) problems.push({ field: k, msg: t("form.required") });
      }
      checkDateTimes(form, problems);
      if (problems.length) return showErrors(form, { fields: problems });
      try {
        const out = await api("/api/crew/cohorts", {
          method: "POST",
          body: {
            id: v.id,
            name: v.name,
            members,
            start: fromLocalInput(v.start),
            planned_end: fromLocalInput(v.planned_end),
            beds_available: Number(v.beds_available),
          },
        });
        const warn = out.warnings?.length ? ` ${out.warnings.join("; ")}` : "";
        showMessage(form, t("crew.saved_cohort") + warn, !warn);
        await loadAll();
      } catch (err) {
        showErrors(form, err);
      }
    });
  }

  function renderCohorts() {
    const names = new Map(staff.map((s) => [s.id, s.name]));
    if (!cohorts.length) {
      fill($("#cohorts"), h("p", { class: "muted" }, t("crew.no_cohorts")));
      return;
    }
    const now = new Date();
    fill(
      $("#cohorts"),
      cohorts.map((c) => {
        const active = new Date(c.start) <= now && now < new Date(c.planned_end);
        const beds = Array.from({ length: Math.max(c.beds_available, c.members.length) }, (_, i) =>
          h("span", {
            class: `bed ${i < c.members.length ? (i < c.beds_available ? "used" : "over") : ""}`,
          }),
        );
        return h(
          "article",
          { class: "cohort", dataset: { cohort: c.id } },
          h(
            "h3",
            {},
            `${c.name} `,
            h("span", { class: `state-pill ${active ? "on_shift" : ""}` }, active ? t("crew.on_site") : t("crew.not_on_site")),
          ),
          h("p", { class: "small muted" }, `${fmtDateTime(c.start)} → ${fmtDateTime(c.planned_end)}`),
          h(
            "p",
            { class: "small" },
            t("crew.beds", { used: c.members.length, beds: c.beds_available }),
          ),
          h("div", { class: "beds", role: "img", "aria-label": t("crew.beds", { used: c.members.length, beds: c.beds_available }) }, beds),
          h(
            "details",
            {},
            h("summary", {}, t("crew.members", { n: c.members.length })),
            h("p", { class: "small" }, c.members.map((m) => `${m} ${names.get(m) ?? ""}`).join(", ")),
          ),
          editor ? cohortForm(c) : null,
        );
      }),
    );
  }

  function cohortForm(c) {
    const id = (n) => `co-${c.id}-${n}`;
    const form = h(
      "form",
      { class: "grid-form", novalidate: true },
      h("div", { class: "form-error", role: "alert", hidden: true, style: "grid-column: 1 / -1" }),
      h(
        "div",
        {},
        h("label", { for: id("beds") }, t("crew.beds_available")),
        h("input", { id: id("beds"), name: "beds_available", type: "number", min: 0, value: c.beds_available }),
      ),
      h(
        "div",
        {},
        h("label", { for: id("end") }, t("crew.planned_end")),
        h("input", { ...dateTimeAttrs(), id: id("end"), name: "planned_end", value: toLocalInput(c.planned_end) }),
      ),
      h(
        "div",
        { style: "grid-column: 1 / -1" },
        h("label", { for: id("members") }, t("crew.member_ids")),
        h("textarea", { id: id("members"), name: "members", rows: 2 }, c.members.join(" ")),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("form.save"))),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const v = values(form);
      const members = v.members.split(/[\s,;]+/).filter(Boolean);
      const problems = cohortProblems(v, members);
      if (!v.planned_end) problems.push({ field: "planned_end", msg: t("form.required") });
      checkDateTimes(form, problems);
      if (problems.length) return showErrors(form, { fields: problems });
      try {
        const out = await api(`/api/crew/cohorts/${encodeURIComponent(c.id)}`, {
          method: "PUT",
          ifMatch: `"${c.version}"`, // the version shown: a change made meanwhile answers 409
          body: {
            id: c.id,
            name: c.name,
            members,
            start: c.start,
            planned_end: fromLocalInput(v.planned_end),
            beds_available: Number(v.beds_available),
          },
        });
        Object.assign(c, out);
        const warn = out.warnings?.length ? ` ${out.warnings.join("; ")}` : "";
        showMessage(form, t("crew.saved_cohort") + warn, !warn);
        setTimeout(loadAll, 800);
      } catch (err) {
        if (err instanceof ApiError && (err.status === 409 || err.status === 428)) {
          showMessage(
            form,
            h(
              "span",
              {},
              t("err.conflict"),
              " ",
              h("button", { type: "button", class: "btn small", onclick: loadAll }, t("form.reload")),
            ),
          );
        } else showErrors(form, err);
      }
    });
    return h("details", { class: "edit" }, h("summary", {}, t("crew.edit_cohort")), form);
  }

  // --- coverage --------------------------------------------------------------------------------
  function driversNotCleared() {
    return status.drivers_not_cleared ?? [];
  }

  /** Trains whose driver may not drive them (the board's alarms), above the calendar. */
  function renderDriverAlerts() {
    const list = driversNotCleared();
    fill(
      $("#driver-alerts"),
      list.length
        ? h(
            "div",
            { class: "banner error" },
            h("strong", {}, t("crew.drivers_alert", { n: list.length })),
            h("ul", {}, list.map((d) => h("li", { dataset: { train: d.train } }, d.message))),
          )
        : null,
    );
  }

  function renderCoverage() {
    renderDriverAlerts();
    if (!coverage) {
      fill($("#calendar"), h("p", { class: "error" }, coverageError ?? t("crew.calculating")));
      fill($("#degraded"));
      return;
    }
    const note = [];
    if (coverage.first_unstaffable) note.push(t("crew.first_unstaffable", { day: fmtDay(coverage.first_unstaffable) }));
    if (coverage.first_degraded) note.push(t("crew.first_degraded", { day: fmtDay(coverage.first_degraded) }));
    $("#coverage-note").textContent = note.join(" · ") || t("crew.all_staffed");
    fill(
      $("#calendar"),
      coverage.days.map((d, i) => {
        const missing = {};
        for (const s of d.shifts) {
          for (const [role, n] of Object.entries(s.missing_by_role)) missing[role] = (missing[role] ?? 0) + n;
        }
        const roles = rolesAt(d.shifts);
        const degraded = d.capacity.filter((p) => p.degraded);
        const short = Object.values(missing).some((n) => n > 0);
        const notCleared = i === 0 ? driversNotCleared() : [];
        const tight = !short && roles.some((r) => r.required && r.spare === 0);
        const cls = [short || notCleared.length ? "short" : "", degraded.length ? "degraded" : "", tight ? "tight" : ""];
        return h(
          "div",
          { class: `cal-day ${cls.join(" ")}`, dataset: { date: d.date } },
          h("h3", {}, fmtDay(d.date)),
          h(
            "p",
            { class: "small verdict" },
            notCleared.length
              ? t("crew.day_driver_issue", { n: notCleared.length })
              : short || !d.staffable
                ? t("crew.day_short")
                : tight
                  ? t("crew.day_tight")
                  : t("crew.day_ok"),
          ),
          roleTable(roles, "crew.role", { class: "mini cal-roles" }),
          degraded.length
            ? h(
                "ul",
                {},
                degraded.map((p) =>
                  h("li", {}, `${p.start}–${p.end}: ${t("crew.capacity_short", { trains: p.trains, headway: fmtDuration(p.headway_s) })}`),
                ),
              )
            : null,
        );
      }),
    );
    const day = coverage.days.find((d) => d.capacity.some((p) => p.degraded));
    if (!day) {
      fill($("#degraded"), h("p", { class: "muted" }, t("crew.no_degraded")));
      return;
    }
    fill(
      $("#degraded"),
      h("p", {}, t("crew.degraded_for", { day: fmtDay(day.date) })),
      h(
        "table",
        { id: "degraded-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [ "crew.period", "crew.planned", "crew.possible", "crew.drivers" ].map((k) => h("th", { scope: "col" }, t(k))),
          ),
        ),
        h(
          "tbody",
          {},
          day.capacity.map((p) =>
            h(
              "tr",
              { class: p.degraded ? "stale-age" : "" },
              h("th", { scope: "row" }, `${p.start}–${p.end}`),
              h("td", {}, t("crew.trains_headway", { trains: fmtNum(p.planned_trains), headway: fmtDuration(p.planned_headway_s) })),
              h(
                "td",
                {},
                p.trains
                  ? t("crew.trains_headway", { trains: fmtNum(p.trains), headway: fmtDuration(p.headway_s) })
                  : t("crew.no_service"),
              ),
              h("td", { class: "num" }, fmtNum(p.drivers)),
            ),
          ),
        ),
      ),
    );
  }

  window.addEventListener("langchange", () => {
    fillStateOptions();
    renderRoster();
    renderCohorts();
    renderCoverage();
    $("#crew-revision").textContent = t("crew.revision", { rev: status.revision ?? "—" }); // not loaded yet
  });

  // the line moves without this page: a driver alarm, a change made elsewhere
  setInterval(async () => {
    try {
      const now = await api("/api/crew/status");
      const sig = (x) => JSON.stringify(x.drivers_not_cleared ?? []);
      // only what the status drives: the driver alerts and the calendar (a new revision
      // re-solves coverage); the roster and cohorts are left alone — someone may be editing
      // them — until the user reloads
      const moved = sig(now) !== sig(status);
      if (now.revision !== coverageRevision) {
        status = { ...status, drivers_not_cleared: now.drivers_not_cleared };
        coverageRevision = now.revision;
        loadCoverage();
      } else if (moved) {
        status = { ...status, drivers_not_cleared: now.drivers_not_cleared };
        renderCoverage();
      }
    } catch {
      // the next tick tries again; errors show where the user acts
    }
  }, 5000);

  await loadAll();
}

