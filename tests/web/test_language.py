"""No English in the Vietnamese UI: every page, signed in as an administrator (who sees them
all) on a live line, read as a person reads it (the page's visible text, and the titles and
placeholders that show on hover or in empty fields), holds none of the English words the
UI's texts are made of. Names that are the same in both languages (train ids, station names,
P1–P4, GTFS, CSV, PDF, KPI, MQTT, Modbus, SimPy) are not words of either."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from accounts.audit import RESULTS
from accounts.identity import UserRole
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp, wait_until
from tests.web.test_board import ALL_PAGES

#: English words a Vietnamese text has no reason to hold: function words and the UI's own
#: vocabulary (each has a Vietnamese word in web/i18n/vi.json or line/texts.py).
ENGLISH = frozenset(
    """
    the and is are was not of to for with from by at in on or no none yes this that these
    alarm alarms train trains driver drivers shift shifts crew staff error errors failed
    loading unknown open closed acknowledge acknowledged shelve shelved unshelve cancel save
    delete run runs replay live status reason minutes hours days day week today tomorrow
    needs required invalid must should already nothing found lost trips trip headway
    service station stations substation power voltage current stale offline online
    edit sign signed accept accepted handover incident incidents note notes report reports
    export download filter search show hide more less next previous back close login logout
    password username role operator planner manager
    """.split()
)
#: Names that are English in every language (a source cited by its name).
PROPER_NAMES = ("Transport for London",)
WORD = re.compile(r"\w[\w'-]*")  # whole words: "toán" is not "to"


def english_in(page: Page) -> dict[str, str]:
    """English words on ``page`` → the line of text that holds the first of each."""
    texts: list[str] = page.evaluate(
        """() => {
          // identifiers (action codes, user names in the audit) are marked translate="no";
          // the language switch names English in English (lang="en"), on purpose
          const skip = '[translate="no"], [lang="en"], script, style, template, [hidden]';
          const out = [];
          const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const el = n.parentElement;
            if (!el || el.closest(skip) || !el.checkVisibility()) continue;
            if (n.textContent.trim()) out.push(n.textContent);
          }
          for (const el of document.querySelectorAll("[title], [placeholder], [aria-label]")) {
            if (el.closest(skip)) continue;
            for (const a of ["title", "placeholder", "aria-label"]) {
              const v = el.getAttribute(a);
              if (v) out.push(v);
            }
          }
          return out;
        }"""
    )
    found: dict[str, str] = {}
    for text in texts:
        for name in PROPER_NAMES:
            text = text.replace(name, "")
        for line in text.splitlines():
            for w in WORD.findall(line):
                if w.lower() in ENGLISH and w.lower() not in found:
                    found[w.lower()] = line.strip()[:160]
    return found


def test_no_english_on_any_page_of_the_vietnamese_ui(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.ADMIN)
    page = s.login()
    expect(page.locator("svg.line-diagram g.train")).to_have_count(13, timeout=15_000)
    expect(page.locator("#crew-tile .crew-verdict")).to_be_visible(timeout=20_000)
    # an alarm on the board too: its text, state and actions are read
    wait_until(
        lambda: (
            page.locator("#alarms tr[data-alarm]").count() > 0
            or page.request.get(app.url + "/api/alarms").json()["alarms"] == []
        ),
        what="the alarm list drawn",
    )
    problems: dict[str, dict[str, str]] = {}
    for name in sorted(ALL_PAGES):
        page.goto(app.url + f"/{name}")
        page.wait_for_load_state("networkidle")
        found = english_in(page)
        if found:
            problems[name] = found
    assert problems == {}, problems


def test_the_audit_page_says_actions_results_and_details_in_words(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.ADMIN)
    page = s.login()
    page.goto(app.url + "/audit")
    mine = page.locator(f'#audit tbody tr[data-action="login"]:has(td:text-is("{s.user}"))').first
    expect(mine.locator(".audit-action")).to_have_text("Đăng nhập")
    expect(mine.locator(".audit-result")).to_have_text("Thành công")
    expect(mine.locator(".audit-detail")).to_contain_text("vai trò: Quản trị")
    # the filter offers every result the audit records, each in words
    offered = page.locator("#a-result option").evaluate_all(
        "os => os.map(o => [o.value, o.textContent])"
    )
    assert [v for v, _ in offered] == ["", *RESULTS]
    assert ["invalid", "Dữ liệu không hợp lệ"] in offered
    assert all(v != text for v, text in offered), offered
    page.select_option("#a-action", "login")
    page.select_option("#a-result", "ok")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#audit tbody tr").first).to_have_attribute("data-result", "ok")
    assert english_in(page) == {}
    s.shot("audit-vi")
    page.click("#lang-switch")
    expect(mine.locator(".audit-action")).to_have_text("Sign-in")
    expect(mine.locator(".audit-result")).to_have_text("Done")
    expect(mine.locator(".audit-detail")).to_contain_text("role: administrator")


SPANS = {
    "vi": ["5 phút", "15 phút", "30 phút", "1 giờ", "3 giờ", "12 giờ", "24 giờ", "7 ngày"],
    "en": ["5 min", "15 min", "30 min", "1 h", "3 h", "12 h", "24 h", "7 days"],
}
WINDOWS = {
    "vi": ["1 giờ", "8 giờ", "24 giờ", "72 giờ", "7 ngày"],
    "en": ["1 h", "8 h", "24 h", "72 h", "7 days"],
}


def test_time_span_options_speak_the_page_language(session: MakeSession) -> None:
    """The span of /history and the window of /alarmperf, in the language shown, and again
    after switching (they read "5 min" in Vietnamese and "7 ngày" in English)."""
    s = session(UserRole.OPERATOR)
    page = s.login()
    options = {"history": "#h-minutes option", "alarmperf": "#ap-hours option"}
    wanted = {"history": SPANS, "alarmperf": WINDOWS}
    for name, sel in options.items():
        page.goto(s.app.url + f"/{name}")
        expect(page.locator(sel)).to_have_text(wanted[name]["vi"])
        page.click("#lang-switch")
        expect(page.locator(sel)).to_have_text(wanted[name]["en"])
        page.click("#lang-switch")
        expect(page.locator(sel)).to_have_text(wanted[name]["vi"])
