"""The message catalogue: every code the back end raises has both languages, and renders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from accounts.audit import RESULTS
from accounts.audit_text import ACTIONS, FIELDS
from accounts.identity import UserRole
from crew.duties import StaffingStandard
from crew.model import GroupKind, QualKind, Role, State, TestKind
from crew.store.errors import ENTITIES, ID_CONFLICTS
from line.catalogue import Message, pick_lang, render
from line.texts import TEXTS
from services.health import _DEPENDENCY_PRIORITY
from services.incident_sources import KNOWN_WHAT
from shiftlog.handover import HandoverState
from shiftlog.model import Category
from simulation.records import LEVELS
from simulation.verdict import BINDING_RESOURCES, RUN_CODES
from telemetry.alarm_rules import _STALE_REASONS, LineAlarms
from telemetry.alarms import AlarmBook
from telemetry.config import load_register_maps
from telemetry.faults import FAULT_CODES, fault_text_code
from telemetry.registers import Violation
from whatif.store import RunStatus

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "accounts",
    "line",
    "telemetry",
    "crew",
    "simulation",
    "services",
    "api",
    "reports",
    "feeds",
    "whatif",
    "shiftlog",
    "incidents",
)
#: the window's bounds refused (incidents.model.check_window builds the code from the bound)
WINDOW_REFUSALS = ("not_finite", "out_of_range")
# the same facts told with a different name: the Vietnamese names the substation by its name,
# the English by its id (as before the catalogue); a saved alarm's two texts
OWN_FIELDS = {"alarm.substation.limit", "alarm.substation.stale", "alarm.saved_text"}


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _templates(code: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lang, t in TEXTS[code].items():
        out[lang] = [t] if isinstance(t, str) else [t["one"], t["other"]]
    return out


def _alarming_points() -> set[str]:
    """The substation points of the register maps shipped that can raise an alarm."""
    out: set[str] = set()
    for m in load_register_maps().values():
        for p in m.points:
            out |= set(p.alarm_bits)
            if p.low is not None or p.high is not None or p.alarm_nonzero:
                out.add(p.name)
    return out


def test_every_point_that_alarms_has_a_name_in_words() -> None:
    assert {"dc_bus_voltage", "earth_fault"} <= _alarming_points()
    book = AlarmBook(lambda: 1_795_000_000_000)
    low = Violation("dc_bus_voltage", "low", 567.714, 600.0, "V")
    LineAlarms(book).substation_limits("SS2", "TBA Láng", [low], set())
    (alarm,) = book.active()
    assert render(alarm.text, "vi") == "TBA Láng: điện áp thanh cái DC = 567,714 V (giới hạn 600 V)"
    assert render(alarm.text, "en") == "SS2: DC bus voltage = 567.714 V (limit 600 V)"


def _codes_in_source() -> set[str]:
    """Codes written out in the source, and those built from a name the code knows."""
    found: set[str] = set()
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            src = path.read_text(encoding="utf-8")
            found |= set(re.findall(r'Message\(\s*"([a-z0-9_.]+)"', src))
            # refusals said at the edge (api.lang.said and its kin) name their code first
            found |= set(re.findall(r'(?:said(?:_in)?|_unauthorized)\(\s*"([a-z0-9_.]+)"', src))
            found |= set(re.findall(r'"(alarm\.train\.[a-z_]+)", Priority', src))
            found |= {
                f"crew.problem.{c}" for c in re.findall(r'_problem\(\s*Reason\.\w+,\s*"(\w+)"', src)
            }
    found |= {f"crew.state.{s.value}" for s in State}
    standard = StaffingStandard()
    shifts = (*standard.driver_shifts, *standard.technician_shifts, *standard.occ_shifts)
    found |= {f"shift.{s.id}" for s in shifts}  # line.catalogue.name_of("shift", id)
    found |= {f"crew.role.{r.value}" for r in Role}
    found |= {f"crew.qualification.{q.value}" for q in QualKind}
    found |= {f"crew.test_kind.{k.value}" for k in TestKind}
    found |= {f"crew.group_kind.{g.value}" for g in GroupKind}
    found |= {f"alarm.dependency.{d}" for d in _DEPENDENCY_PRIORITY}
    found |= {f"alarm.substation.stale.{r}" for r in _STALE_REASONS}
    found |= {fault_text_code(c) for c in FAULT_CODES}
    found |= {f"alarm.point.{p}" for p in _alarming_points()}
    found |= {"alarm.headway.gap", "alarm.headway.bunching"}
    found |= {f"incident.what.{w}" for w in KNOWN_WHAT}
    found |= {f"handover.state.{s.value}" for s in HandoverState}
    found |= {f"auth.role.{r.value}" for r in UserRole}
    found |= {f"log.category.{c.value}" for c in Category}
    found |= {f"crew.entity.{e}" for e in ENTITIES}
    found |= {f"crew.refused.id_{why}" for why in ID_CONFLICTS}
    found |= {f"incident.refused.{e}_{w}" for e in ("start", "end") for w in WINDOW_REFUSALS}
    found |= {f"incident.refused.{w}" for w in ("closed_no_notes", "already_closed")}
    found |= {f"incident.field.{f}" for f in ("title", "author", "note")}
    found |= {f"verdict.{c}" for c in RUN_CODES} | {"verdict.lost_p10"}
    found |= {f"verdict.level.{lv}" for lv in LEVELS}
    found |= {f"whatif.status.{st.value}" for st in RunStatus}
    found |= {f"verdict.resource.{r}" for r in BINDING_RESOURCES}
    found |= {f"audit.action.{a}" for a in ACTIONS} | {f"audit.result.{r}" for r in RESULTS}
    found |= {f"audit.field.{f}" for f in FIELDS} | {"audit.value.no"}
    return found


def test_every_code_has_both_languages_with_the_same_fields() -> None:
    for code in TEXTS:
        t = _templates(code)
        assert set(t) == {"vi", "en"}, code
        assert all(s.strip() or code == "alarm.detail" for ss in t.values() for s in ss), code
        if code not in OWN_FIELDS:
            fields = {lang: set().union(*map(_fields, ss)) for lang, ss in t.items()}
            assert fields["vi"] == fields["en"], code


def test_every_code_raised_is_in_the_catalogue_and_every_text_is_used() -> None:
    used = _codes_in_source()
    assert sorted(used - set(TEXTS)) == []
    assert sorted(set(TEXTS) - used) == []


def test_render_fills_fields_nested_messages_lists_and_plurals() -> None:
    one = Message("alarm.train.seq_loss", {"train": "T06", "n": 1, "ranges": "50001"})
    assert render(one, "en") == "Train T06: 1 message lost (seq 50001)"
    many = Message("alarm.train.seq_loss", {"train": "T06", "n": 4, "ranges": "3–4, 7–8"})
    assert render(many, "en") == "Train T06: 4 messages lost (seq 3–4, 7–8)"
    assert render(many) == "Tàu T06: mất 4 bản tin (seq 3–4, 7–8)"  # Vietnamese by default
    f0 = Message("crew.problem.status", {"state": Message("crew.state.f0_isolation")})
    rest = Message("crew.problem.test_missing", {"hours": 24.0})
    driver = Message(
        "alarm.train.driver_not_cleared", {"train": "T02", "driver": "D013", "reasons": (f0, rest)}
    )
    assert render(driver, "vi") == (
        "Tàu T02: lái tàu D013 chưa đủ điều kiện — đang F0 cách ly; "
        "chưa có xét nghiệm âm tính trong 24 giờ trước ca"
    )
    no_detail = Message("alarm.train.fault", {"train": "T01", "fault": "TRC-12", "detail": None})
    assert render(no_detail, "en") == "Train T01: fault TRC-12"


def test_json_round_trip_keeps_nested_messages() -> None:
    f0 = Message("crew.problem.status", {"state": Message("crew.state.f0_isolation")})
    m = Message(
        "alarm.train.driver_not_cleared", {"train": "T02", "driver": "D1", "reasons": (f0,)}
    )
    assert Message.from_json(m.to_json()) == m


def test_a_missing_text_or_field_shows_the_code_rather_than_failing() -> None:
    assert render(Message("no.such.code", {"a": 1})) == "no.such.code(a=1)"
    assert render(Message("alarm.train.offline", {})) == "alarm.train.offline()"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "vi"),
        ("", "vi"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("vi-VN", "vi"),
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.4, vi;q=0.8", "vi"),
        ("de", "vi"),
        ("en;q=abc", "vi"),
    ],
)
def test_request_language_from_accept_language(header: str | None, lang: str) -> None:
    assert pick_lang(header) == lang


def test_grouped_numbers_are_written_as_each_language_writes_them() -> None:
    m = Message("sweep.refused.too_large", {"most": 400_000, "size": 1_830_000})
    assert render(m, "vi").endswith("tối đa 400.000 (lần quét này: 1.830.000)")
    assert render(m, "en").endswith("at most 400,000 (this sweep: 1,830,000)")
    # an ungrouped number is as it was (ids, days, years are not thousands)
    assert "lần chạy (2022)" in render(
        Message("scenario.refused.seed_after_end", {"k": 1, "day": 3000, "last": 2022}), "vi"
    )


def test_decimals_in_vietnamese_have_a_decimal_comma() -> None:
    bunching = Message(
        "alarm.headway.bunching",
        {"leader": "T06", "follower": "T01", "minutes": 4.5, "planned_min": 10.0},
    )
    assert render(bunching, "vi") == "Dồn tàu: T06 → T01 4,5 phút (kế hoạch 10)"
    assert render(bunching, "en") == "Bunching: T06 → T01 4.5 min (planned 10)"
    limit = Message(
        "alarm.substation.limit",
        {
            "name": "TBA Cát Linh",
            "device": "SS1",
            "point": "U",
            "value": 612.5,
            "unit": "V",
            "limit": None,
        },
    )
    assert render(limit, "vi") == "TBA Cát Linh: U = 612,5 V"
    # a number with no format of its own, and a grouped one with decimals
    timetable = Message(
        "handover.item.timetable",
        {"headway": 7.5, "from": "09:30", "reason": "r", "user": "u"},
    )
    assert "giãn cách 7,5 phút" in render(timetable, "vi")
    assert "headway 7.5 min" in render(timetable, "en")
