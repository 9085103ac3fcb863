// The shift log ("Sổ ca"): entries newest first with filters, a form to write one, and
// corrections shown with the entry they correct. New entries arrive by polling `after=` the
// newest id shown and are put on top; the entries already shown are not redrawn.

import { api, describeError } from "./api.js";
import { $, h } from "./dom.js";
import { fmtDateTime, fromLocalInput } from "./fmt.js";
import { checkDateTimes, checkRange, clearErrors, showErrors, showMessage, values, watchDateTimes } from "./forms.js";
import { getLang, t } from "./i18n.js";
import { can } from "./roles.js";
import { initPage } from "./shell.js";
import { timetableForm, watchTimetable } from "./timetable.js";

/** @typedef {import("./types.js").LogPage} LogPage */
/** @typedef {import("./types.js").ListedLogEntry} ListedLogEntry */
/** @typedef {import("./types.js").LogEntry} LogEntry */

const POLL_MS = 3000;
// api/routes/shiftlog.py: the longest export, the largest id, a staff id (crew.model.ID_PATTERN)
const MAX_EXPORT_DAYS = 366;
const MAX_ID = 2 ** 31 - 1;
const STAFF_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const DAY_MS = 86_400_000;

/** The form's problems before anything is sent: each beside its field, in the UI's language. */
function entryProblems(v) {
  const problems = [];
  if (!v.text) problems.push({ field: "text", msg: t("form.required") });
  // "abc" must not become no alarm at all (Number("abc") is NaN, sent as null)
  if (v.alarm_id && !(/^\d+$/.test(v.alarm_id) && Number(v.alarm_id) >= 1 && Number(v.alarm_id) <= MAX_ID)) {
    problems.push({ field: "alarm_id", msg: t("log.err_alarm_id") });
  }
  if (v.staff_id && !STAFF_ID.test(v.staff_id)) problems.push({ field: "staff_id", msg: t("log.err_staff_id") });
  return problems;
}

/** A refusal of what an entry links to ({code, message, field}) as that field's error. */
const asFieldError = (err) =>
  err?.detail?.field ? { fields: [{ field: err.detail.field, path: err.detail.field, msg: err.detail.message }] } : err;
const CATEGORIES = ["operations", "crew", "equipment", "safety", "other"];
// who writes which category (the server checks it: 403 otherwise)
const WRITERS = {
  operations: ["operator", "admin"],
  equipment: ["operator", "admin"],
  safety: ["operator", "admin"],
  crew: ["crew_manager", "admin"],
  other: ["operator", "crew_manager", "admin"],
};
const CATEGORY_KEYS = {
  operations: "log.cat_operations",
  crew: "log.cat_crew",
  equipment: "log.cat_equipment",
  safety: "log.cat_safety",
  other: "log.cat_other",
};
const catName = (c) => t(CATEGORY_KEYS[c] ?? "log.cat_other");

const me = await initPage("shiftlog");
if (me) main();

/** @param {LogEntry} e @param {string} lang */
function textOf(e, lang) {
  return lang === "en" && e.text_en ? e.text_en : e.text;
}

async function main() {
  const list = $("#log-entries");
  const filters = $("#log-filters");
  const form = $("#log-write");
  watchDateTimes();
  const more = $("#log-more");
  const mayWrite = (c) => (WRITERS[c] ?? []).includes(me.role);
  const lang = getLang;
  /** @type {Map<number, ListedLogEntry>} */
  let entries = new Map(); // id → entry as last received
  let newest = 0;
  let nextBefore = null;
  let query = {};
  let correcting = null;

  const fCat = $("#f-category");
  for (const c of CATEGORIES) fCat.append(h("option", { value: c }, catName(c)));
  const wCat = $("#w-category");
  for (const c of CATEGORIES.filter(mayWrite)) wCat.append(h("option", { value: c }, catName(c)));
  form.hidden = wCat.options.length === 0;

  function links(e) {
    const out = [];
    if (e.train) out.push(h("span", { class: "tag log-link log-train" }, e.train));
    if (e.alarm_id) out.push(h("span", { class: "tag log-link log-alarm" }, `${t("log.alarm")} #${e.alarm_id}`));
    if (e.staff_id) out.push(h("span", { class: "tag log-link log-staff" }, e.staff_id));
    if (e.follow_up) out.push(h("span", { class: "tag log-follow" }, t("log.follow_up")));
    return out;
  }

  /** @param {ListedLogEntry} e */
  function item(e) {
    const original = e.corrects_entry;
    const li = h(
      "li",
      { class: `log-entry${e.system ? " system" : ""}`, dataset: { entry: e.id, category: e.category } },
      h(
        "div",
        { class: "log-head small" },
        h("span", { class: "num" }, `#${e.id} · ${fmtDateTime(e.at_ms)}`),
        " · ",
        h("strong", { class: "log-author" }, e.system ? t("log.system") : e.author),
        " · ",
        h("span", { class: "log-category" }, catName(e.category)),
        ...links(e),
      ),
      h("p", { class: "log-text" }, textOf(e, lang())),
    );
    if (original) {
      li.append(
        h(
          "blockquote",
          { class: "log-corrected", dataset: { corrects: original.id } },
          h("span", { class: "small" }, t("log.corrects", { id: original.id, author: original.author })),
          " ",
          h("s", {}, textOf(original, lang())),
        ),
      );
    }
    const by = h("p", { class: "log-corrected-by small" });
    li.append(by);
    markCorrected(li, e);
    if (mayWrite(e.category)) {
      li.append(
        h(
          "button",
          { type: "button", class: "btn ghost small log-correct", onclick: () => startCorrection(e) },
          t("log.correct"),
        ),
      );
    }
    return li;
  }

  function markCorrected(li, e) {
    const by = li.querySelector(".log-corrected-by");
    by.hidden = !e.corrected_by.length;
    by.textContent = e.corrected_by.length
      ? t("log.corrected_by", { ids: e.corrected_by.map((i) => `#${i}`).join(", ") })
      : "";
    li.classList.toggle("corrected", e.corrected_by.length > 0);
  }

  function startCorrection(e) {
    correcting = e;
    $("#log-correcting").hidden = false;
    $("#log-correcting-text").textContent = t("log.correcting", { id: e.id });
    wCat.value = e.category;
    wCat.disabled = true;
    $("#w-text").focus();
  }

  function stopCorrection() {
    correcting = null;
    $("#log-correcting").hidden = true;
    wCat.disabled = false;
  }
  $("#log-correct-cancel").addEventListener("click", stopCorrection);

  function params(extra) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...extra })) if (v) p.set(k, v);
    return p.toString();
  }

  function showEmpty() {
    $("#log-empty").hidden = entries.size > 0;
  }

  async function load() {
    /** @type {LogPage} */
    let page;
    try {
      page = await api(`/api/log?${params({ limit: 100 })}`);
    } catch (err) {
      showErrors(filters, err);
      return;
    }
    entries = new Map(page.entries.map((e) => [e.id, e]));
    newest = page.entries.length ? page.entries[0].id : 0;
    nextBefore = page.next_before;
    list.replaceChildren(...page.entries.map(item));
    more.hidden = nextBefore === null;
    showEmpty();
  }

  async function older() {
    if (nextBefore === null) return;
    /** @type {LogPage} */
    const page = await api(`/api/log?${params({ limit: 100, before: nextBefore })}`);
    for (const e of page.entries) entries.set(e.id, e);
    list.append(...page.entries.map(item));
    nextBefore = page.next_before;
    more.hidden = nextBefore === null;
  }
  more.addEventListener("click", () => older().catch((err) => showMessage(filters, describeError(err))));

  // new entries on top; an entry shown that has just been corrected gets its mark
  function arrived(fresh) {
    for (const e of [...fresh].reverse()) {
      if (entries.has(e.id)) continue;
      entries.set(e.id, e);
      newest = Math.max(newest, e.id);
      list.prepend(item(e));
      const target = e.corrects !== null ? entries.get(e.corrects) : undefined;
      if (target && !target.corrected_by.includes(e.id)) {
        target.corrected_by.push(e.id);
        const li = list.querySelector(`li[data-entry="${target.id}"]`);
        if (li) markCorrected(li, target);
      }
    }
    showEmpty();
  }

  async function poll() {
    try {
      /** @type {LogPage} */
      const page = await api(`/api/log?${params({ after: newest, limit: 500 })}`);
      arrived(page.entries);
    } catch {
      // the next poll tries again; a signed-out session is sent to the login page by api()
    }
  }

  filters.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(filters);
    const problems = checkDateTimes(filters);
    if (!problems.length) checkRange(filters, problems);
    if (problems.length) return showErrors(filters, { fields: problems });
    const v = values(filters);
    query = { category: v.category, q: v.q, since: fromLocalInput(v.since), until: fromLocalInput(v.until) };
    await load();
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const v = values(form);
    const problems = entryProblems(v);
    if (problems.length) return showErrors(form, { fields: problems });
    const body = { text: v.text };
    if (correcting) body.corrects = correcting.id;
    else body.category = wCat.value;
    if (v.train) body.train = v.train.toUpperCase();
    if (v.alarm_id) body.alarm_id = Number(v.alarm_id);
    if (v.staff_id) body.staff_id = v.staff_id;
    if (v.follow_up) body.follow_up = true;
    const btn = $("#log-submit");
    btn.disabled = true;
    try {
      const e = await api("/api/log", { method: "POST", body });
      form.reset();
      stopCorrection();
      showMessage(form, t("log.written", { id: e.id }), true);
      await poll();
    } catch (err) {
      showErrors(form, asFieldError(err), { alarm_id: "alarm_id" });
    } finally {
      btn.disabled = false;
    }
  });

  // administrators export the range chosen in the filters as CSV (the server checks the role)
  const exportBtn = $("#log-export");
  exportBtn.hidden = !can(me.role, "exportLog");
  exportBtn.addEventListener("click", () => {
    clearErrors(filters);
    const problems = checkDateTimes(filters);
    if (!problems.length) checkRange(filters, problems);
    const v = values(filters);
    const since = fromLocalInput(v.since);
    const until = fromLocalInput(v.until);
    // the server's limit, checked here: the download navigates, and a refusal there would
    // replace the page with the server's JSON
    if (!problems.length && since && until && Math.floor((Date.parse(until) - Date.parse(since)) / DAY_MS) > MAX_EXPORT_DAYS) {
      problems.push({ field: "until", msg: t("log.err_export_long", { days: MAX_EXPORT_DAYS }) });
    }
    if (problems.length) return showErrors(filters, { fields: problems });
    if (!since || !until) {
      showMessage(filters, t("log.export_range"));
      return;
    }
    window.location.assign(`/api/log/export.csv?${new URLSearchParams({ since, until })}`);
  });

  window.addEventListener("langchange", () => {
    clearErrors(form);
    if (correcting) $("#log-correcting-text").textContent = t("log.correcting", { id: correcting.id });
    list.replaceChildren(...[...entries.values()].sort((a, b) => b.id - a.id).map(item));
    for (const o of [...fCat.options, ...wCat.options]) if (o.value) o.textContent = catName(o.value);
  });

  // degraded-timetable decisions: the one in force as a banner; operators declare them here
  const refreshTimetable = watchTimetable();
  const tt = $("#tt-form");
  tt.hidden = !can(me.role, "ackAlarms");
  timetableForm(tt, async () => {
    await refreshTimetable();
    await poll();
  });

  await load();
  setInterval(poll, POLL_MS);
}
