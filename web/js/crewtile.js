// The board's crew tile: today's coverage (shifts needed/assigned/missing), crew-constrained
// capacity per timetable period, and how many staff are out (F0, F1, sick).
//
// When the board frames carry a "crew" key the tile draws from it; until the first such frame
// it asks the crew API itself: the cheap /status every few seconds, and /coverage again only
// when the crew record's revision has moved. Both carry the same shift and capacity shapes
// (types.js: Shift, CapacityPeriod) and counts by state with every state named.

import { api, describeError } from "./api.js";
import { fill, h } from "./dom.js";
import { fmtDay, fmtDuration, fmtNum } from "./fmt.js";
import { has, t } from "./i18n.js";

const OUT_STATES = ["f0_isolation", "f1_quarantine", "sick_other", "leave"];

export class CrewTile {
  constructor(host, { pollMs = 5000 } = {}) {
    this.host = host;
    this.model = null;
    this.error = null;
    this.revision = null;
    this.fromFrames = false;
    /** trains whose driver may not drive them: train → text (the board's alarms) */
    this.driverIssues = new Map();
    this.timer = setInterval(() => this.poll(), pollMs);
    this.poll();
  }

  /** The board's "crew" key (replaces polling from then on). */
  fromBoard(crew) {
    if (!this.fromFrames) {
      this.fromFrames = true;
      clearInterval(this.timer);
    }
    const m = fromSummary(crew);
    const sig = JSON.stringify(m);
    if (sig !== this.sig) {
      this.sig = sig;
      this.model = m;
      this.error = null;
      this.render();
    }
  }

  /** The board's open driver alarms: the tile must not say "staffed" beside them. */
  setDriverIssues(issues) {
    const sig = [...issues.keys()].sort().join(",");
    if (sig === this.issueSig) return;
    this.issueSig = sig;
    this.driverIssues = new Map([...issues].map(([train, i]) => [train, i.message]));
    this.render();
  }

  async poll() {
    if (this.fromFrames || this.busy) return;
    this.busy = true;
    try {
      const status = await api("/api/crew/status");
      if (status.revision !== this.revision || !this.model) {
        const cov = await api("/api/crew/coverage?days=1");
        this.revision = status.revision;
        this.model = fromApi(status, cov);
      } else {
        this.model = { ...this.model, counts: status.counts };
      }
      this.driverIssues = new Map(status.drivers_not_cleared.map((d) => [d.train, d.message]));
      this.error = null;
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.busy = false;
    }
    this.render();
  }

  render() {
    const m = this.model;
    if (!m) {
      fill(this.host, h("p", { class: "muted" }, this.error ?? t("crew.loading")));
      return;
    }
    const counts = m.counts;
    const out = OUT_STATES.map((s) =>
      h(
        "li",
        { class: `count ${s} ${counts[s] ? "nonzero" : ""}`, dataset: { state: s } },
        h("span", { class: "n" }, fmtNum(counts[s])),
        " ",
        t(`state.${s}`),
      ),
    );
    // only the shifts that are short: the board has no room for the ones that are fine
    const shifts = m.shifts
      .filter((s) => s.missing)
      .map((s) =>
        h(
          "tr",
          { class: "short", dataset: { shift: s.shift } },
          h("th", { scope: "row" }, has(`shift.${s.shift}`) ? t(`shift.${s.shift}`) : s.shift),
          h("td", { class: "num" }, fmtNum(s.required)),
          h("td", { class: "num" }, fmtNum(s.assigned)),
          h("td", { class: "num missing" }, fmtNum(s.missing)),
        ),
      );
    const required = m.shifts.reduce((n, s) => n + s.required, 0);
    const assigned = m.shifts.reduce((n, s) => n + s.assigned, 0);
    const periods = m.periods.map((p) =>
      h(
        "li",
        { class: p.degraded ? "degraded" : "", dataset: { period: p.period } },
        h("span", { class: "p-time" }, `${p.start}–${p.end}`),
        " ",
        t("crew.capacity_line", {
          trains: fmtNum(p.trains),
          planned: fmtNum(p.planned_trains),
          headway: fmtDuration(p.headway_s),
          plan: fmtDuration(p.planned_headway_s),
        }),
      ),
    );
    const degraded = m.periods.filter((p) => p.degraded).length;
    const missing = m.shifts.reduce((n, s) => n + s.missing, 0);
    const issues = [...this.driverIssues.keys()].sort();
    const nowRoles = rolesAt(m.shifts, m.asOfMs ?? Date.now());
    this.host.dataset.driverIssues = String(issues.length);
    this.host.dataset.missing = String(missing);
    this.host.dataset.degraded = String(degraded);
    this.host.dataset.f0 = String(counts.f0_isolation);
    fill(
      this.host,
      issues.length
        ? h(
            "p",
            { class: "crew-verdict alert" },
            t("crew.verdict_drivers", { n: issues.length, trains: issues.join(", ") }),
          )
        : h(
            "p",
            { class: `crew-verdict ${missing || degraded ? "warn" : "ok"}` },
            missing || degraded ? t("crew.verdict_short", { missing, degraded }) : t("crew.verdict_ok"),
          ),
      nowRoles.length ? roleTable(nowRoles, "crew.shift_now", { class: "mini now-roles", "aria-label": t("crew.shift_now") }) : null,
      h("ul", { class: "counts", "aria-label": t("crew.out_now") }, out),
      m.onSite ? h("p", { class: "small muted" }, t("crew.on_site_n", { n: m.onSite })) : null,
      m.firstDegraded
        ? h("p", { class: "small warn-text" }, t("crew.first_degraded", { day: fmtDay(m.firstDegraded) }))
        : null,
      m.shifts.length
        ? h(
            "p",
            { class: "small muted" },
            t("crew.shifts_summary", { n: m.shifts.length, required, assigned }),
          )
        : null,
      shifts.length
        ? h(
            "table",
            { class: "mini" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, t("crew.shift")),
                h("th", { scope: "col" }, t("crew.required")),
                h("th", { scope: "col" }, t("crew.assigned")),
                h("th", { scope: "col" }, t("crew.missing")),
              ),
            ),
            h("tbody", {}, shifts),
          )
        : null,
      periods.length ? h("ul", { class: "periods", "aria-label": t("crew.capacity") }, periods) : null,
      this.error ? h("p", { class: "error small" }, this.error) : null,
    );
  }
}

/** @typedef {import("./types.js").CrewSummary} CrewSummary */
/** @typedef {import("./types.js").Coverage} Coverage */
/** @typedef {import("./types.js").StatusNow} StatusNow */

/**
 * The tile's model from the board's crew key.
 * @param {CrewSummary} crew
 */
export function fromSummary(crew) {
  return {
    asOfMs: crew.as_of_ms,
    date: crew.service_date,
    counts: crew.counts,
    onSite: crew.on_site,
    firstDegraded: crew.first_degraded,
    shifts: crew.shifts,
    periods: crew.capacity,
  };
}

/**
 * The tile's model from the crew API: head counts now, and one day of coverage.
 * @param {StatusNow} status
 * @param {Coverage} coverage
 */
export function fromApi(status, coverage) {
  const day = coverage.days[0];
  return {
    date: day.date,
    counts: status.counts,
    onSite: null,
    firstDegraded: coverage.first_degraded,
    shifts: day.shifts,
    periods: day.capacity,
  };
}

/** Needed, assigned and spare by role over the shifts running at ``ms`` (all of them when
 * ``ms`` is null): needed and assigned summed, spare at the tightest shift. */
export function rolesAt(shifts, ms = null) {
  const by = new Map();
  for (const s of shifts) {
    if (ms !== null && !(Date.parse(s.start) <= ms && ms < Date.parse(s.end))) continue;
    for (const r of s.by_role) {
      const x = by.get(r.role) ?? { role: r.role, required: 0, assigned: 0, spare: Infinity };
      x.required += r.required;
      x.assigned += r.assigned;
      x.spare = Math.min(x.spare, r.spare);
      by.set(r.role, x);
    }
  }
  return [...by.values()].map((x) => ({ ...x, spare: Number.isFinite(x.spare) ? x.spare : 0 }));
}

/** A small table of :func:`rolesAt` rows; ``first`` labels the role column. */
export function roleTable(roles, first, attrs = { class: "mini" }) {
  const heads = [first, "crew.required", "crew.assigned", "crew.spare"];
  return h(
    "table",
    attrs,
    h("thead", {}, h("tr", {}, ...heads.map((k) => h("th", { scope: "col" }, t(k))))),
    h(
      "tbody",
      {},
      roles.map((r) =>
        h(
          "tr",
          { dataset: { role: r.role } },
          h("th", { scope: "row" }, t(`staffrole.${r.role}`)),
          h("td", { class: "num required" }, fmtNum(r.required)),
          h("td", { class: `num assigned ${r.assigned < r.required ? "missing" : ""}` }, fmtNum(r.assigned)),
          h("td", { class: `num spare ${r.spare === 0 ? "missing" : ""}` }, fmtNum(r.spare)),
        ),
      ),
    ),
  );
}
