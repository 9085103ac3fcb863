// Form errors that say which field and why: a 422's detail[].loc/msg is put beside the input
// it names (aria-invalid, aria-describedby) and summed up at the top of the form by label.

import { describeError } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

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
    el.removeAttribute("aria-describedby");
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
      el.setAttribute("aria-describedby", id);
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
