// Incidents ("Sự cố"): search the stored ones, make one from a time window or from an alarm,
// read its timeline (every event of the window, oldest first, Hanoi time), add notes, close
// it, and download it as CSV or PDF. Operators (and admins) create, annotate, close and
// export; everyone reads. The incident shown is in the URL's hash (#12), so a link opens it.

import { api, describeError } from "./api.js";
import { $, h } from "./dom.js";
import { fmtDateTime, fromLocalInput, toLocalInput } from "./fmt.js";
import { checkDateTimes, clearErrors, showErrors, showMessage, values, watchDateTimes } from "./forms.js";
import { getLang, t } from "./i18n.js";
import { initPage } from "./shell.js";

/** @typedef {import("./types.js").Incident} Incident */
/** @typedef {import("./types.js").IncidentList} IncidentList */
/** @typedef {import("./types.js").Timeline} Timeline */
/** @typedef {import("./types.js").TimelineEvent} TimelineEvent */

const OPERATORS = ["operator", "admin"]; // create, annotate, close, export (server: 403 otherwise)
const SOURCE_KEYS = {
  alarm: "inc.src_alarm",
  audit: "inc.src_audit",
  crew: "inc.src_crew",
  trip: "inc.src_trip",
  log: "inc.src_log",
  note: "inc.src_note",
};
const srcName = (s) => t(SOURCE_KEYS[s] ?? "inc.src_log");
const statusName = (s) => (s === "closed" ? t("inc.status_closed") : t("inc.status_open"));

const SYSTEM_AUTHOR = "system";

const me = await initPage("incidents");
if (me) main();

async function main() {
  const mayAct = OPERATORS.includes(me.role);
  const create = $("#inc-create");
  const filters = $("#inc-filters");
  const detail = $("#inc-detail");
  const noteForm = $("#d-note");
  /** @type {Incident | null} */
  let current = null;
  /** @type {Timeline | null} */
  let timeline = null;
  /** @type {IncidentList | null} */
  let listed = null;
  let query = {};

  create.hidden = !mayAct;
  watchDateTimes();
  $("#c-end").value = toLocalInput(Date.now());
  $("#c-start").value = toLocalInput(Date.now() - 3600_000);

  async function loadAlarms() {
    const sel = $("#c-alarm");
    try {
      const got = await api("/api/alarms?include_shelved=true&history=50");
      const all = [...got.alarms, ...(got.history ?? [])];
      const keep = sel.value;
      sel.replaceChildren(
        sel.options[0],
        ...all.map((a) =>
          h(
            "option",
            { value: String(a.id) },
            `#${a.id} P${a.priority} ${fmtDateTime(a.first_raised_ms || a.raised_ms)} — ${
              getLang() === "en" ? a.message_en : a.message
            }`,
          ),
        ),
      );
      sel.value = keep;
    } catch (err) {
      showMessage(create, describeError(err));
    }
  }

  function row(i) {
    const tr = h(
      "tr",
      { dataset: { incident: i.id }, class: current && current.id === i.id ? "selected" : "" },
      h("td", { class: "num" }, `#${i.id}`),
      h("td", {}, h("a", { href: `#${i.id}`, class: "inc-open" }, i.title)),
      h("td", { class: "small" }, `${fmtDateTime(i.start_ms)} – ${fmtDateTime(i.end_ms)}`),
      h("td", {}, h("span", { class: `tag inc-${i.status}` }, statusName(i.status))),
      h("td", {}, i.created_by),
    );
    return tr;
  }

  function drawList() {
    const items = listed ? listed.incidents : [];
    $("#inc-list tbody").replaceChildren(...items.map(row));
    $("#inc-empty").hidden = items.length > 0;
  }

  async function loadList() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v) p.set(k, v);
    try {
      listed = await api(`/api/incidents?${p}`);
    } catch (err) {
      showErrors(filters, err);
      return;
    }
    drawList();
  }

  /** @param {TimelineEvent} e */
  function links(e) {
    const out = [];
    if (e.train) out.push(h("span", { class: "tag inc-train" }, e.train));
    if (e.alarm_id !== null) out.push(h("span", { class: "tag inc-alarm" }, `${t("log.alarm")} #${e.alarm_id}`));
    if (e.staff_id) out.push(h("span", { class: "tag inc-staff" }, e.staff_id));
    // the entries the shift log writes by itself have the author "system" (shiftlog.model.SYSTEM_AUTHOR)
    if (e.user) out.push(h("span", { class: "tag inc-user" }, e.user === SYSTEM_AUTHOR ? t("log.system") : e.user));
    return out;
  }

  function drawTimeline() {
    const events = timeline ? timeline.events : [];
    const en = getLang() === "en";
    $("#d-timeline tbody").replaceChildren(
      ...events.map((e) =>
        h(
          "tr",
          { class: `inc-event src-${e.source}`, dataset: { kind: e.kind, source: e.source } },
          h("td", { class: "num" }, fmtDateTime(e.at_ms)),
          h("td", {}, srcName(e.source)),
          h("td", { class: "inc-text" }, en ? e.text_en : e.text),
          h("td", {}, ...links(e)),
        ),
      ),
    );
    $("#d-no-events").hidden = events.length > 0;
    const failed = $("#d-failed");
    failed.hidden = !timeline || (!timeline.failed.length && !timeline.truncated);
    if (timeline) {
      failed.textContent = [
        timeline.failed.length ? t("inc.failed", { sources: timeline.failed.join(", ") }) : "",
        timeline.truncated ? t("inc.truncated") : "",
      ].join(" ");
    }
  }

  function drawDetail() {
    detail.hidden = !timeline;
    if (!timeline) return;
    if (current) {
      $("#d-title").textContent = `#${current.id} ${current.title}`;
      const closed = current.closed_ms
        ? ` · ${t("inc.closed_by", { user: current.closed_by ?? "", time: fmtDateTime(current.closed_ms) })}`
        : "";
      $("#d-meta").textContent =
        `${fmtDateTime(current.start_ms)} – ${fmtDateTime(current.end_ms)} · ${statusName(current.status)} · ` +
        t("inc.created", { user: current.created_by, time: fmtDateTime(current.created_ms) }) +
        closed;
      $("#d-csv").href = `/api/incidents/${current.id}/timeline.csv`;
      $("#d-pdf").href = `/api/incidents/${current.id}/timeline.pdf`;
      $("#d-exports").hidden = !mayAct;
      $("#d-close").hidden = current.status !== "open";
      noteForm.hidden = !mayAct || current.status !== "open";
    } else {
      $("#d-title").textContent = t("inc.preview_title");
      $("#d-meta").textContent = `${fmtDateTime(timeline.start_ms)} – ${fmtDateTime(timeline.end_ms)}`;
      $("#d-exports").hidden = true;
      noteForm.hidden = true;
    }
    drawTimeline();
    drawList();
  }

  async function open(id) {
    try {
      current = await api(`/api/incidents/${id}`);
      timeline = await api(`/api/incidents/${id}/timeline`);
    } catch (err) {
      current = null;
      timeline = null;
      showMessage(filters, describeError(err));
    }
    drawDetail();
  }

  function fromHash() {
    const id = Number(location.hash.slice(1));
    if (Number.isInteger(id) && id > 0) open(id);
  }
  window.addEventListener("hashchange", fromHash);

  function windowOf(v) {
    const start = fromLocalInput(v.start);
    const end = fromLocalInput(v.end);
    return { start_ms: start ? Date.parse(start) : NaN, end_ms: end ? Date.parse(end) : NaN };
  }

  $("#c-preview").addEventListener("click", async () => {
    clearErrors(create);
    const problems = checkDateTimes(create);
    if (problems.length) return showErrors(create, { fields: problems });
    const w = windowOf(values(create));
    if (!Number.isFinite(w.start_ms) || !Number.isFinite(w.end_ms)) {
      showMessage(create, t("inc.need_window"));
      return;
    }
    try {
      timeline = await api(`/api/timeline?start_ms=${w.start_ms}&end_ms=${w.end_ms}`);
      current = null;
      history.replaceState(null, "", location.pathname);
      drawDetail();
    } catch (err) {
      showErrors(create, err);
    }
  });

  create.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(create);
    const v = values(create);
    const body = { title: v.title };
    if (v.alarm_id) {
      body.alarm_id = Number(v.alarm_id);
      body.margin_min = Number(v.margin_min || 0);
    } else {
      const problems = checkDateTimes(create);
      if (problems.length) return showErrors(create, { fields: problems });
      const w = windowOf(v);
      if (!Number.isFinite(w.start_ms) || !Number.isFinite(w.end_ms)) {
        showMessage(create, t("inc.need_window"));
        return;
      }
      Object.assign(body, w);
    }
    const btn = $("#c-submit");
    btn.disabled = true;
    try {
      const made = await api("/api/incidents", { method: "POST", body });
      $("#c-title").value = "";
      showMessage(create, t("inc.created_ok", { id: made.id }), true);
      await loadList();
      location.hash = `#${made.id}`;
    } catch (err) {
      showErrors(create, err);
    } finally {
      btn.disabled = false;
    }
  });

  filters.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(filters);
    const problems = checkDateTimes(filters);
    if (problems.length) return showErrors(filters, { fields: problems });
    const v = values(filters);
    query = { q: v.q, since: fromLocalInput(v.since), until: fromLocalInput(v.until), status: v.status };
    await loadList();
  });

  noteForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(noteForm);
    if (!current) return;
    const btn = $("#n-submit");
    btn.disabled = true;
    try {
      await api(`/api/incidents/${current.id}/notes`, { method: "POST", body: { text: values(noteForm).text } });
      noteForm.reset();
      await open(current.id);
    } catch (err) {
      showErrors(noteForm, err);
    } finally {
      btn.disabled = false;
    }
  });

  $("#d-close").addEventListener("click", async () => {
    if (!current) return;
    try {
      await api(`/api/incidents/${current.id}/close`, { method: "POST" });
      await open(current.id);
      await loadList();
    } catch (err) {
      showMessage(filters, describeError(err));
    }
  });

  window.addEventListener("langchange", () => {
    clearErrors(create);
    drawDetail();
    drawList();
    loadAlarms();
  });

  if (mayAct) await loadAlarms();
  await loadList();
  fromHash();
}
