// Sensitivity on the what-if page: a planner picks a base scenario and the parameters to vary
// (named in words, sent as the dotted scenario paths the sweeps API takes), one at a time or
// every combination; the sweep runs on the server (POST /api/simulations/sweeps) with live
// progress and can be cancelled; its factors come back ranked by swing and are drawn here as a
// tornado chart (SVG) of trips lost and of the first day the timetable was lost, with the
// numbers in a table. The server's PNG of the same chart is a download link.
//
// Shapes consumed (api/routes/sweeps.py, simulation/sweep.py): a sweep → {id, scenario,
// design, factors, days, replications, seed, status, progress: {runs_done, runs_total,
// replications_done, fraction}, error, result}; result → {scenario, design, days, factors:
// [{path, values, base_value}], runs: [{settings, trips_lost: {mean}, first_day_lost: {p50}}],
// ranking: [{path, swing_trips_lost, swing_first_day_lost, by_value: [{value, label,
// trips_lost, first_day_lost}]}]} — first_day_lost a day index from the start date (the run's
// length meaning "never lost").

import { ApiError, api, describeError } from "./api.js";
import { fill, h, s } from "./dom.js";
import { fmtNum } from "./fmt.js";
import { clearErrors, showErrors, showMessage, values } from "./forms.js";
import { applyI18n, locale, t } from "./i18n.js";
import { can } from "./roles.js";
import { fmtIsoDate, scenarioTitle } from "./verdict.js";

const FINISHED = new Set(["done", "failed", "cancelled"]);
// api/routes/sweeps.py and simulation/sweep.py: checked here first so the planner is told
// before submitting, in their language; the server checks again
const MAX_RUNS = 64;
const MAX_REPLICATION_DAYS = 400_000;
// drivers and technicians 3-on-site in two cohorts, as Hanoimetro reported in 2022 (the
// wave-2022 and backtest-2022 presets; simulation/data/sweeps/factorial-…toml)
const ONSITE_REPORTED = { roles: ["driver", "technician"], drivers_per_cohort: 30, technicians_per_cohort: 35 };

/** A number with up to two decimals, in the UI's language (0,1 · 1 · 2,5). */
const num = (v) => (v === null || v === undefined ? "—" : new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(v));
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const isSection = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
// a section that says what the reported one says (the base's has its defaults written out too)
const isReported = (v) => isSection(v) && Object.entries(ONSITE_REPORTED).every(([k, x]) => same(v[k], x));
/** The value at a dotted path of a scenario (undefined when it has none). */
const atPath = (obj, path) =>
  path.split(".").reduce((o, k) => (isSection(o) && k in o ? o[k] : undefined), obj);
const f1Options = () => [
  { value: "work_under_testing", label: () => t("sweep.v_f1_work") },
  { value: "quarantine", label: () => t("sweep.v_f1_quarantine") },
];
const driversAbsent = (v) =>
  Array.isArray(v) ? v.filter((a) => a?.role === "driver").reduce((n, a) => n + (a.count ?? 0), 0) : null;

/**
 * The parameters a planner may vary. ``choice``: a few named values; ``number``: numbers typed
 * by the planner (``toValue`` builds the scenario value from one, ``fromValue`` reads it back).
 * ``nullLabel`` names the value "not set" (what a base scenario leaves out).
 */
export const FACTORS = [
  {
    key: "f1_on_site",
    path: "f1_mode_on_site",
    label: () => t("sweep.f_f1_on_site"),
    kind: "choice",
    options: f1Options,
    nullLabel: () => t("sweep.v_f1_as_rule"),
  },
  {
    key: "f1_mode",
    path: "policy_overrides.f1_mode",
    label: () => t("sweep.f_f1_mode"),
    kind: "choice",
    options: f1Options,
  },
  {
    key: "trace_cohort",
    path: "health.trace_probability.onsite_cohort",
    label: () => t("sweep.f_trace_cohort"),
    kind: "number",
    preset: [0.1, 1],
    min: 0,
    max: 1,
  },
  {
    key: "trace_team",
    path: "health.trace_probability.shift_team",
    label: () => t("sweep.f_trace_team"),
    kind: "number",
    preset: [0.25, 1],
    min: 0,
    max: 1,
  },
  {
    key: "onsite",
    path: "onsite",
    label: () => t("sweep.f_onsite"),
    kind: "choice",
    options: () => [
      { value: ONSITE_REPORTED, label: () => t("sweep.v_onsite_reported"), match: isReported },
      { value: null, label: () => t("sweep.v_onsite_none") },
    ],
  },
  {
    key: "timetable",
    path: "timetable",
    label: () => t("sweep.f_timetable"),
    kind: "choice",
    options: () => [
      { value: null, label: () => t("sweep.v_tt_dated") },
      { value: "2021", label: () => t("sweep.v_tt_2021") },
      { value: "2026", label: () => t("sweep.v_tt_2026") },
    ],
  },
  {
    key: "series_scale",
    path: "incidence.series_scale",
    label: () => t("sweep.f_series_scale"),
    kind: "number",
    preset: [0.5, 2],
    min: 0,
    max: 100,
  },
  {
    key: "doubling",
    path: "incidence.doubling_days",
    label: () => t("sweep.f_doubling"),
    kind: "number",
    preset: [4, 10],
    min: 0.5,
    max: 365,
  },
  {
    key: "drivers_absent",
    path: "absences",
    label: () => t("sweep.f_drivers_absent"),
    kind: "number",
    preset: [10, 20],
    min: 0,
    max: 1000,
    integer: true,
    // the base's other absences are replaced: the factor is "drivers away from day 1"
    toValue: (n) => (n > 0 ? [{ role: "driver", count: n, from_day: 0 }] : []),
    fromValue: driversAbsent,
    show: (n) => t("sweep.v_drivers", { n: fmtNum(n) }),
  },
  {
    key: "overtime",
    path: "service.overtime",
    label: () => t("sweep.f_overtime"),
    kind: "choice",
    options: () => [
      { value: true, label: () => t("sweep.v_yes") },
      { value: false, label: () => t("sweep.v_no") },
    ],
  },
];
const byPath = new Map(FACTORS.map((f) => [f.path, f]));

/** A factor's name in the UI's language (its path if it is none of ours). */
export function factorName(path) {
  return byPath.get(path)?.label() ?? path;
}

/** A factor's value in words; ``fallback``: the server's short label. */
export function valueName(path, value, fallback = "") {
  const f = byPath.get(path);
  if (f?.kind === "choice") {
    const opt = f.options().find((o) => (o.match ? o.match(value) : same(o.value, value)));
    if (opt) return opt.label();
    if (value === null && f.nullLabel) return f.nullLabel();
  } else if (f?.kind === "number") {
    const n = f.fromValue ? f.fromValue(value) : value;
    if (typeof n === "number") return f.show ? f.show(n) : num(n);
  }
  if (value === null || value === undefined) return t("sweep.v_unset");
  return fallback.replace(/ \(base\)$/, "") || JSON.stringify(value);
}

/** "0,1; 1" → [0.1, 1] (a decimal comma or point; values apart by ";" or spaces). */
function parseNumbers(text) {
  const parts = String(text).split(/[;\s]+/).filter(Boolean);
  return parts.map((p) => Number(p.replace(",", ".")));
}

/**
 * The sensitivity section in ``host``: nothing for a role that may not run what-ifs (the
 * sweeps API refuses them anyway). ``scenarios``: the presets ({name, scenario}).
 */
export function initSweep(host, me, scenarios) {
  if (!can(me.role, "runWhatIf")) {
    host.remove();
    return;
  }
  const presetOf = (name) => scenarios.find((x) => x.name === name);
  host.hidden = false;
  const form = host.querySelector("form");
  const sel = form.elements.namedItem("scenario");
  const factorsBox = host.querySelector(".sweep-factors");
  const sizeLine = host.querySelector(".sweep-size");
  const status = host.querySelector(".sweep-status");
  const progress = host.querySelector(".sweep-progress");
  const runBtn = host.querySelector(".sweep-run");
  const cancelBtn = host.querySelector(".sweep-cancel");
  const out = host.querySelector(".sweep-result");
  let sweepId = null;
  let last = null; // the sweep's last report
  let timer = null;

  function fillScenarios() {
    const v = sel.value;
    fill(sel, scenarios.map((x) => h("option", { value: x.name, title: scenarioTitle(x.name) }, scenarioTitle(x.name))));
    sel.value = v || (presetOf("backtest-2022") ? "backtest-2022" : scenarios[0]?.name ?? "");
    titleSelect();
  }
  // the whole name on hover, whatever the width
  function titleSelect() {
    sel.title = sel.selectedOptions[0]?.textContent ?? "";
  }
  sel.addEventListener("change", titleSelect);

  // one row per parameter: a checkbox to vary it, then its values
  const rows = FACTORS.map((f) => {
    const id = `sweep-f-${f.key}`;
    const on = h("input", { type: "checkbox", name: `f_${f.key}`, id, dataset: { path: f.path } });
    const name = h("label", { for: id, class: "sweep-fname" });
    let valuesBox;
    if (f.kind === "choice") {
      valuesBox = h(
        "span",
        { class: "sweep-values" },
        f.options().map((o, i) => {
          const vid = `${id}-v${i}`;
          return h(
            "span",
            { class: "sweep-choice" },
            h("input", { type: "checkbox", id: vid, name: `v_${f.key}_${i}`, checked: true }),
            h("label", { for: vid, dataset: { option: String(i) } }),
          );
        }),
      );
    } else {
      const vid = `${id}-values`;
      valuesBox = h(
        "span",
        { class: "sweep-values" },
        h("label", { for: vid, class: "visually-hidden sweep-vlabel" }),
        h("input", { type: "text", id: vid, name: `v_${f.key}`, value: f.preset.map(num).join("; "), inputmode: "decimal" }),
        h("span", { class: "small muted sweep-hint" }),
      );
    }
    const row = h("div", { class: "sweep-factor", dataset: { key: f.key } }, on, name, valuesBox);
    return { f, row, on, name, valuesBox };
  });
  fill(factorsBox, rows.map((r) => r.row));

  function relabel() {
    applyI18n(host);
    fillScenarios();
    for (const r of rows) {
      r.name.textContent = r.f.label();
      if (r.f.kind === "choice") {
        const opts = r.f.options();
        for (const lab of r.valuesBox.querySelectorAll("label[data-option]")) {
          lab.textContent = opts[Number(lab.dataset.option)].label();
        }
      } else {
        r.valuesBox.querySelector(".sweep-vlabel").textContent = t("sweep.values_of", { name: r.f.label() });
        r.valuesBox.querySelector(".sweep-hint").textContent = t("sweep.values_hint", {
          min: num(r.f.min),
          max: num(r.f.max),
        });
      }
    }
    showSize();
    showStatus();
    if (last?.result) draw(last.result);
  }

  /** The sweep the form describes: {body} or {problems: [{field, msg}]}. */
  function readForm() {
    const v = values(form);
    const problems = [];
    // the bounds the inputs carry (days: simulation/sweep.py's), so the form and its message agree
    const max = (name) => Number(form.elements.namedItem(name).max);
    const ints = { days: [1, max("days")], replications: [1, max("replications")], seed: [0, 2 ** 31 - 1] };
    for (const [name, [lo, hi]] of Object.entries(ints)) {
      const n = Number(v[name]);
      if (v[name] === "" || !Number.isInteger(n) || n < lo || n > hi) {
        problems.push({ field: name, msg: t("whatif.err_int", { lo, hi }) });
      }
    }
    const vary = [];
    for (const r of rows) {
      if (!r.on.checked) continue;
      const f = r.f;
      let vals;
      if (f.kind === "choice") {
        vals = f.options().filter((o, i) => v[`v_${f.key}_${i}`]).map((o) => o.value);
        if (!vals.length) problems.push({ field: `v_${f.key}_0`, msg: t("sweep.err_pick_value") });
      } else {
        const nums = parseNumbers(v[`v_${f.key}`]);
        const ok = nums.length && nums.every((n) => Number.isFinite(n) && n >= f.min && n <= f.max && (!f.integer || Number.isInteger(n)));
        if (!ok) {
          problems.push({
            field: `v_${f.key}`,
            msg: t(f.integer ? "sweep.err_integers" : "sweep.err_numbers", { min: num(f.min), max: num(f.max) }),
          });
        }
        vals = [...new Set(nums)].map((n) => (f.toValue ? f.toValue(n) : n));
      }
      vary.push({ path: f.path, values: vals });
    }
    if (!vary.length) problems.push({ field: "", msg: t("sweep.err_no_factor") });
    const design = v.design === "factorial" ? "factorial" : "oat";
    // one at a time, a value that is the base's runs as the base (simulation/sweep.py expand)
    const baseSpec = presetOf(v.scenario)?.scenario;
    const isBase = (path, value) => {
      const b = atPath(baseSpec, path);
      if (b === undefined) return false; // not in the preset (a crew rule of its policy): unknown here
      const opt = byPath.get(path)?.options?.().find((o) => o.match && same(o.value, value));
      return opt ? opt.match(b) : same(value, b);
    };
    const runs =
      design === "factorial"
        ? vary.reduce((n, f) => n * f.values.length, 1)
        : 1 + vary.reduce((n, f) => n + f.values.filter((x) => !isBase(f.path, x)).length, 0);
    const body = {
      scenario: v.scenario,
      design,
      vary,
      days: Number(v.days),
      replications: Number(v.replications),
      seed: Number(v.seed),
    };
    if (vary.length && runs > MAX_RUNS) problems.push({ field: "", msg: t("sweep.err_runs", { n: fmtNum(runs), max: fmtNum(MAX_RUNS) }) });
    const size = runs * body.days * body.replications;
    if (vary.length && size > MAX_REPLICATION_DAYS) {
      problems.push({ field: "replications", msg: t("sweep.err_too_large", { n: fmtNum(size), max: fmtNum(MAX_REPLICATION_DAYS) }) });
    }
    return { body, runs: vary.length ? runs : 0, problems };
  }

  function showSize() {
    const { body, runs } = readForm();
    sizeLine.textContent = runs
      ? t("sweep.size", { runs: fmtNum(runs), days: fmtNum(body.days || 0), reps: fmtNum(body.replications || 0) })
      : t("sweep.err_no_factor");
  }
  form.addEventListener("input", showSize);
  form.addEventListener("change", showSize);

  /** A 422 or 429 from the sweeps API in the user's language. */
  function explain(err) {
    if (!(err instanceof ApiError)) return describeError(err);
    if (err.status === 429) return t("sweep.err_busy");
    if (err.status === 422 && Array.isArray(err.detail)) {
      return err.detail
        .map((d) => {
          const loc = (d.loc ?? []).filter((p) => p !== "body");
          if (d.type === "too_large") return t("sweep.err_server_too_large", { max: fmtNum(MAX_REPLICATION_DAYS) });
          if (d.type === "invalid_variant") return t("sweep.err_variant", { msg: d.msg });
          if (d.type === "unknown_preset") return t("sweep.err_preset");
          return t("sweep.err_field", { field: loc.join(".") || t("form.whole"), msg: d.msg });
        })
        .join(" ");
    }
    return describeError(err);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const { body, problems } = readForm();
    if (problems.length) {
      const general = problems.filter((p) => !p.field);
      if (general.length === problems.length) return showMessage(form, general.map((p) => p.msg).join(" "));
      return showErrors(form, { fields: problems.map((p) => ({ ...p, path: p.field })) });
    }
    runBtn.disabled = true;
    try {
      const sweep = await api("/api/simulations/sweeps", { method: "POST", body });
      follow(sweep.id);
    } catch (err) {
      showMessage(form, explain(err));
    } finally {
      runBtn.disabled = false; // sweeps queue on the server: another may be sent meanwhile
    }
  });

  cancelBtn.addEventListener("click", async () => {
    if (!sweepId) return;
    cancelBtn.disabled = true;
    try {
      await api(`/api/simulations/sweeps/${encodeURIComponent(sweepId)}/cancel`, { method: "POST" });
    } catch (err) {
      showMessage(form, explain(err));
    }
  });

  function follow(id) {
    sweepId = String(id);
    last = null;
    clearTimeout(timer);
    delete host.dataset.status;
    fill(out);
    status.textContent = "";
    progress.hidden = false;
    progress.removeAttribute("value");
    cancelBtn.hidden = false;
    cancelBtn.disabled = false;
    poll();
  }

  async function poll() {
    const id = sweepId;
    let sweep;
    try {
      sweep = await api(`/api/simulations/sweeps/${encodeURIComponent(id)}`);
    } catch (err) {
      if (id !== sweepId) return;
      status.textContent = explain(err);
      finish();
      return;
    }
    if (id !== sweepId) return;
    last = sweep;
    progress.value = sweep.progress.fraction;
    host.dataset.status = sweep.status;
    showStatus();
    if (!FINISHED.has(sweep.status)) {
      timer = setTimeout(poll, 500);
      return;
    }
    finish();
    if (sweep.result) draw(sweep.result);
  }

  function showStatus() {
    if (!last) return;
    const p = last.progress;
    status.textContent = [
      t(`whatif.status_${last.status}`),
      FINISHED.has(last.status) ? "" : t("sweep.progress", { done: fmtNum(p.runs_done), total: fmtNum(p.runs_total), pct: fmtNum(100 * p.fraction) }),
      last.status === "cancelled" ? "" : last.error ?? "",
    ]
      .filter(Boolean)
      .join(" · ");
  }

  function finish() {
    progress.hidden = true;
    cancelBtn.hidden = true;
  }

  function draw(result) {
    const start = presetOf(result.scenario)?.scenario?.start_date ?? null;
    const dayText = (x) => {
      if (x === null || x === undefined) return "—";
      if (x >= result.days) return t("sweep.never_lost");
      if (!start) return t("sweep.day_n", { n: fmtNum(x + 1, 1) });
      const d = new Date(`${start}T12:00:00Z`);
      d.setUTCDate(d.getUTCDate() + Math.floor(x + 0.5));
      return fmtIsoDate(d.toISOString().slice(0, 10));
    };
    const baseOf = new Map(result.factors.map((f) => [f.path, f.base_value]));
    const named = (path, b) => {
      const text = valueName(path, b.value, b.label);
      return same(b.value, baseOf.get(path)) ? t("sweep.is_base", { value: text }) : text;
    };
    const design = t(result.design === "factorial" ? "sweep.design_factorial" : "sweep.design_oat");
    fill(
      out,
      h(
        "p",
        { class: "small muted sweep-about" },
        t("sweep.about", {
          scenario: scenarioTitle(result.scenario),
          design,
          runs: fmtNum(result.runs.length),
          days: fmtNum(result.days),
          reps: fmtNum(result.replications),
          seed: result.seed,
        }),
      ),
      h("h3", {}, t("sweep.tornado_title")),
      tornado(result, named, dayText),
      table(result, named, dayText),
      h(
        "p",
        { class: "small" },
        h("a", { href: `/api/simulations/sweeps/${encodeURIComponent(sweepId)}/tornado.png`, download: "tornado.png", class: "sweep-png" }, t("sweep.png")),
      ),
    );
  }

  /** Two panels side by side (trips lost, first day lost), a row per factor, largest on top. */
  function tornado(result, named, dayText) {
    const ranking = result.ranking;
    const rowH = 46;
    const labelW = 330; // the longest factor name at 12 px
    const panelW = 360;
    const gap = 40;
    const top = 34;
    const height = top + rowH * ranking.length + 30;
    const width = labelW + 2 * panelW + gap + 10;
    const base = result.design === "oat" ? result.runs[0] : null;
    const tripsMax = Math.max(1, ...ranking.flatMap((r) => r.by_value.map((b) => b.trips_lost ?? 0))) * 1.15;
    const panels = [
      { key: "trips_lost", x0: labelW, max: tripsMax, title: t("sweep.col_trips"), text: (v) => fmtNum(v), ref: base?.trips_lost?.mean },
      { key: "first_day_lost", x0: labelW + panelW + gap, max: result.days, title: t("sweep.col_day"), text: dayText, ref: base?.first_day_lost?.p50 },
    ];
    const svg = s("svg", {
      class: "tornado",
      viewBox: `0 0 ${width} ${height}`,
      width: "100%",
      role: "img",
      "aria-label": t("sweep.tornado_title"),
      preserveAspectRatio: "xMinYMin meet",
    });
    for (const p of panels) {
      const sx = (v) => p.x0 + (Math.max(0, Math.min(v, p.max)) / p.max) * (panelW - 70);
      svg.append(s("text", { x: p.x0, y: 14, class: "t-title" }, p.title));
      svg.append(s("line", { x1: sx(0), x2: sx(0), y1: top - 6, y2: height - 24, class: "t-axis" }));
      // axis ends: 0 and the largest figure; for days the start date and "never"
      svg.append(s("text", { x: sx(0), y: height - 8, class: "t-tick" }, p.key === "trips_lost" ? "0" : dayText(0)));
      svg.append(s("text", { x: sx(p.max), y: height - 8, class: "t-tick", "text-anchor": "end" }, p.key === "trips_lost" ? fmtNum(p.max) : dayText(p.max)));
      if (p.ref !== null && p.ref !== undefined) {
        svg.append(s("line", { x1: sx(p.ref), x2: sx(p.ref), y1: top - 6, y2: height - 24, class: "t-base" }, s("title", {}, t("sweep.base_line"))));
      }
      p.sx = sx;
    }
    ranking.forEach((r, i) => {
      const y = top + i * rowH;
      const g = s("g", { class: "tornado-row", dataset: { path: r.path, rank: String(i + 1) } });
      g.append(s("text", { x: 0, y: y + rowH / 2, class: "t-label" }, `${i + 1}. ${factorName(r.path)}`));
      for (const p of panels) {
        const pts = r.by_value.filter((b) => b[p.key] !== null && b[p.key] !== undefined);
        if (!pts.length) continue;
        const lo = pts.reduce((a, b) => (b[p.key] < a[p.key] ? b : a));
        const hi = pts.reduce((a, b) => (b[p.key] > a[p.key] ? b : a));
        const yb = y + 14;
        if (hi[p.key] > lo[p.key]) {
          g.append(
            s(
              "rect",
              { x: p.sx(lo[p.key]), y: yb, width: Math.max(1, p.sx(hi[p.key]) - p.sx(lo[p.key])), height: 16, class: "t-bar", dataset: { panel: p.key } },
              s("title", {}, `${factorName(r.path)}: ${named(r.path, lo)} ${p.text(lo[p.key])} → ${named(r.path, hi)} ${p.text(hi[p.key])}`),
            ),
          );
          g.append(s("text", { x: p.sx(lo[p.key]), y: yb - 3, class: "t-end" }, `${named(r.path, lo)}: ${p.text(lo[p.key])}`));
          g.append(s("text", { x: p.sx(hi[p.key]) + 4, y: yb + 12, class: "t-end" }, p.text(hi[p.key])));
          g.append(s("text", { x: p.sx(hi[p.key]), y: yb + 29, class: "t-end t-hi", "text-anchor": "end" }, named(r.path, hi)));
        } else {
          const x = p.sx(lo[p.key]);
          const right = x > p.x0 + panelW / 2; // near the panel's right end: the words on its left
          g.append(s("line", { x1: x, x2: x, y1: yb - 2, y2: yb + 18, class: "t-tickmark", dataset: { panel: p.key } }));
          g.append(
            s(
              "text",
              { x: right ? x - 6 : x + 6, y: yb + 12, class: "t-end", "text-anchor": right ? "end" : "start" },
              t("sweep.no_change", { value: p.text(lo[p.key]) }),
            ),
          );
        }
      }
      svg.append(g);
    });
    return h("div", { class: "tornado-box" }, svg);
  }

  function table(result, named, dayText) {
    const body = [];
    result.ranking.forEach((r, i) => {
      body.push(
        h(
          "tr",
          { class: "factor", dataset: { path: r.path } },
          h("td", { class: "num" }, String(i + 1)),
          h("th", { scope: "row", colspan: "2" }, factorName(r.path)),
          h("td", { class: "num" }, `Δ ${fmtNum(r.swing_trips_lost)}`),
          h("td", { class: "num" }, t("sweep.swing_days", { n: num(r.swing_first_day_lost) })),
        ),
      );
      for (const b of r.by_value) {
        body.push(
          h(
            "tr",
            { class: "value", dataset: { path: r.path } },
            h("td", {}, ""),
            h("td", {}, ""),
            h("td", {}, named(r.path, b)),
            h("td", { class: "num" }, fmtNum(b.trips_lost)),
            h("td", { class: "num" }, dayText(b.first_day_lost)),
          ),
        );
      }
    });
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "sweep-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col", class: "num" }, t("sweep.col_rank")),
            h("th", { scope: "col" }, t("sweep.col_factor")),
            h("th", { scope: "col" }, t("sweep.col_value")),
            h("th", { scope: "col", class: "num" }, t("sweep.col_trips")),
            h("th", { scope: "col", class: "num" }, t("sweep.col_day")),
          ),
        ),
        h("tbody", {}, body),
      ),
    );
  }

  window.addEventListener("langchange", relabel);
  relabel();
  sel.value = presetOf("backtest-2022") ? "backtest-2022" : scenarios[0]?.name ?? "";
  titleSelect();
  // the newest sweep (a reload, or one a colleague started) is shown until another is run
  api("/api/simulations/sweeps")
    .then((list) => {
      if (list.length && !sweepId) follow(list[0].id);
    })
    .catch((err) => {
      status.textContent = explain(err);
    });
}
