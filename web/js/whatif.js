// What-if: two scenarios side by side. Each runs on the server (POST /api/simulations) with
// live progress and can be cancelled. A finished run shows its verdict first (server-made
// codes said in the UI's language, web/js/verdict.js), then what limited service day by day
// and p10–p90 bands per day on shared scales so A and B compare by eye; the comparison gives
// its own verdict, with a warning when the runs differ in length or start date.
// The run ids live in the URL (#a=…&b=…), so a reload or a shared link shows the same runs;
// a pane's form always shows the parameters of the run whose results it shows (or says that
// it has been changed since).
//
// Shapes consumed (api/routes/simulations.py): GET /scenarios → [{name, description,
// scenario}]; a run → {id, scenario, scenario_spec, days, replications, seed, status,
// progress: {done, total, fraction}, error, result}; result → simulation.WhatIfResult with
// summary.verdict and periods; compare → simulation.compare_results. Below the panes, the
// sensitivity sweep (web/js/sweep.js).

import { api, describeError } from "./api.js";
import { bandChart } from "./charts.js";
import { $, fill, h } from "./dom.js";
import { fmtDay, fmtDm, fmtNum, hanoiDate } from "./fmt.js";
import { clearErrors, showErrors, showMessage, values } from "./forms.js";
import { applyI18n, t } from "./i18n.js";
import { can } from "./roles.js";
import { initPage } from "./shell.js";
import { jsonErrorText } from "./jsonerror.js";
import { initSweep } from "./sweep.js";
import {
  RESOURCES,
  compareVerdict,
  datesOf,
  fmtIsoDate,
  levelName,
  periodName,
  runVerdict,
  scenarioDescription,
  scenarioTitle,
} from "./verdict.js";

const SIZES = {
  quick: { days: 7, replications: 10 },
  standard: { days: 30, replications: 50 },
  full: { days: 60, replications: 200 },
};
const FINISHED = new Set(["done", "failed", "cancelled"]); // whatif.store.RunStatus
const COLORS = { a: "#58a6ff", b: "#e3b341", grey: "#a7b1bc", red: "#ff7b72" };
// +1: more is better for the planner; −1: less is better; 0: neither (compare highlights)
const BETTER = {
  "total.trips_planned": 0,
  "total.trips_operated": 1,
  "total.trips_cancelled": -1,
  "total.overtime_h": -1,
  "total.legal_breaches": -1,
  "total.cases": -1,
  "max.overtime_h_person_month": -1,
  "min.trips_share": 1,
};

const me = await initPage("whatif");
if (me) main(me); // not awaited: the page counts as loaded while its data arrives

/** A day figure by dotted path ("staff.driver.available"); undefined when absent. */
function get(obj, path) {
  return path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
}

const specText = (spec) => JSON.stringify(spec, null, 1);

async function main(me) {
  const mayRun = can(me.role, "runWhatIf");
  let scenarios;
  try {
    scenarios = await api("/api/simulations/scenarios");
  } catch (err) {
    fill($("#runs"), h("p", { class: "notice error", role: "alert" }, describeError(err)));
    return;
  }
  const presetOf = (name) => scenarios.find((s) => s.name === name);
  /** Title of a scenario as run: a preset's name, "(parameters changed)", or a custom name. */
  const titleOf = (name, spec) => {
    const preset = presetOf(name);
    if (!preset) return scenarioTitle(name, { custom: true });
    return scenarioTitle(name, { edited: spec ? specText(spec) !== specText(preset.scenario) : false });
  };

  const shared = {}; // chart key → {min, max} over both panes
  let compared = null; // the last comparison fetched, re-rendered on a language change
  const panes = { a: new Pane("a", "baseline"), b: new Pane("b", scenarios[1]?.name ?? "baseline") };
  fill($("#runs"), panes.a.root, panes.b.root);
  initSweep($("#sweep"), me, scenarios); // sensitivity: web/js/sweep.js

  function followHash() {
    const hash = new URLSearchParams(location.hash.slice(1));
    for (const k of ["a", "b"]) if (hash.get(k) && hash.get(k) !== panes[k].runId) panes[k].follow(hash.get(k));
  }
  followHash();
  // a shared link opened in a tab already on this page changes only the hash
  window.addEventListener("hashchange", followHash);

  window.addEventListener("langchange", () => {
    for (const p of Object.values(panes)) p.relabel();
    compare();
  });

  function saveHash() {
    const p = new URLSearchParams();
    for (const k of ["a", "b"]) if (panes[k].runId) p.set(k, panes[k].runId);
    history.replaceState(null, "", `#${p}`);
  }

  function rescale() {
    for (const key of Object.keys(shared)) delete shared[key];
    for (const p of Object.values(panes)) {
      for (const [key, [lo, hi]] of Object.entries(p.extents)) {
        const s = (shared[key] ??= { min: lo, max: hi });
        s.min = Math.min(s.min, lo);
        s.max = Math.max(s.max, hi);
      }
    }
    for (const p of Object.values(panes)) p.redraw();
  }

  async function compare() {
    const box = $("#compare");
    const [a, b] = [panes.a, panes.b];
    if (!(a.result && b.result)) {
      compared = null;
      box.textContent = t("whatif.compare_hint");
      return;
    }
    const key = `${a.runId}|${b.runId}`;
    if (compared?.key !== key) {
      try {
        const cmp = await api(
          `/api/simulations/compare?a=${encodeURIComponent(a.runId)}&b=${encodeURIComponent(b.runId)}`,
        );
        compared = { key, cmp };
      } catch (err) {
        box.textContent = describeError(err);
        return;
      }
    }
    fill(box, compareVerdict(compared.cmp), compareTable(compared.cmp));
  }

  function compareTable(cmp) {
    const num = (v, d = 0) => fmtNum(v, d);
    const row = (label, fa, fb, diff = "", attrs = {}) =>
      h(
        "tr",
        attrs,
        h("th", { scope: "row" }, label),
        h("td", { class: "num" }, fa),
        h("td", { class: "num" }, fb),
        h("td", { class: `num diff ${attrs.dataset?.verdict ?? ""}` }, diff),
      );
    const rows = [
      row(
        t("whatif.scenario"),
        titleOf(cmp.a.scenario, panes.a.spec),
        titleOf(cmp.b.scenario, panes.b.spec),
      ),
      row(
        t("whatif.period_run"),
        runDates(cmp.a.start_date, cmp.a.verdict.end_date, cmp.a.days),
        runDates(cmp.b.start_date, cmp.b.verdict.end_date, cmp.b.days),
        cmp.a.days !== cmp.b.days || cmp.a.start_date !== cmp.b.start_date ? "⚠" : "",
        { dataset: { key: "dates", verdict: cmp.a.days !== cmp.b.days ? "warn" : "" } },
      ),
    ];
    for (const [key, pair] of Object.entries(cmp.summary)) {
      const share = key === "min.trips_share";
      const d = key.includes("overtime") ? 1 : 0;
      const show = (v) => (share ? (v === null ? "—" : `${fmtNum(100 * v)} %`) : num(v, d));
      let diff;
      let verdict = "";
      if (!pair.comparable) {
        diff = `⚠ ${t("verdict.not_comparable")}`;
        verdict = "warn";
      } else if (pair.diff_p50 === null) {
        diff = "—";
      } else {
        const v = share ? 100 * pair.diff_p50 : pair.diff_p50;
        diff = `${v > 0 ? "+" : ""}${fmtNum(v, d)}${share ? " %" : ""}`;
        const sign = Math.sign(pair.diff_p50) * (BETTER[key] ?? 0);
        verdict = sign > 0 ? "better-b" : sign < 0 ? "worse-b" : "";
      }
      rows.push(
        row(t(`whatif.k_${key}`), show(pair.a.p50), show(pair.b.p50), diff, { dataset: { key, verdict } }),
      );
    }
    const lostCell = (x, start) => {
      if (!x.share_lost) return t("verdict.never_lost_short");
      if (x.p50 === null) return t("verdict.lost_share_short", { share: fmtNum(100 * x.share_lost) });
      const day = new Date(`${start}T12:00:00Z`);
      day.setUTCDate(day.getUTCDate() + Math.floor(x.p50 + 0.5));
      return t("verdict.lost_from_short", {
        date: fmtIsoDate(day.toISOString().slice(0, 10)),
        share: fmtNum(100 * x.share_lost),
      });
    };
    const named = [...cmp.a.verdict.statements, ...cmp.verdict.statements];
    for (const [level, pair] of Object.entries(cmp.first_day_lost)) {
      const headway = named.find((x) => x.level === level)?.headway_s;
      rows.push(
        row(levelName({ level, headway_s: headway }), lostCell(pair.a, cmp.a.start_date), lostCell(pair.b, cmp.b.start_date), "", {
          dataset: { key: `first_day_lost.${level}` },
        }),
      );
    }
    return h(
      "table",
      { id: "compare-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, ""),
          h("th", { scope: "col", class: "num" }, "A"),
          h("th", { scope: "col", class: "num" }, "B"),
          h("th", { scope: "col", class: "num" }, t("whatif.diff")),
        ),
      ),
      h("tbody", {}, rows),
    );
  }

  function runDates(start, end, days) {
    return t("whatif.dates", { start: fmtIsoDate(start, true), end: fmtIsoDate(end, true), days: fmtNum(days) });
  }

  // --- one side ----------------------------------------------------------------------------
  function Pane(key, defaultScenario) {
    const root = $("#run-template").content.firstElementChild.cloneNode(true);
    const form = root.querySelector("form");
    const title = root.querySelector(".run-title");
    title.id = `run-${key}-title`;
    root.setAttribute("aria-labelledby", title.id);
    root.dataset.pane = key;
    // unique ids so each label points at its own input
    for (const lab of root.querySelectorAll("label[data-for]")) {
      const input = form.elements.namedItem(lab.dataset.for);
      input.id = `${key}-${lab.dataset.for}`;
      lab.htmlFor = input.id;
    }
    const sel = form.elements.namedItem("scenario");
    const custom = h("option", { value: "" }); // a run's own (non-preset) scenario
    const desc = root.querySelector(".scenario-desc");
    const jsonBox = form.elements.namedItem("scenario_json");
    const doubling = form.elements.namedItem("doubling_days");
    const changed = root.querySelector(".form-changed");
    const preset = () => presetOf(sel.value);
    const presetJson = () => (preset() ? specText(preset().scenario) : "");
    let customSpec = null; // the spec of a shown run whose scenario is no preset

    function fillSelect() {
      const v = sel.value;
      // the run's own scenario is listed only while a run shows one (no empty entry otherwise)
      const presets = scenarios.map((s) => h("option", { value: s.name, title: scenarioTitle(s.name) }, scenarioTitle(s.name)));
      fill(sel, presets, customSpec ? custom : []);
      if (customSpec) custom.textContent = custom.title = scenarioTitle(customSpec.name, { custom: true });
      if (v || customSpec) sel.value = v;
      titleSelect();
    }
    // the whole name on hover, whatever the width
    function titleSelect() {
      sel.title = sel.selectedOptions[0]?.textContent ?? "";
    }
    function showDesc() {
      desc.textContent = preset()
        ? scenarioDescription(sel.value, preset().description)
        : customSpec?.description ?? "";
    }
    sel.addEventListener("change", () => {
      titleSelect();
      jsonBox.value = presetJson() || (customSpec ? specText(customSpec) : "");
      doubling.value = "";
      doubling.placeholder = String((preset()?.scenario ?? customSpec)?.incidence?.doubling_days ?? "");
      showDesc();
    });
    fillSelect();
    sel.value = presetOf(defaultScenario) ? defaultScenario : scenarios[0]?.name ?? "";
    sel.dispatchEvent(new Event("change"));
    for (const b of root.querySelectorAll("[data-size]")) {
      b.addEventListener("click", () => {
        const p = SIZES[b.dataset.size];
        form.elements.namedItem("days").value = p.days;
        form.elements.namedItem("replications").value = p.replications;
        checkChanged();
      });
    }
    const status = root.querySelector(".run-status");
    const progress = root.querySelector(".run-progress");
    const cancelBtn = root.querySelector(".cancel-btn");
    const runBtn = root.querySelector(".run-btn");
    const periodSel = root.querySelector(".period-select");
    if (!mayRun) {
      // planners and admins run what-ifs; anyone else may look at runs shared by link
      for (const el of form.querySelectorAll("input, select, button, textarea")) el.disabled = true;
      showMessage(form, t("whatif.read_only"));
    }
    const pane = {
      root,
      runId: null,
      run: null, // the run shown (its parameters), once the server has answered
      spec: null,
      result: null,
      extents: {},
      charts: {},
      follow,
      relabel,
      redraw,
    };
    let pollTimer = null;
    let lastRun = null; // the run's last report, for its status line
    let shownForm = null; // the form's values as set from the run shown

    function relabel() {
      title.textContent = t("whatif.side", { side: key.toUpperCase() });
      applyI18n(root);
      periodSel.setAttribute("aria-label", t("whatif.period"));
      fillSelect();
      showDesc();
      checkChanged();
      showStatus();
      if (pane.result) {
        destroyCharts();
        draw();
      }
    }
    relabel();

    /** Put the run's parameters in the form, so the form shows what the results show. */
    function showRunInForm(run) {
      const spec = run.scenario_spec;
      customSpec = presetOf(run.scenario) ? null : spec;
      fillSelect();
      sel.value = customSpec ? "" : run.scenario;
      titleSelect();
      jsonBox.value = specText(spec);
      doubling.value = "";
      doubling.placeholder = String(spec?.incidence?.doubling_days ?? "");
      showDesc();
      for (const name of ["days", "replications", "seed"]) form.elements.namedItem(name).value = String(run[name]);
      shownForm = JSON.stringify(values(form));
      checkChanged();
    }

    function checkChanged() {
      const differs = shownForm !== null && JSON.stringify(values(form)) !== shownForm;
      root.dataset.formChanged = String(differs);
      changed.hidden = !differs;
      if (differs && pane.run) {
        changed.textContent = t("whatif.form_changed", { run: titleOf(pane.run.scenario, pane.spec) });
      }
    }
    form.addEventListener("input", checkChanged);
    form.addEventListener("change", checkChanged);

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const v = values(form);
      // the bounds the inputs carry (days: the API's MAX_DAYS), so the form and its message agree
      const max = (name) => Number(form.elements.namedItem(name).max);
      const ints = { days: [1, max("days")], replications: [1, max("replications")], seed: [0, 2 ** 31 - 1] };
      const problems = [];
      for (const [name, [lo, hi]] of Object.entries(ints)) {
        const n = Number(v[name]);
        if (v[name] === "" || !Number.isInteger(n) || n < lo || n > hi) {
          problems.push({ field: name, msg: t("whatif.err_int", { lo, hi }) });
        }
      }
      // the preset by name, unless its parameters were changed (or it is no preset): then
      // the whole scenario as the JSON box shows it
      let scenario = v.scenario;
      if (!preset() || v.scenario_json !== presetJson() || v.doubling_days !== "") {
        try {
          scenario = JSON.parse(v.scenario_json || "{}");
        } catch {
          // lines and columns of the text as the box shows it (values() trims it)
          problems.push({ field: "scenario_json", msg: jsonErrorText(jsonBox.value) });
        }
        if (v.doubling_days !== "" && typeof scenario === "object") {
          scenario.incidence = { ...(scenario.incidence ?? {}), doubling_days: Number(v.doubling_days) };
        }
      }
      if (problems.length) return showErrors(form, { fields: problems });
      runBtn.disabled = true;
      try {
        const out = await api("/api/simulations", {
          method: "POST",
          body: {
            scenario,
            days: Number(v.days),
            replications: Number(v.replications),
            seed: Number(v.seed),
          },
        });
        follow(out.id);
      } catch (err) {
        runBtn.disabled = false;
        // scenario.incidence.doubling_days → its own input; other scenario fields → the JSON
        showErrors(form, err, (f) =>
          f.field === "doubling_days" ? "doubling_days" : f.path.startsWith("scenario.") ? "scenario_json" : f.field,
        );
      }
    });

    cancelBtn.addEventListener("click", async () => {
      if (!pane.runId) return;
      cancelBtn.disabled = true;
      try {
        await api(`/api/simulations/${encodeURIComponent(pane.runId)}/cancel`, { method: "POST" });
      } catch (err) {
        showMessage(form, describeError(err));
      }
    });

    function follow(id) {
      pane.runId = String(id);
      pane.run = null;
      pane.spec = null;
      pane.result = null;
      shownForm = null;
      checkChanged();
      saveHash();
      delete root.dataset.status; // until the server says how this run stands
      status.textContent = "";
      lastRun = null;
      clearTimeout(pollTimer);
      destroyCharts();
      fill(root.querySelector(".run-summary"));
      fill(root.querySelector(".verdict-box"));
      fill(root.querySelector(".binding-strip"));
      progress.hidden = false;
      progress.removeAttribute("value"); // indeterminate until the first report
      cancelBtn.hidden = !mayRun;
      cancelBtn.disabled = false;
      runBtn.disabled = true;
      compare();
      poll();
    }

    async function poll() {
      const id = pane.runId;
      let run;
      try {
        run = await api(`/api/simulations/${encodeURIComponent(id)}`);
      } catch (err) {
        if (id !== pane.runId) return;
        status.textContent = describeError(err);
        finish();
        return;
      }
      if (id !== pane.runId) return; // another run was started meanwhile
      if (!pane.run) {
        pane.run = run;
        pane.spec = run.scenario_spec;
        showRunInForm(run);
      }
      progress.value = run.progress.fraction;
      const finished = FINISHED.has(run.status);
      lastRun = run;
      showStatus();
      root.dataset.status = run.status;
      if (!finished) {
        pollTimer = setTimeout(poll, 500);
        return;
      }
      finish();
      if (run.result) {
        pane.result = run.result;
        draw();
        rescale();
        compare();
      }
    }

    function showStatus() {
      if (!lastRun) return;
      const run = lastRun;
      status.textContent = [
        t(`whatif.status_${run.status}`),
        FINISHED.has(run.status) ? "" : `${fmtNum(100 * run.progress.fraction)} %`,
        run.error ?? "",
      ]
        .filter(Boolean)
        .join(" · ");
    }

    function finish() {
      progress.hidden = true;
      cancelBtn.hidden = true;
      runBtn.disabled = !mayRun;
    }

    function destroyCharts() {
      for (const c of Object.values(pane.charts)) c.destroy();
      pane.charts = {};
      for (const el of root.querySelectorAll(".chart")) el.replaceChildren();
    }

    function series(days, path, scale = 1) {
      const pick = (q) =>
        days.map((d) => {
          const v = get(d, path)?.[q];
          return v === null || v === undefined ? null : v * scale;
        });
      return [pick("p10"), pick("p50"), pick("p90")];
    }

    function extent(name, arrays) {
      const vals = arrays.flat().filter((v) => v !== null && Number.isFinite(v));
      if (vals.length) pane.extents[name] = [Math.min(0, ...vals), Math.max(...vals)];
    }

    function fillPeriods(r) {
      const names = [...new Set(r.days.flatMap((d) => Object.keys(d.periods)))];
      const keep = names.includes(periodSel.value) ? periodSel.value : names.find((p) => r.periods[p]?.peak) ?? names[0] ?? "";
      fill(periodSel, names.map((p) => h("option", { value: p }, periodName(p, r.periods))));
      periodSel.value = keep;
    }
    periodSel.addEventListener("change", () => {
      destroyCharts();
      draw();
      rescale();
    });

    function draw() {
      const r = pane.result;
      const days = r.days;
      const x = days.map((d) => Date.parse(`${d.date}T00:00:00+07:00`) / 1000);
      fillPeriods(r);
      renderSummary(r);
      renderBinding(r);
      const range = (name) => (min, max) => {
        const s = shared[name];
        return s ? [s.min, s.max * 1.05 || 1] : [Math.min(0, min), max * 1.05 || 1];
      };
      const chart = (name, groups, data, yLabel) => {
        const host = root.querySelector(`[data-chart="${name}"]`);
        pane.charts[name] = bandChart(host, {
          groups,
          yLabel,
          yRange: range(name),
          xFmt: (v) => fmtDm(v * 1000), // one point per service day: ticks on whole days
          xIncrs: [1, 2, 7, 14, 28, 91].map((n) => n * 86400),
          xValue: (v) => fmtDay(hanoiDate(v * 1000)),
        });
        pane.charts[name].setData([x, ...data]);
        host.dataset.points = String(x.length);
      };
      const trips = series(days, "trips_operated");
      const planned = series(days, "trips_planned")[1];
      extent("trips", [...trips, planned]);
      chart(
        "trips",
        [
          { label: t("whatif.s_operated"), color: COLORS[key], band: true },
          { label: t("whatif.s_planned"), color: COLORS.grey, dash: [6, 4] },
        ],
        [...trips, planned],
        t("whatif.y_trips"),
      );
      const period = periodSel.value;
      const hw = series(days, `periods.${period}.achieved_headway_s`, 1 / 60);
      // the planned headway on the days that have this period (results record the periods)
      const plannedS = r.periods[period]?.planned_headway_s;
      const hwPlan = days.map((d) => (d.periods[period] && plannedS ? plannedS / 60 : null));
      extent("headway", [...hw]);
      chart(
        "headway",
        [
          { label: t("whatif.s_headway"), color: COLORS[key], band: true },
          { label: t("whatif.s_planned"), color: COLORS.grey, dash: [6, 4] },
        ],
        [...hw, hwPlan],
        t("whatif.y_minutes"),
      );
      const staff = series(days, "staff.driver.available");
      const req = series(days, "staff.driver.required")[1];
      extent("staff", [...staff, req]);
      chart(
        "staff",
        [
          { label: t("whatif.s_available"), color: COLORS[key], band: true },
          { label: t("whatif.s_required"), color: COLORS.red, dash: [6, 4] },
        ],
        [...staff, req],
        t("whatif.y_people"),
      );
      const ot = series(days, "overtime_h");
      extent("overtime", ot);
      chart("overtime", [{ label: t("whatif.s_overtime"), color: COLORS[key], band: true }], ot, t("whatif.y_hours"));
    }

    function redraw() {
      // setData again (not redraw: uPlot commits lazily and a redraw before that loses the
      // x scale) so each y range is asked again for the shared extent
      for (const c of Object.values(pane.charts)) c.setData(c.plot.data);
    }

    function renderSummary(r) {
      const v = r.summary.verdict;
      fill(root.querySelector(".verdict-box"), h("h3", {}, t("verdict.title")), runVerdict(v));
      const items = [
        [t("whatif.scenario"), titleOf(r.scenario, r.scenario_spec)],
        [t("whatif.period_run"), runDates(r.start_date, v.end_date, r.days_simulated)],
        [t("whatif.replications"), t("whatif.replications_seed", { n: fmtNum(r.replications), seed: r.seed })],
      ];
      fill(root.querySelector(".run-summary"), items.map(([k, val]) => [h("dt", {}, k), h("dd", {}, val)]));
    }

    /** What limited service each day: one row per resource, cells shaded by share of runs. */
    function renderBinding(r) {
      const box = root.querySelector(".binding-strip");
      const recorded = RESOURCES.filter((res) => r.days.some((d) => d.binding?.[res]));
      if (!recorded.length) {
        fill(box, h("p", { class: "small muted" }, t("whatif.binding_not_recorded")));
        box.dataset.state = "not_recorded";
        return;
      }
      const date = datesOf(r.start_date, r.summary.verdict.end_date);
      const binding = recorded.filter((res) => r.days.some((d) => (d.binding?.[res]?.mean ?? 0) > 0));
      if (!binding.length) {
        fill(box, h("p", { class: "small muted" }, t("whatif.binding_none")));
        box.dataset.state = "none";
        return;
      }
      box.dataset.state = "shown";
      const rows = binding.map((res) =>
        h(
          "div",
          { class: "binding-row", dataset: { resource: res } },
          h("span", { class: "binding-label small" }, t(`resource.${res}`)),
          h(
            "span",
            { class: "binding-cells" },
            r.days.map((d) => {
              const share = d.binding?.[res]?.mean ?? 0;
              const text = t("whatif.binding_cell", {
                date: date(d.date),
                resource: t(`resource.${res}`),
                share: fmtNum(100 * share),
              });
              return h("span", {
                class: "binding-cell",
                title: text,
                "aria-label": text,
                role: "img",
                dataset: { date: d.date, share: String(share) },
                style: { opacity: String(0.08 + 0.92 * share) },
              });
            }),
          ),
        ),
      );
      const first = r.days[0].date;
      const last = r.days[r.days.length - 1].date;
      fill(
        box,
        rows,
        h(
          "div",
          { class: "binding-axis small muted" },
          h("span", {}, date(first)),
          h("span", {}, date(last)),
        ),
      );
    }

    return pane;
  }
}
