// Strings of the UI: web/i18n/{vi,en}.json. Vietnamese by default; the choice is remembered.
//
// Static markup names its string with data-i18n (text), data-i18n-placeholder,
// data-i18n-title or data-i18n-aria-label; code calls t(key, params). Switching language
// reloads the dictionary, re-applies the markup and fires "langchange" on window so each
// page re-renders what it drew from data.

const STORAGE_KEY = "metro.lang";
export const LANGS = ["vi", "en"];
const dicts = {};
let lang = pickLang();

function pickLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch {
    // storage disabled (private mode): the default applies
  }
  return "vi";
}

async function load(code) {
  if (!dicts[code]) {
    const r = await fetch(`/static/i18n/${code}.json`, { cache: "no-cache" });
    if (!r.ok) throw new Error(`cannot load strings ${code}: HTTP ${r.status}`);
    dicts[code] = await r.json();
  }
  return dicts[code];
}

/** Load the current language (and Vietnamese as the fallback for a missing key). */
export async function initI18n() {
  await Promise.all([load(lang), load("vi")]);
  document.documentElement.lang = lang;
  applyI18n();
}

export function getLang() {
  return lang;
}

/** BCP 47 locale for Intl formatting. */
export function locale() {
  return lang === "vi" ? "vi-VN" : "en-GB";
}

/** Switch language, remember it, re-apply markup and tell the page. */
export async function setLang(code) {
  if (!LANGS.includes(code)) return;
  await load(code);
  lang = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // not remembered; still switched for this page
  }
  document.documentElement.lang = code;
  applyI18n();
  window.dispatchEvent(new CustomEvent("langchange", { detail: { lang: code } }));
}

/** The string for ``key`` with {name} placeholders filled from ``params``. */
export function t(key, params) {
  let s = dicts[lang]?.[key] ?? dicts.vi?.[key];
  if (s === undefined) {
    console.warn("missing string", key);
    s = key;
  }
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  }
  return s;
}

/** Has this key a string (in the current language or the fallback)? */
export function has(key) {
  return key in (dicts[lang] ?? {}) || key in (dicts.vi ?? {});
}

/** Fill the data-i18n* attributes under ``root``. */
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
  const title = document.querySelector("title[data-i18n-doc]");
  if (title) document.title = `${t(title.dataset.i18nDoc)} · metro-ops`;
}
