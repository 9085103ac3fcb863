// What-if: two scenarios side by side. Each runs on the server (POST /api/simulations) with
// live progress and can be cancelled; results are drawn as p10–p90 bands per day (trips,
// peak headway, drivers available, overtime) on shared scales so A and B compare by eye.
// The run ids live in the URL (#a=…&b=…), so a reload or a shared link shows the same runs.

import { ApiError, api, describeError } from "./api.js";
import { bandChart } from "./charts.js";
import { $, fill, h } from "./dom.js";
import { fmtDay, fmtDm, fmtNum, hanoiDate } from "./fmt.js";
import { clearErrors, showErrors, showMessage, values } from "./forms.js";
import { applyI18n, has, t } from "./i18n.js";
import { can } from "./roles.js";
import { initPage } from "./shell.js";

const PRESETS = {
  quick: { days: 7, replications: 10 },
  standard: { days: 30, replications: 50 },
  full: { days: 60, replications: 200 },
};
const DONE = new Set(["done", "succeeded", "completed", "failed", "error", "cancelled", "canceled"]);
const COLORS = { a: "#58a6ff", b: "#e3b341", grey: "#a7b1bc", red: "#ff7b72" };

const me = await initPage("whatif");
if (me) main(me); // not awaited: the page counts as loaded while its data arrives

function get(obj, path) {
  return path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
}

function statusOf(run) {
  return String(run.status ?? run.state ?? "").toLowerCase();
}

/** 0…1 from {progress: 0.4} or {progress: {done, total}} or {done, total}. */
function progressOf(run) {
  const p = run.progress;
  if (typeof p === "number") return p > 1 ? p / 100 : p;
  const o = p && typeof p === "object" ? p : run;
  if (typeof o.done === "number" && o.total) return o.done / o.total;
  return null;
}

async function main(me) {
  const mayRun = can(me.role, "runWhatIf");
  let scenarios = [];
  try {
    const raw = await api("/api/simulations/scenarios");
    const list = Array.isArray(raw) ? raw : raw.scenarios ?? raw.presets ?? Object.values(raw);
    scenarios = list.map((s) =>
      typeof s === "string"
        ? { name: s }
        : {
            name: s.name ?? s.id,
            title: s.title ?? s.label,
            description: s.description ?? "",
            scenario: s.scenario ?? null,
          },
    );
  } catch (err) {
    fill($("#runs"), h("p", { class: "notice error", role: "alert" }, describeError(err)));
    return;
  }
  const shared = {}; // chart key → {min, max} over both panes
  const panes = { a: new Pane("a", "baseline"), b: new Pane("b", scenarios[1]?.name ?? "baseline") };
  fill($("#runs"), panes.a.root, panes.b.root);

  const hash = new URLSearchParams(location.hash.slice(1));
  for (const k of ["a", "b"]) if (hash.get(k)) panes[k].follow(hash.get(k));

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
      box.textContent = t("whatif.compare_hint");
      return;
    }
    let cmp = null;
    try {
      cmp = await api(`/api/simulations/compare?a=${encodeURIComponent(a.runId)}&b=${encodeURIComponent(b.runId)}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        box.textContent = describeError(err);
        return;
      }
    }
    fill(box, compareTable(a.result, b.result, cmp));
  }

  function compareTable(ra, rb, cmp) {
    const num = (v, d = 0) => (v === null || v === undefined ? "—" : fmtNum(v, d));
    const signed = (v, d = 0) => (v === null || v === undefined ? "—" : `${v > 0 ? "+" : ""}${fmtNum(v, d)}`);
    const row = (label, fa, fb, diff) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, label),
        h("td", { class: "num" }, fa),
        h("td", { class: "num" }, fb),
        h("td", { class: "num" }, diff ?? ""),
      );
    const lostText = (x) =>
      !x
        ? "—"
        : x.share_lost
          ? t("whatif.lost_on_day", { p50: num(x.p50), share: fmtNum(100 * x.share_lost) })
          : t("whatif.never_lost");
    const rows = [row(t("whatif.scenario"), ra.scenario, rb.scenario)];
    if (cmp?.summary) {
      for (const [key, pair] of Object.entries(cmp.summary)) {
        const label = has(`whatif.k_${key}`) ? t(`whatif.k_${key}`) : key;
        const d = Math.abs(pair.a?.p50 ?? 0) < 10 ? 2 : 0;
        rows.push(row(label, num(pair.a?.p50, d), num(pair.b?.p50, d), signed(pair.diff_p50, d)));
      }
      for (const [level, pair] of Object.entries(cmp.first_day_lost ?? {})) {
        if (!has(`whatif.level_${level}`)) continue;
        rows.push(row(t(`whatif.level_${level}`), lostText(pair.a), lostText(pair.b)));
      }
    } else {
      for (const lv of ["timetable", "peak_headway", "headway_10min"]) {
        rows.push(row(t(`whatif.level_${lv}`), lostText(ra.summary?.first_day_lost?.[lv]), lostText(rb.summary?.first_day_lost?.[lv])));
      }
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
    fill(sel, scenarios.map((s) => h("option", { value: s.name }, s.title ?? s.name)));
    sel.value = scenarios.some((s) => s.name === defaultScenario) ? defaultScenario : scenarios[0]?.name ?? "";
    const desc = root.querySelector(".scenario-desc");
    const jsonBox = form.elements.namedItem("scenario_json");
    const doubling = form.elements.namedItem("doubling_days");
    const preset = () => scenarios.find((s) => s.name === sel.value);
    const presetJson = () => (preset()?.scenario ? JSON.stringify(preset().scenario, null, 1) : "");
    const showDesc = () => {
      desc.textContent = preset()?.description ?? "";
      jsonBox.value = presetJson();
      doubling.value = "";
      doubling.placeholder = String(preset()?.scenario?.incidence?.doubling_days ?? "");
    };
    sel.addEventListener("change", showDesc);
    showDesc();
    for (const b of root.querySelectorAll("[data-preset]")) {
      b.addEventListener("click", () => {
        const p = PRESETS[b.dataset.preset];
        form.elements.namedItem("days").value = p.days;
        form.elements.namedItem("replications").value = p.replications;
      });
    }
    const status = root.querySelector(".run-status");
    const progress = root.querySelector(".run-progress");
    const cancelBtn = root.querySelector(".cancel-btn");
    const runBtn = root.querySelector(".run-btn");
    const periodSel = root.querySelector(".period-select");
    if (!mayRun) {
      // planners and admins run what-ifs; anyone else may look at runs shared by link
      for (const el of form.querySelectorAll("input, select, button")) el.disabled = true;
      showMessage(form, t("whatif.read_only"));
    }
    const pane = {
      root,
      runId: null,
      result: null,
      extents: {},
      charts: {},
      follow,
      relabel,
      redraw,
    };
    let pollTimer = null;

    function relabel() {
      title.textContent = t("whatif.side", { side: key.toUpperCase() });
      applyI18n(root);
      periodSel.setAttribute("aria-label", t("whatif.period"));
      if (pane.result) {
        destroyCharts();
        draw();
      }
    }
    relabel();

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const v = values(form);
      const ints = { days: [1, 366], replications: [1, 1000], seed: [0, 2 ** 31 - 1] };
      const problems = [];
      for (const [name, [lo, hi]] of Object.entries(ints)) {
        const n = Number(v[name]);
        if (v[name] === "" || !Number.isInteger(n) || n < lo || n > hi) {
          problems.push({ field: name, msg: t("whatif.err_int", { lo, hi }) });
        }
      }
      // the preset by name, unless its parameters were changed: then the whole scenario
      let scenario = v.scenario;
      if (v.scenario_json !== presetJson() || v.doubling_days !== "") {
        try {
          scenario = JSON.parse(v.scenario_json || "{}");
        } catch (exc) {
          problems.push({ field: "scenario_json", msg: t("whatif.err_json", { msg: exc.message }) });
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
        follow(out.id ?? out.run_id);
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
      pane.result = null;
      saveHash();
      clearTimeout(pollTimer);
      destroyCharts();
      fill(root.querySelector(".run-summary"));
      progress.hidden = false;
      progress.removeAttribute("value"); // indeterminate until the first report
      cancelBtn.hidden = !mayRun;
      cancelBtn.disabled = false;
      runBtn.disabled = true;
      poll();
    }

    async function poll() {
      let run;
      try {
        run = await api(`/api/simulations/${encodeURIComponent(pane.runId)}`);
      } catch (err) {
        status.textContent = describeError(err);
        finish();
        return;
      }
      const st = statusOf(run);
      const frac = progressOf(run);
      if (frac !== null) progress.value = frac;
      status.textContent = [
        t(`whatif.status_${st}`),
        frac !== null && !DONE.has(st) ? `${fmtNum(100 * frac)} %` : "",
        run.error ? String(run.error) : "",
      ]
        .filter(Boolean)
        .join(" · ");
      root.dataset.status = st;
      if (!DONE.has(st)) {
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
      const pick = (q) => days.map((d) => {
        const v = get(d, path)?.[q];
        return v === null || v === undefined ? null : v * scale;
      });
      return [pick("p10"), pick("p50"), pick("p90")];
    }

    function extent(key, arrays) {
      const vals = arrays.flat().filter((v) => v !== null && Number.isFinite(v));
      if (vals.length) pane.extents[key] = [Math.min(0, ...vals), Math.max(...vals)];
    }

    function draw() {
      const r = pane.result;
      const days = r.days ?? [];
      const x = days.map((d) => Date.parse(`${d.date}T00:00:00+07:00`) / 1000);
      const periods = Object.keys(days[0]?.periods ?? {});
      if (!periodSel.options.length) {
        fill(periodSel, periods.map((p) => h("option", { value: p }, p)));
        periodSel.value = periods.find((p) => p.includes("peak")) ?? periods[0] ?? "";
        periodSel.addEventListener("change", () => {
          destroyCharts();
          draw();
          rescale();
        });
      }
      renderSummary(r);
      const range = (key) => (min, max) => {
        const s = shared[key];
        return s ? [s.min, s.max * 1.05 || 1] : [Math.min(0, min), max * 1.05 || 1];
      };
      const chart = (name, groups, data, yLabel) => {
        const host = root.querySelector(`[data-chart="${name}"]`);
        pane.charts[name] = bandChart(host, {
          groups,
          yLabel,
          yRange: range(name),
          xFmt: (v) => fmtDm(v * 1000), // one point per service day
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
      const hw = series(days, `periods.${periodSel.value}.headway_s`, 1 / 60);
      const hwPlan = days.map((d) => {
        const p = d.periods?.[periodSel.value];
        return p?.planned_headway_s?.p50 ? p.planned_headway_s.p50 / 60 : null;
      });
      extent("headway", [...hw]);
      chart(
        "headway",
        [{ label: t("whatif.s_headway"), color: COLORS[key], band: true }, { label: t("whatif.s_planned"), color: COLORS.grey, dash: [6, 4] }],
        [...hw, hwPlan],
        t("whatif.y_minutes"),
      );
      const staff = series(days, "staff.driver.available");
      const req = series(days, "staff.driver.required")[1];
      extent("staff", [...staff, req]);
      chart(
        "staff",
        [{ label: t("whatif.s_available"), color: COLORS[key], band: true }, { label: t("whatif.s_required"), color: COLORS.red, dash: [6, 4] }],
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
      const lost = r.summary?.first_day_lost ?? {};
      const items = [
        [t("whatif.scenario"), r.scenario],
        [t("whatif.period_run"), `${fmtDay(r.start_date)} + ${r.days_simulated} ${t("whatif.days_unit")}`],
        [t("whatif.replications"), `${r.replications} (seed ${r.seed})`],
      ];
      for (const lv of ["timetable", "peak_headway", "headway_10min"]) {
        const x = lost[lv];
        if (!x) continue;
        items.push([
          t(`whatif.level_${lv}`),
          x.share_lost
            ? t("whatif.lost_on_day", { p50: x.p50 === null ? "—" : fmtNum(x.p50), share: fmtNum(100 * x.share_lost) })
            : t("whatif.never_lost"),
        ]);
      }
      fill(root.querySelector(".run-summary"), items.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    }

    return pane;
  }
}
