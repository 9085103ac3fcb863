// Time-distance (Marey) graph: x = Hanoi time, y = chainage with the stations; the timetable's
// planned paths dashed, the trains' actual paths solid, headways out of bounds marked, and the
// regularity figures (excess waiting time, bunching, gaps) as tiles and per hour.
//
// Drawn in SVG from GET /api/marey. Paths are drawn in data coordinates (seconds, metres) in a
// group whose transform maps them to the screen, so moving the time window changes one
// attribute; each poll only updates the paths that grew (planned paths are taken once per
// day). Times from the API are seconds after Hanoi midnight: shown as they are, whatever the
// browser's zone.

import { api, describeError } from "./api.js";
import { $, fill, h, s } from "./dom.js";
import { fmtDate, fmtDuration, fmtNum } from "./fmt.js";
import { t } from "./i18n.js";
import { initPage } from "./shell.js";

const POLL_MS = 5000;
const M = { left: 150, right: 24, top: 16, bottom: 58 }; // margins, px
const HEIGHT = 560;
// EWT colours: ≤ 1 min fine, ≤ 2 min watch, above that act (ESTIMATE: London Buses' minimum
// standards for high-frequency routes sit around 1–1.5 min; no published Hanoi standard)
const EWT_WARN_S = 60;
const EWT_ALERT_S = 120;

const me = await initPage("marey");
if (me) main(); // not awaited: the page counts as loaded while its data arrives

function hhmm(sec) {
  const m = Math.floor((((sec % 86400) + 86400) % 86400) / 60);
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

function ewtClass(ewt) {
  if (ewt === null || ewt === undefined) return "";
  if (ewt > EWT_ALERT_S) return "alert";
  if (ewt > EWT_WARN_S) return "warn";
  return "";
}

function fmtEwt(ewt) {
  if (ewt === null || ewt === undefined) return "—";
  return ewt >= 0 ? `+${fmtDuration(ewt)}` : fmtDuration(ewt);
}

function dOf(points) {
  let d = "";
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i];
    d += `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
  }
  return d;
}

async function main() {
  const form = $("#marey-form");
  const graph = $("#marey-graph");
  const note = $("#marey-note");
  const st = {
    data: null, // the last answer
    day: null, // its service date
    direction: null, // the direction the planned paths were taken for
    drawn: new Map(), // actual path id → {el, n, last}
    timer: null,
  };

  // --- the SVG skeleton, built once ------------------------------------------------------
  const svg = s("svg", {
    id: "marey-svg",
    class: "marey-svg",
    role: "img",
    "aria-labelledby": "marey-graph-h",
  });
  const clip = s("clipPath", { id: "marey-clip" }, s("rect", { id: "marey-clip-rect" }));
  const axes = s("g", { class: "axes" });
  const plot = s("g", { "clip-path": "url(#marey-clip)" });
  const dataG = s("g", { class: "data" });
  const plannedG = s("g", { class: "planned-paths" });
  const actualG = s("g", { class: "actual-paths" });
  dataG.append(plannedG, actualG);
  const nowLine = s("line", { class: "now-line" });
  const overlay = s("g", { class: "overlay" }); // pixel space: marks, live heads
  plot.append(dataG, nowLine, overlay);
  const strip = s("g", { class: "ewt-strip" });
  svg.append(s("defs", {}, clip), axes, plot, strip);
  graph.append(svg);

  function geometry() {
    const d = st.data;
    const width = Math.max(graph.clientWidth, 320); // narrower: the graph scrolls
    const span = Number(form.elements.namedItem("span").value);
    let t0;
    let t1;
    if (!span) {
      t0 = d.start_s - 900;
      t1 = d.end_s + 900;
    } else {
      // most of the window behind now, a quarter ahead: what is coming is planned only
      t0 = d.now_s - span * 0.75;
      t1 = d.now_s + span * 0.25;
    }
    const maxCh = Math.max(...d.stations.map((x) => x.chainage_m));
    const pw = width - M.left - M.right;
    const ph = HEIGHT - M.top - M.bottom;
    return { width, t0, t1, pw, ph, sx: pw / (t1 - t0), sy: ph / (maxCh || 1) };
  }

  let g = null;
  const px = (tt) => M.left + (tt - g.t0) * g.sx;
  const py = (ch) => M.top + ch * g.sy;

  function layout() {
    g = geometry();
    svg.setAttribute("viewBox", `0 0 ${g.width} ${HEIGHT}`);
    svg.setAttribute("width", g.width);
    svg.setAttribute("height", HEIGHT);
    const r = $("#marey-clip-rect");
    r.setAttribute("x", M.left);
    r.setAttribute("y", 0);
    r.setAttribute("width", g.pw);
    r.setAttribute("height", HEIGHT - M.bottom + 4);
    dataG.setAttribute(
      "transform",
      `matrix(${g.sx} 0 0 ${g.sy} ${M.left - g.t0 * g.sx} ${M.top})`,
    );
    drawAxes();
    drawOverlay();
    drawStrip();
  }

  function drawAxes() {
    const d = st.data;
    const parts = [];
    for (const stn of d.stations) {
      const y = py(stn.chainage_m);
      parts.push(
        s("line", { class: "grid station", x1: M.left, x2: M.left + g.pw, y1: y, y2: y }),
        s(
          "text",
          { class: "station-label", x: M.left - 8, y: y + 4, "text-anchor": "end" },
          stn.name,
        ),
      );
    }
    const span = g.t1 - g.t0;
    const step = span <= 3 * 3600 ? 900 : span <= 6 * 3600 ? 1800 : 3600;
    for (let tt = Math.ceil(g.t0 / step) * step; tt <= g.t1; tt += step) {
      const x = px(tt);
      parts.push(
        s("line", { class: "grid time", x1: x, x2: x, y1: M.top, y2: HEIGHT - M.bottom }),
        s(
          "text",
          { class: "time-label", x, y: HEIGHT - M.bottom + 16, "text-anchor": "middle" },
          hhmm(tt),
        ),
      );
    }
    fill(axes, parts);
  }

  function drawOverlay() {
    const d = st.data;
    const x = px(d.now_s);
    for (const [k, v] of [["x1", x], ["x2", x], ["y1", M.top - 6], ["y2", HEIGHT - M.bottom]]) {
      nowLine.setAttribute(k, v);
    }
    const parts = [];
    const chOf = Object.fromEntries(d.stations.map((x2) => [x2.id, x2.chainage_m]));
    const names = Object.fromEntries(d.stations.map((x2) => [x2.id, x2.name]));
    for (const m of d.marks) {
      if (m.t_s < g.t0 || m.t_s > g.t1) continue;
      const cx = px(m.t_s);
      const cy = py(chOf[m.station]);
      const title = t(m.kind === "gap" ? "marey.mark_gap" : "marey.mark_bunching", {
        station: names[m.station],
        time: hhmm(m.t_s),
        headway: fmtDuration(m.headway_s),
        planned: fmtDuration(m.scheduled_s),
      });
      const shape =
        m.kind === "gap"
          ? s("circle", { cx, cy, r: 6 })
          : s("path", { d: `M${cx},${cy - 7}L${cx + 7},${cy + 5}L${cx - 7},${cy + 5}Z` });
      parts.push(s("g", { class: `mark ${m.kind}` }, shape, s("title", {}, title)));
    }
    for (const p of d.actual) {
      if (!p.live) continue;
      const [tt, ch] = p.points[p.points.length - 1];
      const cx = px(tt);
      const cy = py(ch);
      parts.push(
        s(
          "g",
          { class: `head track-${p.direction}`, dataset: { train: p.train } },
          s("circle", { cx, cy, r: 4.5 }),
          s("text", { x: cx + 7, y: cy - 6 }, p.train),
        ),
      );
    }
    fill(overlay, parts);
  }

  function drawStrip() {
    // EWT per hour under the time axis (both directions, or the one shown)
    const want = Number(form.elements.namedItem("direction").value);
    const hours = st.data.regularity.hours.filter((x) => x.direction === want);
    const y = HEIGHT - M.bottom + 24;
    const parts = [
      s(
        "text",
        { class: "strip-label", x: M.left - 8, y: y + 14, "text-anchor": "end" },
        t("marey.ewt_short"),
      ),
    ];
    for (const hr of hours) {
      const a = Math.max(px(hr.hour * 3600), M.left);
      const b = Math.min(px(hr.hour * 3600 + 3600), M.left + g.pw);
      if (b - a < 2) continue;
      parts.push(
        s(
          "g",
          { class: `ewt-cell ${ewtClass(hr.ewt_s)}`, dataset: { hour: hr.hour } },
          s("rect", { x: a + 1, y, width: b - a - 2, height: 20, rx: 3 }),
          b - a > 44
            ? s("text", { x: (a + b) / 2, y: y + 14, "text-anchor": "middle" }, fmtEwt(hr.ewt_s))
            : null,
          s(
            "title",
            {},
            t("marey.hour_title", {
              hour: hhmm(hr.hour * 3600),
              ewt: fmtEwt(hr.ewt_s),
              bunching: hr.bunching,
              gaps: hr.gaps,
            }),
          ),
        ),
      );
    }
    fill(strip, parts);
  }

  // --- paths -----------------------------------------------------------------------------
  function drawPlanned() {
    fill(
      plannedG,
      st.data.planned.map((p) =>
        s(
          "path",
          {
            class: `planned track-${p.direction}`,
            d: dOf(p.points),
            "vector-effect": "non-scaling-stroke",
            dataset: { trip: p.id },
          },
          s("title", {}, t("marey.planned_title", { trip: p.id, train: p.train })),
        ),
      ),
    );
  }

  function updateActual() {
    const seen = new Set();
    for (const p of st.data.actual) {
      seen.add(p.id);
      const last = p.points[p.points.length - 1].join(",");
      let e = st.drawn.get(p.id);
      if (!e) {
        const el = s("path", {
          class: `actual track-${p.direction}`,
          "vector-effect": "non-scaling-stroke",
          dataset: { train: p.train, id: p.id },
        });
        el.append(s("title", {}, p.train));
        actualG.append(el);
        e = { el, n: -1, last: "" };
        st.drawn.set(p.id, e);
      }
      if (e.n !== p.points.length || e.last !== last) {
        e.el.setAttribute("d", dOf(p.points)); // only paths that grew are touched
        e.n = p.points.length;
        e.last = last;
      }
      e.el.classList.toggle("live", p.live);
    }
    for (const [id, e] of st.drawn) {
      if (!seen.has(id)) {
        e.el.remove();
        st.drawn.delete(id);
      }
    }
  }

  // --- tiles, legend, hours table --------------------------------------------------------
  function tile(id, cls, label, value, extra) {
    return h(
      "div",
      { class: `kpi ${cls}`, id: `kpi-${id}` },
      h("div", { class: "kpi-label" }, label),
      h("div", { class: "kpi-value" }, value),
      extra ? h("div", { class: "kpi-extra" }, extra) : null,
    );
  }

  function drawTiles() {
    const r = st.data.regularity;
    const want = Number(form.elements.namedItem("direction").value);
    const day = r.day.find((x) => x.direction === want) ?? null;
    const nowHour = Math.floor(st.data.now_s / 3600);
    const hour = r.hours.find((x) => x.direction === want && x.hour === nowHour) ?? null;
    const waits = (x) =>
      x
        ? t("marey.waits", { awt: fmtDuration(x.awt_s), swt: fmtDuration(x.swt_s) })
        : t("marey.no_headways");
    fill(
      $("#marey-kpis"),
      h("h2", { id: "marey-kpis-h", class: "visually-hidden" }, t("marey.regularity")),
      tile(
        "ewt-hour",
        ewtClass(hour?.ewt_s),
        t("marey.ewt_hour"),
        fmtEwt(hour?.ewt_s),
        waits(hour),
      ),
      tile("ewt-day", ewtClass(day?.ewt_s), t("marey.ewt_day"), fmtEwt(day?.ewt_s), waits(day)),
      tile(
        "bunching",
        day?.bunching ? "warn" : "",
        t("marey.bunching"),
        fmtNum(day?.bunching ?? 0),
        t("marey.this_hour", { n: hour?.bunching ?? 0, pct: Math.round(r.bunch_factor * 100) }),
      ),
      tile(
        "gaps",
        day?.gaps ? "alert" : "",
        t("marey.gaps"),
        fmtNum(day?.gaps ?? 0),
        t("marey.this_hour_gap", { n: hour?.gaps ?? 0, pct: Math.round(r.gap_factor * 100) }),
      ),
      tile(
        "headways",
        "",
        t("marey.headways"),
        fmtNum(day?.headways ?? 0),
        t("marey.headways_extra"),
      ),
    );
  }

  function drawLegend() {
    const item = (cls, label) =>
      h(
        "span",
        { class: "item" },
        h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }),
        label,
      );
    fill(
      $("#marey-legend"),
      item("planned", t("marey.legend_planned")),
      item("actual track-1", t("marey.legend_track1")),
      item("actual track-2", t("marey.legend_track2")),
      item("mark bunching", t("marey.legend_bunching")),
      item("mark gap", t("marey.legend_gap")),
      item("now", t("marey.legend_now")),
    );
  }

  function drawHours() {
    const want = Number(form.elements.namedItem("direction").value);
    const rows = st.data.regularity.hours.filter((x) => x.direction === want);
    if (!rows.length) {
      fill($("#marey-hours"), h("p", { class: "muted" }, t("marey.no_headways")));
      return;
    }
    const cols = [
      "marey.col_hour",
      "marey.col_headways",
      "marey.col_awt",
      "marey.col_swt",
      "marey.col_ewt",
      "marey.col_bunching",
      "marey.col_gaps",
    ];
    const table = h(
      "table",
      { class: "data marey-hours" },
      h("thead", {}, h("tr", {}, cols.map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        rows.map((x) =>
          h(
            "tr",
            {},
            h("td", {}, `${hhmm(x.hour * 3600)}–${hhmm(x.hour * 3600 + 3600)}`),
            h("td", {}, fmtNum(x.headways)),
            h("td", {}, fmtDuration(x.awt_s)),
            h("td", {}, fmtDuration(x.swt_s)),
            h("td", { class: ewtClass(x.ewt_s) }, fmtEwt(x.ewt_s)),
            h("td", {}, fmtNum(x.bunching)),
            h("td", {}, fmtNum(x.gaps)),
          ),
        ),
      ),
    );
    fill($("#marey-hours"), h("div", { class: "table-wrap" }, table));
  }

  function drawText() {
    drawTiles();
    drawLegend();
    drawHours();
    const d = st.data;
    note.textContent = t(d.complete ? "marey.note" : "marey.note_loading", {
      // a calendar date (YYYY-MM-DD): shown as the UI writes dates, dd/mm/yyyy; at Hanoi noon
      // so no zone can move it to another day
      date: fmtDate(`${d.service_date}T12:00:00+07:00`),
      time: hhmm(d.now_s),
      actual: d.actual.length,
      planned: plannedG.childElementCount,
    });
  }

  // --- loading ---------------------------------------------------------------------------
  async function load() {
    clearTimeout(st.timer);
    const direction = form.elements.namedItem("direction").value;
    const fresh = st.direction !== direction;
    let data;
    try {
      data = await api(`/api/marey?direction=${direction}&planned=${fresh || !st.day}`);
    } catch (err) {
      note.textContent = describeError(err);
      schedule();
      return;
    }
    if (st.day && data.service_date !== st.day && !fresh) {
      // a new service day: its own timetable
      st.direction = null;
      return load();
    }
    st.data = data;
    if (fresh || !st.day) {
      st.direction = direction;
      st.day = data.service_date;
      drawPlanned();
    }
    updateActual();
    layout();
    drawText();
    schedule();
  }

  function schedule() {
    if (form.elements.namedItem("auto").checked) st.timer = setTimeout(load, POLL_MS);
  }

  form.elements.namedItem("direction").addEventListener("change", () => {
    st.direction = null;
    load();
  });
  form.elements.namedItem("span").addEventListener("change", () => st.data && layout());
  form.elements.namedItem("auto").addEventListener("change", () => {
    clearTimeout(st.timer);
    schedule();
  });
  form.addEventListener("submit", (e) => e.preventDefault());
  window.addEventListener("resize", () => st.data && layout());
  window.addEventListener("langchange", () => {
    if (!st.data) return;
    drawText();
    drawOverlay();
    drawStrip();
  });
  await load();
}
