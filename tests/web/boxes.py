"""What a person sees cut off on a page, measured from the element boxes chromium laid out:
the page wider than the window, elements (partly) off-screen, text clipped by its box (an
ellipsis, a hidden overflow) and tables wider than the panel that holds them."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

_CUT = """([within, cells]) => {
  const out = [];
  const say = (el, why) => out.push(
    `${why}: <${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}> `
    + JSON.stringify(el.textContent.trim().slice(0, 40)));
  const W = document.documentElement.clientWidth;
  for (const el of document.querySelectorAll(cells)) {
    // .visually-hidden: a heading for screen readers, a 1 px box on purpose
    if (!el.closest(within) || el.closest('.visually-hidden') || !el.checkVisibility()) continue;
    const b = el.getBoundingClientRect();
    if (b.width === 0) continue;
    if (b.left < -0.5 || b.right > W + 0.5) {
      say(el, `off-screen ${Math.round(b.left)}..${Math.round(b.right)}`);
    }
    const s = getComputedStyle(el);
    if (s.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) {
      say(el, `clipped ${el.clientWidth}/${el.scrollWidth} px`);
    }
    // a child sticking out of its cell (a button, a tag) is cut for the eye too
    for (const c of el.children) {
      if (!c.checkVisibility()) continue;
      const cb = c.getBoundingClientRect();
      if (cb.width && (cb.right > b.right + 1 || cb.left < b.left - 1)) {
        say(c, 'sticks out of its cell');
      }
    }
  }
  for (const wrap of document.querySelectorAll(`${within} .table-wrap, ${within} .panel`)) {
    if (wrap.checkVisibility() && wrap.scrollWidth > wrap.clientWidth + 1) {
      say(wrap, `scrolls sideways ${wrap.clientWidth}/${wrap.scrollWidth} px`);
    }
  }
  return out;
}"""


def page_width(page: Page) -> int:
    """The document's width: more than the window's means a sideways scroll."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def cut_off(
    page: Page,
    within: str = "body",
    cells: str = "td, th, button, .tag, .kpi-label, .kpi-value, .kpi-extra, h1, h2, label",
) -> list[str]:
    """Everything under ``within`` a person sees cut: off-screen, clipped, sticking out of its
    cell, or a table scrolling sideways in its panel. Empty when nothing is."""
    found: list[str] = page.evaluate(_CUT, [within, cells])
    return found


def box(page: Page, selector: str) -> dict[str, Any]:
    """The element's box in CSS px (left, top, right, bottom, width, height)."""
    got: dict[str, Any] = page.locator(selector).evaluate(
        """e => { const b = e.getBoundingClientRect();
                  return {left: b.left, top: b.top, right: b.right, bottom: b.bottom,
                          width: b.width, height: b.height}; }"""
    )
    return got
