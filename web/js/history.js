// History: a train's speed and position, or a substation's voltage and current, over a span.
// Train history runs on field time (the emulator may run faster than real time); both are
// shown in Hanoi time.

import { api } from "./api.js";
import { lineChart } from "./charts.js";
import { $, fill, h } from "./dom.js";
import { fmtDateTime, fmtNum } from "./fmt.js";
import { clearErrors, showErrors, values } from "./forms.js";
import { t } from "./i18n.js";
import { initPage } from "./shell.js";

const SPECS = {
  train: {
    url: (id) => `/api/history/trains/${encodeURIComponent(id)}`,
    fields: ["speed_kmh", "pos_m"],
    charts: [
      { field: "speed_kmh", title: "history.speed", y: "km/h", color: "#58a6ff" },
      { field: "pos_m", title: "history.position", y: "m", color: "#3fb950" },
    ],
  },
  substation: {
    url: (id) => `/api/history/substations/${encodeURIComponent(id)}`,
    fields: ["dc_bus_voltage", "feeder_current"],
    charts: [
      { field: "dc_bus_voltage", title: "history.voltage", y: "V", color: "#e3b341" },
      { field: "feeder_current", title: "history.current", y: "A", color: "#ff7b72" },
    ],
  },
};

const me = await initPage("history");
if (me) main(); // not awaited: the page counts as loaded while its data arrives

async function main() {
  const line = await api("/api/line");
  const form = $("#history-form");
  const params = new URLSearchParams(location.search);
  let charts = [];
  let timer = null;

  function fillEntities() {
    const kind = form.elements.namedItem("kind").value;
    const ids = kind === "train" ? line.trains : line.substations.map((s) => s.id);
    const names = Object.fromEntries(line.substations.map((s) => [s.id, s.name]));
    const sel = form.elements.namedItem("entity");
    const keep = sel.value;
    fill(sel, ids.map((id) => h("option", { value: id }, names[id] ? `${id} ${names[id]}` : id)));
    if (ids.includes(keep)) sel.value = keep;
  }

  form.elements.namedItem("kind").value = params.get("kind") === "substation" ? "substation" : "train";
  fillEntities();
  if (params.get("entity")) form.elements.namedItem("entity").value = params.get("entity");
  if (params.get("minutes")) form.elements.namedItem("minutes").value = params.get("minutes");
  form.elements.namedItem("kind").addEventListener("change", () => {
    fillEntities();
    load();
  });

  async function load() {
    clearTimeout(timer);
    clearErrors(form);
    const v = values(form);
    const spec = SPECS[v.kind];
    history.replaceState(null, "", `?kind=${v.kind}&entity=${v.entity}&minutes=${v.minutes}`);
    let out;
    try {
      out = await api(`${spec.url(v.entity)}?minutes=${v.minutes}&fields=${spec.fields.join(",")}`);
    } catch (err) {
      showErrors(form, err, { train: "entity", device: "entity" });
      return;
    }
    const rows = out.rows ?? [];
    const x = rows.map((r) => r.ts_ms / 1000);
    for (const c of charts) c.destroy();
    charts = spec.charts.map((c, i) => {
      $(`#c${i + 1}-title`).textContent = `${v.entity} · ${t(c.title)} (${c.y})`;
      const host = $(`#chart${i + 1}`);
      host.replaceChildren();
      const chart = lineChart(host, { series: [{ label: t(c.title), color: c.color }], yLabel: c.y });
      chart.setData([x, rows.map((r) => (typeof r[c.field] === "number" ? r[c.field] : null))]);
      host.dataset.points = String(rows.length);
      return chart;
    });
    $("#history-note").textContent = rows.length
      ? t("history.rows", {
          n: fmtNum(rows.length),
          from: fmtDateTime(rows[0].ts_ms),
          to: fmtDateTime(rows.at(-1).ts_ms),
        })
      : t("history.no_rows");
    if (v.auto) timer = setTimeout(load, 10000);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  form.elements.namedItem("auto").addEventListener("change", load);
  window.addEventListener("langchange", load);
  await load();
}
