// The audit log (admins): every sign-in, acknowledgement, shelve, crew change and simulation
// run, newest first, filtered and paged.

import { api, describeError } from "./api.js";
import { $, h } from "./dom.js";
import { fmtDateTime, fromLocalInput } from "./fmt.js";
import { checkDateTimes, checkRange, clearErrors, showErrors, values, watchDateTimes } from "./forms.js";
import { initPage } from "./shell.js";

const me = await initPage("audit");
if (me) main(); // not awaited: the page counts as loaded while its data arrives

function detailText(d) {
  if (d === null || d === undefined) return "";
  if (typeof d !== "object") return String(d);
  return Object.entries(d)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
    .join(" · ");
}

async function main() {
  const form = $("#audit-form");
  const body = $("#audit tbody");
  const older = $("#older");
  let next = null;
  watchDateTimes();

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
    const rows = page.entries.map((e) =>
      h(
        "tr",
        { dataset: { action: e.action, result: e.result } },
        h("td", { class: "num" }, fmtDateTime(e.at_ms)),
        // who, from where, the action's code and its details are data, not words of the UI
        h("td", { translate: "no" }, e.user),
        h("td", { translate: "no" }, e.source_ip),
        h("td", { translate: "no" }, e.action),
        h("td", { class: e.result === "ok" ? "" : "error", translate: "no" }, e.result),
        h("td", { class: "small", translate: "no" }, detailText(e.detail)),
      ),
    );
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
