// Situation reports: the scheduled (07:00, 11:00, 17:00) and on-demand reports, newest first,
// with their headline numbers and the HTML page and PDF of each; "make one now" for the roles
// that act on them.

import { api, describeError } from "./api.js";
import { $, h } from "./dom.js";
import { fmtDateTime, fmtDay } from "./fmt.js";
import { clearErrors, showErrors, showMessage } from "./forms.js";
import { t } from "./i18n.js";
import { can } from "./roles.js";
import { initPage } from "./shell.js";

const me = await initPage("reports");
if (me) main(); // not awaited: the page counts as loaded while its data arrives

const dash = (v) => (v === null || v === undefined ? "—" : String(v));

function outlook(s) {
  if (s.first_unstaffable) return t("reports.unstaffable_from", { day: fmtDay(s.first_unstaffable) });
  if (s.first_degraded) return t("reports.degraded_from", { day: fmtDay(s.first_degraded) });
  return s.available === null || s.available === undefined ? "—" : t("reports.staffed");
}

function row(r) {
  const s = r.summary ?? {};
  return h(
    "tr",
    { dataset: { report: r.id, kind: r.kind } },
    h("td", { class: "num" }, fmtDateTime(r.at_ms)),
    h("td", {}, t(`reports.kind_${r.kind}`)),
    h("td", { class: "num" }, `${dash(s.trips_run)} / ${dash(s.trips_lost)}`),
    h("td", { class: "num" }, `${dash(s.alarms_raised)} (${dash(s.alarms_active)})`),
    h(
      "td",
      { class: "num" },
      [s.f0, s.f1, s.on_site, s.available].map(dash).join(" / "),
    ),
    h("td", {}, outlook(s)),
    h(
      "td",
      {},
      h("a", { href: r.links.html, target: "_blank", rel: "noopener", class: "html" }, "HTML"),
      " · ",
      h("a", { href: r.links.pdf, download: "", class: "pdf" }, "PDF"),
    ),
  );
}

async function main() {
  const body = $("#reports tbody");
  const form = $("#make-form");
  let shown = [];
  window.addEventListener("langchange", () => render());

  async function load() {
    let list;
    try {
      list = await api("/api/reports?limit=200");
    } catch (err) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 7, class: "error" }, describeError(err))));
      return;
    }
    shown = list;
    render();
  }

  function render() {
    body.replaceChildren(
      ...(shown.length
        ? shown.map(row)
        : [h("tr", {}, h("td", { colspan: 7, class: "empty" }, t("reports.none")))]),
    );
  }

  if (can(me.role, "makeReport")) {
    form.hidden = false;
    const btn = $("#make-report");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      btn.disabled = true;
      showMessage(form, t("reports.making"));
      try {
        await api("/api/reports", { method: "POST" });
        showMessage(form, t("reports.made"), true);
        await load();
      } catch (err) {
        showErrors(form, err);
      } finally {
        btn.disabled = false;
      }
    });
  }
  await load();
}
