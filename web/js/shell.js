// The frame every page shares: who is signed in (or off to the login page), the menu their
// role may use, the language switch, the Hanoi clock, banners, sign-out.

import { api, describeError, request, toLogin } from "./api.js";
import { $, fill, h } from "./dom.js";
import { fmtTime } from "./fmt.js";
import { getLang, initI18n, setLang, t } from "./i18n.js";
import { PAGES } from "./roles.js";

/** The signed-in user ({user, role, …}) once the page may be shown, else null. */
export async function initPage(pageId) {
  await initI18n();
  let me;
  try {
    me = (await request("/api/auth/me")).data;
  } catch (err) {
    if (err.status !== 401) showBanner("fatal", describeError(err), "error");
    return null; // 401: already on the way to the login page
  }
  renderHeader(pageId, me);
  const page = PAGES.find((p) => p.id === pageId);
  if (page && !page.roles.includes(me.role)) {
    fill($("#main"), h("p", { class: "notice error", role: "alert" }, t("err.page_role")));
    return null;
  }
  return me;
}

function renderHeader(pageId, me) {
  const header = $("#app-header");
  const nav = h(
    "nav",
    { "aria-label": t("nav.menu") },
    h(
      "ul",
      {},
      PAGES.filter((p) => p.roles.includes(me.role)).map((p) =>
        h(
          "li",
          {},
          h(
            "a",
            {
              href: p.href,
              "aria-current": p.id === pageId ? "page" : null,
              "data-i18n": `nav.${p.id}`,
              id: `nav-${p.id}`,
            },
            t(`nav.${p.id}`),
          ),
        ),
      ),
    ),
  );
  const clock = h("span", { class: "clock", id: "clock", title: "Asia/Ho_Chi_Minh" });
  const tick = () => {
    clock.textContent = `${fmtTime(Date.now())} ICT`;
  };
  tick();
  setInterval(tick, 1000);
  const langBtn = h("button", {
    type: "button",
    id: "lang-switch",
    class: "btn ghost",
    onclick: async () => {
      await setLang(getLang() === "vi" ? "en" : "vi");
      langLabel();
    },
  });
  const langLabel = () => {
    langBtn.textContent = getLang() === "vi" ? "English" : "Tiếng Việt";
    langBtn.setAttribute("lang", getLang() === "vi" ? "en" : "vi");
    langBtn.setAttribute("aria-label", t("nav.switch_lang"));
  };
  langLabel();
  const who = h(
    "span",
    { class: "who", id: "who" },
    h("span", { class: "user" }, me.user),
    " · ",
    h("span", { class: "role", "data-i18n": `role.${me.role}` }, t(`role.${me.role}`)),
  );
  const logout = h(
    "button",
    { type: "button", class: "btn ghost", id: "logout", "data-i18n": "nav.logout", onclick: signOut },
    t("nav.logout"),
  );
  fill(
    header,
    h("a", { class: "brand", href: "/board" }, h("span", { "data-i18n": "app.name" }, t("app.name"))),
    nav,
    h("div", { class: "tools" }, clock, langBtn, who, logout),
  );
}

async function signOut() {
  try {
    await api("/api/auth/logout", { method: "POST", allow401: true });
  } catch {
    // signed out already, or the server is gone: the login page is where we go either way
  }
  location.assign("/login");
}

/** Show (or replace) a banner by id; kind: info | warn | error. */
export function showBanner(id, text, kind = "warn") {
  const box = $("#banners");
  let el = box.querySelector(`[data-banner="${id}"]`);
  if (!el) {
    el = h("div", {
      class: `banner ${kind}`,
      role: kind === "info" ? "status" : "alert",
      dataset: { banner: id },
    });
    box.append(el);
  }
  el.className = `banner ${kind}`;
  el.textContent = text;
  return el;
}

export function hideBanner(id) {
  $(`#banners [data-banner="${id}"]`)?.remove();
}

export { toLogin };
