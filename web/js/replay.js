// Replay on the board: a scrubber over the history retained (at most 7 days), a step back and
// forward, play at 1–60×, and back to live. The board draws a replayed moment with its own
// components (GET /api/replay answers a board of the live shape); while replaying, the board
// applies no live frame and offers no alarm action. Times are Hanoi time.

import { api, describeError } from "./api.js";
import { $, fill, h } from "./dom.js";
import { fmtDateTime, fmtHm, fmtTime, fromLocalInput, toLocalInput } from "./fmt.js";
import { dateTimeAttrs, watchDateTimes } from "./forms.js";
import { getLang, has, t } from "./i18n.js";

/** @typedef {import("./types.js").Replay} Replay */
/** @typedef {import("./types.js").ReplayRange} ReplayRange */

export const SPEEDS = [1, 5, 10, 30, 60];
const STEP_MS = 60_000; // one step back or forward
const PLAY_TICK_MS = 500; // how often a playing replay moves (and fetches)
const START_BACK_MS = 30 * 60_000; // opening replay shows the moment 30 minutes ago

export class ReplayControl {
  /**
   * @param {HTMLElement} bar where the controls live while replaying (hidden otherwise)
   * @param {HTMLElement} opener where the "replay" button waits while live (the diagram's
   *   head, beside the live/lost status: a whole row for one button cost the side panel room)
   * @param {HTMLElement} record where what was recorded at the moment is listed
   * @param {{onShow: (r: Replay) => void, onLive: () => void, alarmText: (a: any) => string}} hooks
   */
  constructor(bar, opener, record, hooks) {
    this.bar = bar;
    this.opener = opener;
    this.recordEl = record;
    this.hooks = hooks;
    this.active = false;
    this.atMs = 0;
    /** @type {ReplayRange | null} */
    this.range = null;
    this.speed = 1;
    this.timer = null;
    this.inflight = false;
    this.wanted = null;
    /** @type {Replay | null} */
    this.last = null;
    watchDateTimes();
    this.draw();
  }

  // --- controls ------------------------------------------------------------------------------
  draw() {
    this.bar.hidden = !this.active;
    if (!this.active) {
      fill(this.bar);
      fill(
        this.opener,
        h(
          "button",
          { type: "button", class: "btn small", id: "replay-open", onclick: () => this.open() },
          t("replay.open"),
        ),
        h("span", { class: "replay-error error small", role: "alert" }),
      );
      return;
    }
    fill(this.opener);
    const r = this.range;
    const scrub = h("input", {
      type: "range",
      id: "replay-scrub",
      min: String(r.earliest_ms),
      max: String(r.now_ms),
      step: "1000",
      value: String(this.atMs),
      "aria-label": t("replay.scrub"),
      oninput: (ev) => this.seek(Number(ev.target.value)),
    });
    const speed = h(
      "select",
      { id: "replay-speed", "aria-label": t("replay.speed"), onchange: (ev) => { this.speed = Number(ev.target.value); } },
      SPEEDS.map((s) => h("option", { value: String(s), selected: s === this.speed }, `${s}×`)),
    );
    // seek on Enter or on leaving the field; a text that is no date-time is marked, not used
    const go = (el) => {
      // the field already shows the moment (to the minute): nothing to go to. Enter, then the
      // change event it brings, would otherwise read the rounded text back and move the moment
      // to the start of its minute
      if (el.value === toLocalInput(this.atMs)) {
        el.removeAttribute("aria-invalid");
        return;
      }
      const iso = fromLocalInput(el.value);
      if (iso) {
        el.removeAttribute("aria-invalid");
        this.seek(Date.parse(iso));
        el.value = toLocalInput(this.atMs); // the moment shown: kept inside the history held
      } else el.setAttribute("aria-invalid", "true");
    };
    const goto = h("input", {
      ...dateTimeAttrs(),
      id: "replay-goto",
      "aria-label": t("replay.goto"),
      value: toLocalInput(this.atMs),
      onchange: (ev) => go(ev.target),
      onkeydown: (ev) => {
        if (ev.key === "Enter") go(ev.target);
      },
    });
    fill(
      this.bar,
      h("strong", { id: "replay-badge", class: "replay-badge", role: "status" }, this.badge()),
      h("span", { id: "replay-time", class: "num" }, fmtDateTime(this.atMs)),
      h("span", { class: "replay-edge small muted" }, fmtDateTime(r.earliest_ms)),
      scrub,
      h("span", { class: "replay-edge small muted" }, fmtDateTime(r.now_ms)),
      h(
        "div",
        { class: "replay-buttons" },
        h("button", { type: "button", class: "btn small", id: "replay-back", onclick: () => this.seek(this.atMs - STEP_MS) }, t("replay.back")),
        h("button", { type: "button", class: "btn small", id: "replay-play", "aria-pressed": String(!!this.timer), onclick: () => this.togglePlay() }, this.timer ? t("replay.pause") : t("replay.play")),
        h("button", { type: "button", class: "btn small", id: "replay-fwd", onclick: () => this.seek(this.atMs + STEP_MS) }, t("replay.forward")),
        speed,
        goto,
        h("button", { type: "button", class: "btn small primary", id: "replay-live", onclick: () => this.close() }, t("replay.live")),
      ),
      h("span", { class: "replay-error error small", role: "alert" }),
    );
  }

  badge() {
    return t("replay.badge", { time: fmtHm(this.atMs) });
  }

  /** Labels that follow the moment, without rebuilding the controls under the pointer. */
  relabel() {
    $("#replay-badge", this.bar).textContent = this.badge();
    $("#replay-time", this.bar).textContent = fmtDateTime(this.atMs);
    const scrub = $("#replay-scrub", this.bar);
    if (Number(scrub.value) !== this.atMs) scrub.value = String(this.atMs);
    const goto = $("#replay-goto", this.bar);
    if (document.activeElement !== goto) {
      goto.value = toLocalInput(this.atMs);
      goto.removeAttribute("aria-invalid"); // what it shows now is the moment, valid
    }
  }

  error(err) {
    const el = $(".replay-error", this.active ? this.bar : this.opener);
    if (el) el.textContent = err ? describeError(err) : "";
  }

  // --- state ---------------------------------------------------------------------------------
  async open() {
    try {
      this.range = await api("/api/replay/range");
    } catch (err) {
      this.error(err);
      return;
    }
    this.active = true;
    document.body.classList.add("replaying");
    this.atMs = Math.max(this.range.earliest_ms, this.range.now_ms - START_BACK_MS);
    this.draw();
    this.fetch();
  }

  close() {
    this.stop();
    this.active = false;
    this.last = null;
    this.wanted = null;
    document.body.classList.remove("replaying");
    this.recordEl.hidden = true;
    this.draw();
    this.hooks.onLive();
  }

  seek(ms) {
    if (!this.active) return;
    const r = this.range;
    this.atMs = Math.round(Math.min(r.now_ms, Math.max(r.earliest_ms, ms)));
    this.relabel();
    this.fetch();
  }

  togglePlay() {
    if (this.timer) this.stop();
    else {
      this.timer = setInterval(async () => {
        if (this.atMs >= this.range.now_ms) {
          // the span was taken when replay opened: history has grown since, play on into it
          if (!(await this.extend())) {
            this.stop(); // caught up with the present: stay on it, still replaying
            return;
          }
        }
        this.seek(this.atMs + this.speed * PLAY_TICK_MS);
      }, PLAY_TICK_MS);
    }
    const btn = $("#replay-play", this.bar);
    btn.textContent = this.timer ? t("replay.pause") : t("replay.play");
    btn.setAttribute("aria-pressed", String(!!this.timer));
  }

  /** Take up the history recorded since the span was read; true when there is more. */
  async extend() {
    try {
      this.range = await api("/api/replay/range");
    } catch (err) {
      this.error(err);
      return false;
    }
    const scrub = $("#replay-scrub", this.bar);
    if (scrub) scrub.max = String(this.range.now_ms);
    return this.active && this.range.now_ms > this.atMs;
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const btn = $("#replay-play", this.bar);
    if (btn) {
      btn.textContent = t("replay.play");
      btn.setAttribute("aria-pressed", "false");
    }
  }

  /** Fetch the moment shown; one request at a time, the newest moment wins. */
  async fetch() {
    if (this.inflight) {
      this.wanted = this.atMs;
      return;
    }
    this.inflight = true;
    const at = this.atMs;
    try {
      const r = await api(`/api/replay?at=${at}`);
      if (this.active) {
        this.last = r;
        this.error(null);
        this.hooks.onShow(r);
        this.renderRecord(r);
        this.bar.dataset.shownMs = String(r.at_ms);
      }
    } catch (err) {
      if (this.active) this.error(err);
    } finally {
      this.inflight = false;
    }
    if (this.active && this.wanted !== null && this.wanted !== at) {
      this.wanted = null;
      this.fetch();
    } else this.wanted = null;
  }

  /** What was recorded by the moment: shelved alarms, crew changes, the shift log. */
  renderRecord(r) {
    const el = this.recordEl;
    el.hidden = false;
    const when = (ms) => fmtTime(ms);
    const list = (items, empty) =>
      items.length ? h("ul", { class: "replay-list" }, items) : h("p", { class: "muted small" }, empty);
    fill(
      el,
      h("h2", {}, t("replay.record", { time: fmtHm(r.at_ms) })),
      r.alarms_recorded ? null : h("p", { class: "warn" }, t("replay.no_alarms")),
      h("h3", {}, t("replay.shelved")),
      list(
        r.shelved_alarms.map((a) =>
          h("li", { dataset: { alarm: a.id } }, `${this.hooks.alarmText(a)} — ${t("alarm.shelved_by", { user: a.shelved_by ?? "—", reason: a.shelve_reason ?? "", until: fmtTime(a.shelved_until_ms) })}`),
        ),
        t("alarm.none_shelved"),
      ),
      h("h3", {}, t("replay.cancellations")),
      list(r.cancellations.map((e) => h("li", {}, `${when(e.at_ms)} ${this.logText(e)}`)), t("replay.none")),
      h("h3", {}, t("replay.crew")),
      list(
        r.crew_events.map((e) =>
          h("li", { dataset: { staff: e.staff_id } }, `${when(e.effective_ms)} ${e.staff_id}: ${has(`state.${e.state}`) ? t(`state.${e.state}`) : e.state}${e.source ? ` (${e.source})` : ""}`),
        ),
        t("replay.none"),
      ),
      h("h3", {}, t("replay.log")),
      list(
        r.log.map((e) => h("li", { dataset: { entry: e.id } }, `${when(e.at_ms)} [${has(`log.cat_${e.category}`) ? t(`log.cat_${e.category}`) : e.category}] ${e.author}: ${this.logText(e)}`)),
        t("replay.none"),
      ),
    );
  }

  logText(e) {
    return getLang() === "en" && e.text_en ? e.text_en : e.text;
  }
}
