// The line schematic: 12 stations on two tracks, substations, the depot, and the trains —
// coloured by schedule deviation (body) and load (bar), with fault and driver badges; stale
// telemetry greyed with its age. Our own SVG, built once; each update moves what changed.

import { s } from "./dom.js";
import { fmtAge, fmtDeviation, fmtNum } from "./fmt.js";
import { t } from "./i18n.js";

const W = 1840;
const H = 330;
const LEFT = 60;
const DEPOT_W = 190;
const RIGHT = W - DEPOT_W - 40;
const Y1 = 100; // track 1, outbound Cát Linh → Yên Nghĩa
const Y2 = 190; // track 2, inbound
const BODY_W = 48;
const BODY_H = 22;

/** Deviation class: early, on time, late, very late (thresholds as the punctuality KPI). */
export function deviationClass(dev) {
  if (dev === null || dev === undefined) return "dev-unknown";
  if (dev < -60) return "dev-early";
  if (dev <= 120) return "dev-ok";
  if (dev <= 300) return "dev-late";
  return "dev-verylate";
}

export function loadClass(load) {
  if (load === null || load === undefined) return "load-unknown";
  if (load < 70) return "load-low";
  if (load <= 100) return "load-mid";
  return "load-high";
}

/** On the line (drawn on a track), as opposed to in the depot, off, or never heard from. */
export function onLine(tr) {
  return (
    tr.pos_m !== null &&
    tr.pos_m !== undefined &&
    (tr.track === 1 || tr.track === 2) &&
    tr.mode !== "depot" &&
    tr.mode !== "off"
  );
}

function bodyPath(track) {
  // a carriage with a pointed nose in the direction of travel
  const w = BODY_W / 2;
  const n = 7;
  return track === 1
    ? `M${-w},0 H${w - n} L${w},${BODY_H / 2} L${w - n},${BODY_H} H${-w} Z`
    : `M${w},0 H${-w + n} L${-w},${BODY_H / 2} L${-w + n},${BODY_H} H${w} Z`;
}

export class LineDiagram {
  /**
   * @param {HTMLElement} host  the element to draw into
   * @param {object} line  GET /api/line
   * @param {(train: string) => void} onSelect
   */
  constructor(host, line, onSelect) {
    this.line = line;
    this.onSelect = onSelect;
    this.trains = new Map(); // train id → {g, body, label, load, fault, driver, age, track}
    this.depotSlots = new Map();
    this.svg = s("svg", {
      viewBox: `0 0 ${W} ${H}`,
      class: "line-diagram",
      role: "group",
      "aria-labelledby": "diagram-title",
    });
    this.titleEl = s("title", { id: "diagram-title" });
    this.svg.append(this.titleEl);
    this.staticLayer = s("g", { class: "static" });
    this.subLayer = s("g", { class: "substations" });
    this.trainLayer = s("g", { class: "trains" });
    this.svg.append(this.staticLayer, this.subLayer, this.trainLayer);
    host.replaceChildren(this.svg);
    this.drawStatic();
  }

  x(ch) {
    return LEFT + (ch / this.line.length_m) * (RIGHT - LEFT);
  }

  drawStatic() {
    const g = this.staticLayer;
    g.replaceChildren();
    this.titleEl.textContent = t("board.diagram_title");
    const end = this.x(this.line.length_m);
    for (const [y, track] of [
      [Y1, 1],
      [Y2, 2],
    ]) {
      g.append(s("line", { x1: LEFT - 20, x2: end + 10, y1: y, y2: y, class: "track" }));
      const label = track === 1 ? t("board.track1") : t("board.track2");
      g.append(
        s(
          "text",
          // above everything drawn for track 1; below the substations for track 2
          { x: LEFT - 20, y: track === 1 ? 16 : H - 4, class: "track-label" },
          `${label} ${track === 1 ? "→" : "←"}`,
        ),
      );
    }
    for (const st of this.line.stations) {
      const x = this.x(st.chainage_m);
      g.append(
        s("rect", { x: x - 16, y: Y1 + 3, width: 32, height: 6, class: "platform" }),
        s("rect", { x: x - 16, y: Y2 - 9, width: 32, height: 6, class: "platform" }),
        s("text", { x, y: (Y1 + Y2) / 2 + 5, class: "station-name", "text-anchor": "middle" }, st.name),
      );
    }
    // the depot: trains off the line are parked here
    const dx = W - DEPOT_W - 10;
    g.append(
      s("rect", { x: dx, y: 20, width: DEPOT_W, height: H - 40, rx: 6, class: "depot" }),
      s("text", { x: dx + 10, y: 40, class: "depot-label" }, this.line.depot.name),
      s("line", { x1: end + 10, x2: dx, y1: Y1, y2: Y1, class: "track depot-track" }),
      s("line", { x1: end + 10, x2: dx, y1: Y2, y2: Y2, class: "track depot-track" }),
    );
    this.subs = new Map();
    this.subLayer.replaceChildren();
    for (const ss of this.line.substations) {
      const x = this.x(ss.chainage_m);
      const mark = s("rect", { x: x - 7, y: H - 62, width: 14, height: 14, rx: 2, class: "ss" });
      const title = s("title");
      mark.append(title);
      const label = s("text", { x, y: H - 34, "text-anchor": "middle", class: "ss-label" }, ss.id);
      this.subLayer.append(mark, label);
      this.subs.set(ss.id, { mark, title });
    }
  }

  /** Redraw labels after a language switch. */
  relabel() {
    this.drawStatic();
    for (const [id] of this.trains) this.trains.get(id).g.remove();
    this.trains.clear();
  }

  _ensureTrain(id) {
    let v = this.trains.get(id);
    if (v) return v;
    const g = s("g", {
      class: "train",
      tabindex: "0",
      role: "button",
      "data-train": id,
    });
    const body = s("path", { class: "body" });
    const label = s("text", { class: "label", "text-anchor": "middle", y: BODY_H / 2 + 4 }, id);
    const loadBg = s("rect", { class: "load-bg", x: -BODY_W / 2, width: BODY_W, height: 4 });
    const load = s("rect", { class: "load", x: -BODY_W / 2, height: 4 });
    const fault = s("g", { class: "badge fault", visibility: "hidden" });
    fault.append(
      s("circle", { r: 8 }),
      s("text", { "text-anchor": "middle", y: 4 }, "!"),
      s("title"),
    );
    const driver = s("g", { class: "badge driver", visibility: "hidden" });
    driver.append(
      s("rect", { x: -8, y: -8, width: 16, height: 16, rx: 3 }),
      s("text", { "text-anchor": "middle", y: 4 }, "D"),
      s("title"),
    );
    const age = s("text", { class: "age", "text-anchor": "middle" });
    const tip = s("title");
    g.append(tip, loadBg, load, body, label, fault, driver, age);
    const select = () => this.onSelect?.(id);
    g.addEventListener("click", select);
    g.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select();
      }
    });
    this.trainLayer.append(g);
    v = { g, body, label, loadBg, load, fault, driver, age, tip, track: null, x: null };
    this.trains.set(id, v);
    return v;
  }

  /**
   * @param {object} board  the board snapshot
   * @param {Map<string, object>} driverIssues  train → {kind, message} (not cleared / none)
   * @param {string|null} selected
   */
  /** @param faultPrio optional Map train → priority (1–4) of its most urgent fault alarm: the
   * "!" mark takes that priority's colour (one colour language with the alarm list). */
  update(board, driverIssues, selected, faultPrio = new Map()) {
    const names = Object.fromEntries(this.line.stations.map((st) => [st.id, st.name]));
    let depotIndex = 0;
    const seen = new Set();
    const trains = [...(board.trains ?? [])].sort((a, b) => a.train.localeCompare(b.train));
    for (const tr of trains) {
      seen.add(tr.train);
      const v = this._ensureTrain(tr.train);
      let x;
      let y;
      let track;
      if (onLine(tr)) {
        track = tr.track;
        x = this.x(Math.min(Math.max(tr.pos_m, 0), this.line.length_m));
        y = track === 1 ? Y1 - BODY_H - 12 : Y2 + 12;
      } else {
        // parked in the depot box, two columns
        track = 0;
        const col = depotIndex % 2;
        const row = Math.floor(depotIndex / 2);
        depotIndex += 1;
        x = W - DEPOT_W + 30 + col * 88;
        y = 56 + row * 32;
      }
      const jump = v.track !== null && v.track !== track;
      v.g.classList.toggle("jump", jump || v.x === null);
      v.g.style.transform = `translate(${x.toFixed(1)}px, ${y}px)`;
      v.x = x;
      v.track = track;
      v.g.dataset.pos = tr.pos_m ?? "";
      v.g.dataset.ts = tr.ts_ms ?? ""; // the report drawn (a replay is checked against it)
      v.g.dataset.track = String(tr.track ?? "");
      v.body.setAttribute("d", bodyPath(track === 2 ? 2 : 1));
      const stale = Boolean(tr.stale) || tr.online === false;
      const noData = !tr.ts_ms;
      v.g.setAttribute(
        "class",
        [
          "train",
          noData ? "nodata" : stale ? "stale" : deviationClass(tr.deviation_s),
          track === 0 ? "parked" : "",
          selected === tr.train ? "selected" : "",
        ]
          .filter(Boolean)
          .join(" "),
      );
      // the load bar sits on the far side of the body from the track
      const loadY = track === 2 ? BODY_H + 3 : -7;
      const pct = Math.max(0, Math.min(150, tr.load_pct ?? 0));
      v.loadBg.setAttribute("y", loadY);
      v.load.setAttribute("y", loadY);
      v.load.setAttribute("width", ((pct / 150) * BODY_W).toFixed(1));
      v.load.setAttribute("class", `load ${loadClass(tr.load_pct)}`);
      const faults = tr.faults ?? [];
      const badgeY = track === 2 ? BODY_H + 14 : -16;
      v.fault.setAttribute("visibility", faults.length ? "visible" : "hidden");
      v.fault.setAttribute("class", `badge fault p${faultPrio.get(tr.train) ?? 0}`);
      v.fault.setAttribute("transform", `translate(${BODY_W / 2 - 4}, ${badgeY})`);
      v.fault.querySelector("title").textContent = t("board.badge_fault", {
        faults: faults.join(", "),
      });
      const issue = driverIssues.get(tr.train);
      v.driver.setAttribute("visibility", issue ? "visible" : "hidden");
      v.driver.setAttribute("transform", `translate(${-BODY_W / 2 + 4}, ${badgeY})`);
      v.driver.querySelector("title").textContent = issue?.message ?? "";
      v.age.setAttribute("y", track === 2 ? -5 : BODY_H + 13);
      v.age.textContent = stale && !noData ? fmtAge(tr.age_s) : "";
      const where = tr.station ? names[tr.station] ?? tr.station : tr.next_station ? `→ ${names[tr.next_station] ?? tr.next_station}` : "";
      const parts = [
        tr.train,
        track ? t(`board.track${track}`) : t("board.in_depot"),
        where,
        tr.speed_kmh !== null && tr.speed_kmh !== undefined ? `${fmtNum(tr.speed_kmh)} km/h` : "",
        `${t("board.deviation")} ${fmtDeviation(tr.deviation_s)}`,
        `${t("board.load")} ${fmtNum(tr.load_pct)}%`,
        faults.length ? t("board.badge_fault", { faults: faults.join(", ") }) : "",
        issue ? issue.message : "",
        noData ? t("board.no_data") : stale ? t("board.stale_age", { age: fmtAge(tr.age_s) }) : "",
      ].filter(Boolean);
      v.tip.textContent = parts.join(" · ");
      v.g.setAttribute("aria-label", parts.join(", "));
      v.g.setAttribute("aria-pressed", selected === tr.train ? "true" : "false");
    }
    for (const [id, v] of this.trains) {
      if (!seen.has(id)) {
        v.g.remove();
        this.trains.delete(id);
      }
    }
    for (const sub of board.substations ?? []) {
      const m = this.subs.get(sub.id);
      if (!m) continue;
      const cls =
        sub.ts_ms == null ? "unknown" : sub.stale ? "stale" : sub.alarms?.length ? "alarm" : "ok";
      m.mark.setAttribute("class", `ss ${cls}`);
      m.title.textContent = `${sub.id} ${sub.name}: ${t(`board.ss_${cls}`)}`;
    }
  }
}
