// The audit log (admins): every sign-in, acknowledgement, shelve, crew change and simulation
// run, newest first, filtered and paged.

import { api, describeError } from "./api.js";
import { $, h } from "./dom.js";
import { fmtDateTime, fromLocalInput } from "./fmt.js";
import { checkDateTimes, checkRange, clearErrors, showErrors, values, watchDateTimes } from "./forms.js";
import { getLang } from "./i18n.js";
import { initPage } from "./shell.js";

/** @typedef {import("./types.js").AuditEntry} AuditEntry */

const me = await initPage("audit");
if (me) main(); // not awaited: the page counts as loaded while its data arrives

/** The action, result and details in words, in the page's language (the codes stay data).
 * @param {AuditEntry} e */
function row(e) {
  const en = getLang() === "en";
  return h(
    "tr",
    { dataset: { action: e.action, result: e.result } },
    h("td", { class: "num" }, fmtDateTime(e.at_ms)),
    // who and from where are names, not words of the UI
    h("td", { translate: "no" }, e.user),
    h("td", { translate: "no" }, e.source_ip),
    h("td", { class: "audit-action" }, en ? e.action_text_en : e.action_text),
    h("td", { class: `audit-result${e.result === "ok" ? "" : " error"}` }, en ? e.result_text_en : e.result_text),
    h(
      "td",
      { class: "small audit-detail" },
      e.detail_items.flatMap((d, i) => [
        i ? "; " : "",
        `${en ? d.name_en : d.name}: `,
        // a name, an id or what a person wrote is shown as recorded
        h("span", d.as_recorded ? { translate: "no" } : {}, en ? d.value_en : d.value),
      ]),
    ),
  );
}

async function main() {
  const form = $("#audit-form");
  const body = $("#audit tbody");
  const older = $("#older");
  let next = null;
  /** @type {AuditEntry[]} */
  let shown = [];
  watchDateTimes();
  window.addEventListener("langchange", () => {
    if (shown.length) body.replaceChildren(...shown.map(row));
  });

  async function load(append = false) {
    clearErrors(form);
    // a mistyped bound is shown, not dropped: no query that would list more than was asked
    const problems = checkDateTimes(form);
    // a range that ends before it starts lists nothing: said beside "Đến", as the shift log does
    if (!problems.length) checkRange(form, problems);
    if (problems.length) return showErrors(form, { fields: problems });
    const v = values(form);
    const q = new URLSearchParams({ limit: "100" });
    for (const k of ["user", "action", "result"]) if (v[k]) q.set(k, v[k]);
    const since = fromLocalInput(v.since);
    const until = fromLocalInput(v.until);
    if (since) q.set("since", String(Date.parse(since)));
    if (until) q.set("until", String(Date.parse(until)));
    if (append && next) q.set("before_id", String(next));
    let page;
    try {
      page = await api(`/api/audit?${q}`);
    } catch (err) {
      showErrors(form, err);
      if (!append) body.replaceChildren(h("tr", {}, h("td", { colspan: 6, class: "error" }, describeError(err))));
      return;
    }
    shown = append ? [...shown, ...page.entries] : page.entries;
    const rows = page.entries.map(row);
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    next = page.next_before_id;
    older.hidden = !next;
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load(false);
  });
  older.addEventListener("click", () => load(true));
  await load(false);
}
