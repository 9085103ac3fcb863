// The degraded timetable in force, as a banner (the board, the shift log), and the operators'
// form to declare one or to return to the normal timetable (POST /api/timetable/decision).

import { api } from "./api.js";
import { $ } from "./dom.js";
import { fmtDateTime } from "./fmt.js";
import { clearErrors, showErrors, showMessage, values } from "./forms.js";
import { t } from "./i18n.js";
import { hideBanner, showBanner } from "./shell.js";

/** @typedef {import("./types.js").TimetableDecisions} TimetableDecisions */
/** @typedef {import("./types.js").TimetableDecision} TimetableDecision */

const POLL_MS = 10000;

const minutes = (s) => String(Math.round((s / 60) * 10) / 10);

/** @param {TimetableDecision} d */
export function decisionText(d) {
  return t("tt.banner", { headway: minutes(d.headway_s ?? 0), from: fmtDateTime(d.from_ms), reason: d.reason, user: d.user });
}

/** Keep a banner showing the degraded timetable in force; returns a refresh function. */
export function watchTimetable() {
  let last = null;
  const draw = () => {
    if (last?.current) showBanner("timetable", decisionText(last.current), "warn");
    else hideBanner("timetable");
  };
  const refresh = async () => {
    try {
      /** @type {TimetableDecisions} */
      last = await api("/api/timetable/decision");
      draw();
    } catch {
      // the next poll tries again
    }
  };
  refresh();
  setInterval(refresh, POLL_MS);
  window.addEventListener("langchange", draw);
  return refresh;
}

/** The declaration form (#tt-form): degraded with a headway, or back to normal. */
export function timetableForm(form, onDone) {
  const headway = $("#tt-headway", form);
  const sync = () => {
    headway.disabled = values(form).kind !== "degraded";
  };
  form.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const v = values(form);
    // a text box, not <input type="time">: the browser's locale would show 07:30 AM
    const hm = /^([01]?\d|2[0-3])[:h.]([0-5]\d)$/.exec(v.from);
    const problems = [];
    // an empty headway is missing, not 0 (Number("") is 0: "must be greater than 0")
    if (v.kind === "degraded" && v.headway_min === "") problems.push({ field: "headway_min", msg: t("form.required") });
    if (!hm) problems.push({ field: "from", msg: t("form.bad_time") });
    if (problems.length) return showErrors(form, { fields: problems });
    const from = `${hm[1].padStart(2, "0")}:${hm[2]}`;
    const body = { degraded: v.kind === "degraded", from, reason: v.reason };
    if (body.degraded) body.headway_min = Number(v.headway_min);
    try {
      await api("/api/timetable/decision", { method: "POST", body });
      showMessage(form, t("tt.recorded"), true);
      await onDone();
    } catch (err) {
      showErrors(form, err, { from: "from", headway_min: "headway_min" });
    }
  });
}
