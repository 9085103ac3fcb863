// uPlot charts for the what-if and history pages: built once, fed columnar data with setData,
// p10–p90 bands drawn as a filled area between two series. Axes in Hanoi time.

import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { TZ, fmtAxis, fmtDateTime, fmtNum } from "./fmt.js";
import { t } from "./i18n.js";

const AXIS = {
  stroke: "#a7b1bc",
  grid: { stroke: "#2a323d", width: 1 },
  ticks: { stroke: "#3b4654", width: 1 },
};

const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), TZ);

function sizeOf(host, height) {
  return { width: Math.max(280, Math.floor(host.clientWidth || 600) - 4), height };
}

/**
 * A chart of bands: each entry of ``groups`` is {label, color, band: true|false}; data is
 * [x, ...for each group: band ? (p10, p50, p90) : (values)]. Returns {plot, setData(data)}.
 * ``xIncrs`` limits the x ticks to those steps (seconds), e.g. whole days for daily data.
 */
export function bandChart(
  host,
  { groups, yLabel, height = 220, xTime = true, yFmt, yRange, xFmt, xValue, xIncrs },
) {
  const yValue = (u, v) => (v === null || v === undefined ? "—" : fmtNum(v, 1));
  const series = [
    {
      label: t("chart.time"),
      value: (u, v) =>
        v === null || v === undefined ? "—" : (xValue ?? ((x) => fmtDateTime(x * 1000)))(v),
    },
  ];
  const bands = [];
  for (const g of groups) {
    if (g.band) {
      const lo = series.length;
      series.push(
        { label: `${g.label} p10`, stroke: g.color, width: 1, dash: [4, 4], value: yValue },
        { label: `${g.label} p50`, stroke: g.color, width: 2, value: yValue },
        { label: `${g.label} p90`, stroke: g.color, width: 1, dash: [4, 4], value: yValue },
      );
      bands.push({ series: [lo + 2, lo], fill: `${g.color}33` });
    } else {
      series.push({ label: g.label, stroke: g.color, width: 2, dash: g.dash, value: yValue });
    }
  }
  const yAxis = { ...AXIS, label: yLabel, size: 60 };
  yAxis.values = (u, vals) => vals.map(yFmt ?? ((v) => fmtNum(v, Math.abs(v) < 10 && v % 1 ? 1 : 0)));
  const opts = {
    ...sizeOf(host, height),
    tzDate: xTime ? tzDate : undefined,
    // yRange(min, max) → [min, max]: lets two charts side by side share one scale
    scales: {
      x: { time: xTime },
      y: yRange ? { range: (u, min, max) => yRange(min, max) } : { auto: true },
    },
    series,
    bands,
    axes: [
      {
        ...AXIS,
        ...(xIncrs ? { incrs: xIncrs } : {}), // tick steps allowed (s), e.g. whole days
        // Hanoi time in the UI's language (uPlot's own labels follow the browser's locale)
        values: (u, splits) => {
          const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
          return splits.map((v) => (xFmt ? xFmt(v) : fmtAxis(v * 1000, span)));
        },
      },
      yAxis,
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
  const plot = new uPlot(opts, [[], ...series.slice(1).map(() => [])], host);
  const ro = new ResizeObserver(() => plot.setSize(sizeOf(host, height)));
  ro.observe(host);
  return {
    plot,
    setData(data) {
      plot.setData(data);
    },
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}

/** A plain time-series chart: series [{label, color}], data [x, ...ys]. */
export function lineChart(host, { series, yLabel, height = 260 }) {
  return bandChart(host, {
    groups: series.map((s) => ({ ...s, band: false })),
    yLabel,
    height,
  });
}
