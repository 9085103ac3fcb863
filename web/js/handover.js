// Shift handover ("Bàn giao ca"): the shifts of the last 24 h and where their handover stands
// ("not handed over" when one ended without), the handover in progress (or the latest): the
// outgoing operator edits the drafted summary and signs; the incoming operator (another user)
// acknowledges each item that requires it, then accepts. The server checks every step (409
// with the reason); the page polls so both operators see the other's steps.

import { api, describeError } from "./api.js";
import { $, h } from "./dom.js";
import { fmtDate, fmtHm } from "./fmt.js";
import { clearErrors, showErrors, showMessage } from "./forms.js";
import { getLang, has, t } from "./i18n.js";
import { can } from "./roles.js";
import { initPage } from "./shell.js";

/** @typedef {import("./types.js").HandoverOverview} HandoverOverview */
/** @typedef {import("./types.js").Handover} Handover */
/** @typedef {import("./types.js").ShiftHandover} ShiftHandover */

const POLL_MS = 3000;

const me = await initPage("handover");
if (me) main();

async function main() {
  const mayHandOver = can(me.role, "handOver");
  const form = $("#ho-form");
  const summary = $("#ho-summary");
  /** @type {HandoverOverview | null} */
  let view = null;
  /** @type {Handover | null} */
  let shown = null;
  let dirty = false; // the summary is being edited: polling must not overwrite it
  summary.addEventListener("input", () => {
    dirty = true;
  });

  // a shift by its name (its id only for one the UI does not name), its times as hh:mm
  // dd/mm/yyyy at both ends: a night shift ends on another day
  const shiftName = (id) => (has(`ho.shift_${id}`) ? t(`ho.shift_${id}`) : has(`shift.${id}`) ? t(`shift.${id}`) : id);
  const at = (ms) => `${fmtHm(ms)} ${fmtDate(ms)}`;
  const span = (s) => `${shiftName(s.shift_id)} · ${at(s.start_ms)} – ${at(s.end_ms)}`;

  /** @param {ShiftHandover} s @param {boolean} current */
  function shiftRow(s, current) {
    const who = [s.signed_by && t("ho.signed_by", { user: s.signed_by }), s.accepted_by && t("ho.accepted_by", { user: s.accepted_by })]
      .filter(Boolean)
      .join(" · ");
    return h(
      "li",
      { class: `ho-shift status-${s.status}`, dataset: { shift: s.shift_id, start: s.start_ms, status: s.status } },
      h("span", { class: "num" }, span(s)),
      current ? h("span", { class: "tag ho-now" }, t("ho.now")) : "",
      h("span", { class: `tag ho-status ${s.status}` }, t(`ho.status_${s.status}`)),
      who ? h("span", { class: "small" }, ` ${who}`) : "",
    );
  }

  function item(hv, i) {
    const li = h(
      "li",
      { class: `ho-item${i.must_ack ? " must-ack" : ""}${i.acked_by ? " acked" : ""}`, dataset: { key: i.key } },
      h("span", { class: "ho-text" }, getLang() === "en" ? i.text_en : i.text),
    );
    if (i.must_ack) li.append(h("span", { class: "tag ho-must" }, t("ho.must_ack")));
    if (i.acked_by) {
      li.append(h("span", { class: "small ho-acked" }, ` ${t("ho.acked", { user: i.acked_by, at: fmtHm(i.acked_ms) })}`));
    } else if (i.must_ack && hv.state === "signed" && mayHandOver && me.user !== hv.signed_by) {
      li.append(
        h(
          "button",
          { type: "button", class: "btn small ho-ack", onclick: () => step(`/api/handover/${hv.id}/items/${encodeURIComponent(i.key)}/ack`) },
          t("ho.ack"),
        ),
      );
    }
    return li;
  }

  /** @param {Handover} hv */
  function sections(hv) {
    return hv.sections.map((sec) => {
      const items = hv.items.filter((i) => i.section === sec);
      let body;
      if (items.length) body = h("ul", { class: "ho-items" }, items.map((i) => item(hv, i)));
      else if (sec === "incidents" && !hv.incidents_source) body = h("p", { class: "empty small" }, t("ho.no_incident_source"));
      else body = h("p", { class: "empty small" }, t("ho.nothing"));
      return h("section", { class: "ho-section", dataset: { section: sec } }, h("h3", {}, t(`ho.section_${sec}`)), body);
    });
  }

  function stateLine(hv) {
    const parts = [t(`ho.status_${hv.state}`), t("ho.opened_by", { user: hv.opened_by, at: at(hv.opened_ms) })];
    if (hv.signed_by) parts.push(t("ho.signed_by", { user: hv.signed_by }) + ` ${at(hv.signed_ms)}`);
    if (hv.accepted_by) parts.push(t("ho.accepted_by", { user: hv.accepted_by }) + ` ${at(hv.accepted_ms)}`);
    if (hv.state === "signed") parts.push(t("ho.unacked", { n: hv.unacked }));
    return parts.join(" · ");
  }

  /** @param {Handover | null} hv */
  function drawHandover(hv) {
    const panel = $("#ho-panel");
    panel.hidden = !hv;
    if (!hv) return;
    const changed = !shown || shown.id !== hv.id || shown.state !== hv.state;
    shown = hv;
    panel.dataset.handover = String(hv.id);
    panel.dataset.state = hv.state;
    $("#ho-title").textContent = t("ho.title", { shift: span({ shift_id: hv.shift_id, start_ms: hv.shift_start_ms, end_ms: hv.shift_end_ms }) });
    $("#ho-state").textContent = stateLine(hv);
    const mine = mayHandOver && me.user === hv.opened_by;
    const editable = hv.state === "draft" && mine;
    summary.readOnly = !editable;
    if (changed || !dirty) {
      summary.value = hv.summary;
      dirty = false;
    }
    $("#ho-save").hidden = !editable;
    $("#ho-sign").hidden = !editable;
    const incoming = hv.state === "signed" && mayHandOver && me.user !== hv.signed_by;
    $("#ho-accept").hidden = !incoming;
    $("#ho-accept").disabled = hv.unacked > 0;
    $("#ho-sections").replaceChildren(...sections(hv));
  }

  function draw() {
    if (!view) return;
    $("#ho-shifts").replaceChildren(shiftRow(view.current, true), ...view.shifts.map((s) => shiftRow(s, false)));
    const open = view.open;
    $("#ho-open-form").hidden = !mayHandOver || (open !== null && open.state !== "accepted");
    drawHandover(open ?? view.latest);
  }

  async function refresh() {
    view = await api("/api/handover");
    draw();
  }

  async function step(path, opts = { method: "POST" }) {
    clearErrors(form);
    try {
      const hv = await api(path, opts);
      await refresh();
      drawHandover(hv);
      return hv;
    } catch (err) {
      showErrors(form, err);
      return null;
    }
  }

  $("#ho-open-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors($("#ho-open-form"));
    try {
      const hv = await api("/api/handover", { method: "POST" });
      await refresh();
      drawHandover(hv);
    } catch (err) {
      showErrors($("#ho-open-form"), err);
    }
  });
  $("#ho-save").addEventListener("click", async () => {
    if (!shown) return;
    const hv = await step(`/api/handover/${shown.id}`, { method: "PUT", body: { summary: summary.value } });
    if (hv) {
      dirty = false;
      showMessage(form, t("ho.saved"), true);
    }
  });
  $("#ho-sign").addEventListener("click", async () => {
    if (!shown) return;
    if (dirty) {
      const saved = await step(`/api/handover/${shown.id}`, { method: "PUT", body: { summary: summary.value } });
      if (!saved) return;
      dirty = false;
    }
    await step(`/api/handover/${shown.id}/sign`);
  });
  $("#ho-accept").addEventListener("click", () => shown && step(`/api/handover/${shown.id}/accept`));

  window.addEventListener("langchange", draw);

  try {
    await refresh();
  } catch (err) {
    showMessage($("#ho-open-form"), describeError(err));
  }
  setInterval(() => refresh().catch(() => {}), POLL_MS);
}
