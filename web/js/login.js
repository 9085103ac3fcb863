// Sign in: username and password for a session cookie (and the CSRF cookie beside it), then
// back to the page that sent us here, or the role's home page.

import { ApiError, describeError, request } from "./api.js";
import { $ } from "./dom.js";
import { clearErrors, showErrors, showMessage, values } from "./forms.js";
import { getLang, initI18n, setLang, t } from "./i18n.js";

const HOME = { operator: "/board", planner: "/whatif", crew_manager: "/crew", admin: "/board" };

await initI18n();
const form = $("#login-form");
const langBtn = $("#lang-switch");
const langLabel = () => {
  langBtn.textContent = getLang() === "vi" ? "English" : "Tiếng Việt";
  langBtn.setAttribute("aria-label", t("nav.switch_lang"));
};
langLabel();
langBtn.addEventListener("click", async () => {
  await setLang(getLang() === "vi" ? "en" : "vi");
  langLabel();
});

const params = new URLSearchParams(location.search);
if (params.get("reason") === "expired") showMessage(form, t("login.expired"));

/**
 * Only a page of this site may be the way back. The URL is resolved as the browser will
 * resolve it — which drops tabs and newlines and reads "\" as "/", so "/\evil.example/" and
 * "/<tab>/evil.example/" are really "//evil.example/" — and must keep this origin.
 */
function safeNext(next, origin = location.origin) {
  if (!next) return null;
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin || url.pathname === "/login" || url.pathname.startsWith("/login/")) {
    return null;
  }
  return url.pathname + url.search + url.hash;
}

const submit = $("#login-submit");
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearErrors(form);
  const v = values(form);
  const missing = ["username", "password"]
    .filter((k) => !v[k])
    .map((k) => ({ field: k, msg: t("form.required") }));
  if (missing.length) {
    showErrors(form, { fields: missing });
    return;
  }
  const btn = submit;
  btn.disabled = true;
  try {
    const { data } = await request("/api/auth/login", {
      method: "POST",
      body: { username: v.username, password: v.password },
      allow401: true,
    });
    location.assign(safeNext(params.get("next")) ?? HOME[data.role] ?? "/board");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showMessage(form, t("login.bad"));
    else if (err instanceof ApiError && (err.status === 423 || err.status === 429)) {
      // the server's message says how long to wait, in the page's language
      const said = err.detail && typeof err.detail === "object" ? err.detail.message : err.detail;
      showMessage(form, typeof said === "string" && said ? said : t("login.locked", { detail: "" }));
    } else showErrors(form, err);
    $("#password").value = "";
    $("#password").focus();
  } finally {
    btn.disabled = false;
  }
});

submit.disabled = false; // enabled only once submitting goes through the code above
