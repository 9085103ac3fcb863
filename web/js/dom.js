// Building DOM safely: text is always text (never parsed as HTML), so data from the field or
// from other users cannot inject markup.

/**
 * h("button", {class: "x", onclick: fn, dataset: {id: 3}}, "text", child…)
 * Attributes: class, dataset, on<event> handlers, boolean true/false, null/undefined skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.includes(":")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.split(":")[1])
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

/** An SVG element: s("circle", {cx: 1}). */
export function s(tag, attrs = {}, ...children) {
  return h(`svg:${tag}`, attrs, ...children);
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace the children of ``el``. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** container → Map(key → {version, node}): what `keyed` drew there last time. */
const KEYED = new WeakMap();

/**
 * The one way lists are drawn: make ``container``'s children match ``items``, each
 * ``{key, version, build, update?}``. A child whose key and version are unchanged stays the
 * same DOM node, so focus, hover, text selection and a click between mouse-down and mouse-up
 * survive a redraw; a changed version is patched by ``update(node)`` when given, else rebuilt
 * with ``build()``; children of gone keys are removed; nodes move only when out of order.
 * A board frame therefore touches only what changed.
 */
export function keyed(container, items) {
  const had = KEYED.get(container) ?? new Map();
  const next = new Map();
  for (const it of items) {
    const old = had.get(it.key);
    let node;
    if (old && old.version === it.version) node = old.node;
    else if (old && it.update) {
      node = old.node;
      it.update(node);
    } else {
      node = it.build();
      it.update?.(node);
    }
    next.set(it.key, { version: it.version, node });
  }
  const wanted = new Set([...next.values()].map((e) => e.node));
  for (const el of [...container.children]) if (!wanted.has(el)) el.remove();
  let i = 0;
  for (const { node } of next.values()) {
    const at = container.children[i];
    if (at !== node) container.insertBefore(node, at ?? null);
    i += 1;
  }
  KEYED.set(container, next);
  return container;
}

/** Forget what `keyed` drew in ``container`` (e.g. after a language change: rebuild all). */
export function forgetKeyed(container) {
  KEYED.delete(container);
}
