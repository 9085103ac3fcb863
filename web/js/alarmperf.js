// Alarm system performance (ISA-18.2 §16, EEMUA 191) from GET /api/alarms/performance:
// rates per console and 10-minute period, floods, bad actors, chattering, stale and shelved
// alarms. Refreshed every 30 s; times in Hanoi time (fmt.js).

import { api, describeError } from "./api.js";
import { $, fill, h, s } from "./dom.js";
import { fmtDateTime, fmtNum, fmtTime } from "./fmt.js";
import { t } from "./i18n.js";
import { initPage } from "./shell.js";

/** @typedef {import("./types.js").AlarmPerformance} AlarmPerformance */

const POLL_MS = 30000;
const CONSOLES = ["traffic", "power", "crew", "systems"];

const me = await initPage("alarmperf");
if (me) main();

function main() {
  /** @type {AlarmPerformance | null} */
  let data = null;
  let error = null;

  async function load() {
    try {
      data = await api(`/api/alarms/performance?hours=${$("#ap-hours").value}`);
      error = null;
    } catch (err) {
      error = describeError(err);
    }
    render();
  }

  // ids of their own (ap-kpi-…): "#ap-stale" and "#ap-shelved" are the tables
  function tile(id, label, value, cls = "", extra = "") {
    return h(
      "div",
      { class: `kpi ${cls}`, id: `ap-kpi-${id}` },
      h("div", { class: "kpi-label" }, label),
      h("div", { class: "kpi-value" }, value),
      extra ? h("div", { class: "kpi-extra" }, extra) : null,
    );
  }

  const prio = (p) => h("span", { class: `prio p${p}` }, `P${p}`);
  const table = (sel, head, rows, empty) =>
    fill(
      $(sel),
      h("thead", {}, h("tr", {}, head.map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: head.length, class: "muted" }, t(empty)))),
    );

  function render() {
    $("#ap-note").textContent = error ?? (data ? t("ap.window_note", { from: fmtDateTime(data.start_ms), to: fmtTime(data.end_ms) }) : "");
    if (!data) return;
    const d = data;
    // ISA-18.2's rate per operator position is an average over the window (~1 acceptable, ~2
    // the most): the tile is the busiest console's mean, the figure of the table's mean
    // column, and names that console with its busiest 10 minutes (the max column)
    const busiest = d.consoles.reduce((a, c) => (c.mean_per_10min > a.mean_per_10min ? c : a));
    const worst = busiest.mean_per_10min;
    fill(
      $("#ap-kpis"),
      tile("total", t("ap.total"), fmtNum(d.total)),
      tile(
        "rate",
        t("ap.busiest_mean"),
        fmtNum(worst, 2),
        worst > 2 ? "alert" : worst > 1 ? "warn" : "",
        d.total ? t("ap.busiest_of", { console: t(`ap.console.${busiest.console}`), max: fmtNum(busiest.max_per_10min) }) : "",
      ),
      tile("flood", t("ap.flood_pct"), `${fmtNum(d.flood_pct, 1)} %`, d.flood_pct > 1 ? "alert" : ""),
      tile("top10", t("ap.top10"), `${fmtNum(d.top10_share_pct, 0)} %`),
      tile("chattering", t("ap.n_chattering"), fmtNum(d.chattering.length), d.chattering.length ? "warn" : ""),
      tile("stale", t("ap.n_stale"), fmtNum(d.stale.length), d.stale.length ? "warn" : ""),
      tile("shelved", t("ap.n_shelved"), fmtNum(d.shelved.length)),
    );
    drawChart(d);
    table(
      "#ap-consoles",
      ["ap.console", "ap.total", "ap.mean", "ap.max", "ap.over2"],
      d.consoles.map((c) =>
        h(
          "tr",
          { dataset: { console: c.console }, class: c.mean_per_10min > 2 ? "alert" : "" },
          h("th", { scope: "row" }, t(`ap.console.${c.console}`)),
          h("td", { class: "num" }, fmtNum(c.total)),
          h("td", { class: "num mean" }, fmtNum(c.mean_per_10min, 2)),
          h("td", { class: "num" }, fmtNum(c.max_per_10min)),
          h("td", { class: "num" }, fmtNum(c.periods_over_2)),
        ),
      ),
      "ap.none",
    );
    table(
      "#ap-bad",
      ["ap.priority", "ap.alarm", "ap.console", "ap.occurrences", "ap.share"],
      d.bad_actors.map((b) =>
        h(
          "tr",
          { dataset: { key: b.key } },
          h("td", {}, prio(b.priority)),
          h("td", {}, b.message),
          h("td", {}, t(`ap.console.${b.console}`)),
          h("td", { class: "num" }, fmtNum(b.occurrences)),
          h("td", { class: "num" }, `${fmtNum(b.share_pct, 1)} %`),
        ),
      ),
      "ap.none",
    );
    const standing = (sel, rows, extra) =>
      table(
        sel,
        ["ap.priority", "ap.alarm", "ap.since", ...extra.map(([k]) => k)],
        rows.map((x) =>
          h(
            "tr",
            { dataset: { id: String(x.id), key: x.key } },
            h("td", {}, prio(x.priority)),
            h("td", {}, x.message),
            h("td", {}, fmtDateTime(x.since_ms)),
            ...extra.map(([, f]) => h("td", {}, f(x))),
          ),
        ),
        "ap.none",
      );
    standing("#ap-chatter", d.chattering, [["ap.occurrences", (x) => `${fmtNum(x.occurrences)} (${x.detail})`]]);
    standing("#ap-stale", d.stale, []);
    standing("#ap-shelved", d.shelved, [
      ["ap.by", (x) => x.by ?? "—"],
      ["ap.reason", (x) => x.detail ?? "—"],
      ["ap.until", (x) => (x.until_ms ? fmtTime(x.until_ms) : "—")],
    ]);
  }

  /** Occurrences per 10-minute period, stacked by console; the flood line at the threshold. */
  function drawChart(d) {
    const W = 900;
    const H = 160;
    const n = d.per_10min.length;
    const max = Math.max(d.flood_threshold + 1, ...d.per_10min.map((p) => CONSOLES.reduce((a, c) => a + (p.by_console[c] ?? 0), 0)));
    const bw = W / n;
    const y = (v) => H - (v / max) * (H - 10);
    const bars = [];
    for (const [i, p] of d.per_10min.entries()) {
      let acc = 0;
      for (const c of CONSOLES) {
        const v = p.by_console[c] ?? 0;
        if (!v) continue;
        bars.push(s("rect", { class: `ap-bar ${c}`, x: i * bw, y: y(acc + v), width: Math.max(1, bw - 1), height: y(acc) - y(acc + v) }, s("title", {}, `${fmtTime(p.start_ms)} ${t(`ap.console.${c}`)}: ${v}`)));
        acc += v;
      }
    }
    const fy = y(d.flood_threshold);
    fill(
      $("#ap-chart"),
      s(
        "svg",
        { viewBox: `0 0 ${W} ${H}`, class: "ap-chart", role: "img", "aria-label": t("ap.consoles") },
        ...bars,
        s("line", { class: "ap-flood", x1: 0, x2: W, y1: fy, y2: fy }),
        s("text", { class: "ap-flood-label", x: 4, y: fy - 3 }, t("ap.flood_line", { n: d.flood_threshold })),
      ),
      h(
        "p",
        { class: "small legend" },
        CONSOLES.map((c) => h("span", { class: "ap-key" }, h("span", { class: `ap-swatch ${c}` }), ` ${t(`ap.console.${c}`)} `)),
      ),
    );
  }

  $("#ap-hours").addEventListener("change", load);
  window.addEventListener("langchange", load); // messages come in the request's language
  setInterval(load, POLL_MS);
  load();
}
