// Form errors that say which field and why: a 422's detail[].loc/msg is put beside the input
// it names (aria-invalid, aria-describedby) and summed up at the top of the form by label.

import { describeError } from "./api.js";
import { h } from "./dom.js";
import { fromLocalInput, normaliseLocalInput } from "./fmt.js";
import { t } from "./i18n.js";

// Date-time fields are text inputs marked data-dt (see fmt.js for why not datetime-local);
// each is described by one visually hidden hint per page, which the errors shown keep.
const DT_HINT = "dt-hint";

/** The form's values as an object (empty strings for empty inputs, checkboxes as booleans). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "radio") {
      if (el.checked) out[el.name] = el.value;
    } else out[el.name] = el.value.trim();
  }
  return out;
}

function labelOf(form, input) {
  if (!input) return null;
  const lab = input.id ? form.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null;
  return (lab ?? input.closest("label"))?.textContent.trim().replace(/\s*\*$/, "") ?? null;
}

/** Remove the errors shown by :func:`showErrors`. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    if (el.hasAttribute("data-dt")) el.setAttribute("aria-describedby", DT_HINT);
    else el.removeAttribute("aria-describedby");
  }
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  const box = form.querySelector(".form-error");
  if (box) {
    box.replaceChildren();
    box.hidden = true;
  }
}

/** A message for the whole form (an error, or with ok=true a confirmation). */
export function showMessage(form, text, ok = false) {
  let box = form.querySelector(".form-error");
  if (!box) {
    box = h("div", { class: "form-error", role: "alert" });
    form.prepend(box);
  }
  box.classList.toggle("ok", ok);
  box.replaceChildren(text);
  box.hidden = false;
}

/**
 * Show ``err`` on ``form``: per-field messages beside the inputs named in a 422, and a
 * summary naming each field by its label. ``aliases`` maps API field names to input names, or
 * is a function of the error ({field, path}) returning the input name.
 */
export function showErrors(form, err, aliases = {}) {
  clearErrors(form);
  const fields = err?.fields ?? [];
  if (!fields.length) {
    showMessage(form, describeError(err));
    return;
  }
  const lines = [];
  let first = null;
  for (const f of fields) {
    const name = (typeof aliases === "function" ? aliases(f) : aliases[f.field]) ?? f.field;
    const input = name ? form.elements.namedItem(name) : null;
    const el = input instanceof RadioNodeList ? input[0] : input;
    const label = labelOf(form, el) ?? (f.path || t("form.whole"));
    lines.push(h("li", {}, h("strong", {}, label), `: ${f.msg}`));
    if (el) {
      const id = `${el.id || name}-err`;
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", el.hasAttribute("data-dt") ? `${id} ${DT_HINT}` : id);
      el.after(h("p", { class: "field-error", id }, f.msg));
      first ??= el;
    }
  }
  let box = form.querySelector(".form-error");
  if (!box) {
    box = h("div", { class: "form-error", role: "alert" });
    form.prepend(box);
  }
  box.classList.remove("ok");
  box.replaceChildren(h("p", {}, t("form.fix")), h("ul", {}, lines));
  box.hidden = false;
  first?.focus();
}

/** The attributes of a date-time input made in code (static pages write the same markup). */
export function dateTimeAttrs() {
  return {
    type: "text",
    "data-dt": "",
    inputmode: "numeric",
    autocomplete: "off",
    placeholder: t("form.dt_placeholder"),
    "data-i18n-placeholder": "form.dt_placeholder",
    "aria-describedby": DT_HINT,
  };
}

/**
 * Set up the page's date-time inputs: the hint they are described by, and their text put in
 * canonical form when the user leaves one (1/2/2026 8:00 → 01/02/2026 08:00). Call once per
 * page; inputs added later are covered too.
 */
export function watchDateTimes(doc = document) {
  if (!doc.getElementById(DT_HINT)) {
    doc.body.append(
      h("span", { id: DT_HINT, class: "visually-hidden", "data-i18n": "form.dt_hint" }, t("form.dt_hint")),
    );
  }
  doc.addEventListener("focusout", (ev) => {
    const el = ev.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-dt")) {
      el.value = normaliseLocalInput(el.value.trim());
    }
  });
}

/**
 * Push a problem on ``until`` when both bounds of ``form``'s range are given and it does not
 * end after it starts (the servers refuse it too: "log.refused.until_before_since"); returns
 * ``problems``. Call after :func:`checkDateTimes` found the bounds well typed.
 */
export function checkRange(form, problems = [], since = "since", until = "until") {
  const v = values(form);
  const a = fromLocalInput(v[since]);
  const b = fromLocalInput(v[until]);
  if (a && b && Date.parse(b) <= Date.parse(a)) problems.push({ field: until, msg: t("form.until_before_since") });
  return problems;
}

/**
 * Push a problem for each date-time input of ``form`` whose text is not a real date-time
 * (empty ones are the caller's to require); returns ``problems``. A filter or form with such a
 * problem must not be sent: a mistyped bound is never silently dropped.
 */
export function checkDateTimes(form, problems = []) {
  for (const el of form.querySelectorAll("input[data-dt]")) {
    if (!el.name || el.disabled) continue;
    if (fromLocalInput(el.value) === undefined) problems.push({ field: el.name, msg: t("form.bad_datetime") });
  }
  return problems;
}
