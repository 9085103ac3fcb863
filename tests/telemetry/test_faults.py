"""Train faults are described in the reader's language: every code of the ICD's table has a
Vietnamese and an English text, and an alarm of a known code says it in the catalogue's words,
not in the on-board unit's (English) detail."""

from __future__ import annotations

import re
from pathlib import Path

from line.catalogue import Message, render
from telemetry.alarm_rules import LineAlarms
from telemetry.alarms import AlarmBook, Priority, alarm_from_dict
from telemetry.emulator.onboard import FAULTS
from telemetry.faults import FAULT_CODES, fault_text
from telemetry.schemas import Severity

ICD = Path(__file__).resolve().parents[2] / "docs" / "icd.md"


def _book() -> AlarmBook:
    return AlarmBook(lambda: 1_795_000_000_000)


def test_a_known_fault_reads_in_each_language_whatever_the_unit_said() -> None:
    book = _book()
    rules = LineAlarms(book)
    rules.fault_raised("T05", "AUX-004", Severity.MINOR, "auxiliary converter fault")
    rules.fault_raised("T02", "HVA-101", Severity.MINOR, "HVAC unit 1 compressor trip")
    rules.fault_raised("T07", "BRK-021", Severity.MAJOR, "brake cylinder pressure low")
    texts = {a.source: a.text for a in book.active()}
    assert render(texts["T05"], "vi") == "Tàu T05: lỗi AUX-004 — bộ biến đổi nguồn phụ có sự cố"
    assert render(texts["T05"], "en") == "Train T05: fault AUX-004 — auxiliary converter fault"
    assert (
        render(texts["T02"], "vi") == "Tàu T02: lỗi HVA-101 — máy nén điều hòa tổ máy số 1 bị ngắt"
    )
    assert render(texts["T07"], "vi") == "Tàu T07: lỗi BRK-021 — áp suất xi lanh phanh thấp"
    assert render(texts["T07"], "en") == "Train T07: fault BRK-021 — brake cylinder pressure low"


def test_an_unknown_code_keeps_the_units_own_words() -> None:
    book = _book()
    LineAlarms(book).fault_raised("T01", "TRC-999", Severity.MAJOR, "vendor text")
    (alarm,) = book.active()
    assert render(alarm.text, "vi") == "Tàu T01: lỗi TRC-999 — vendor text"


def test_every_fault_the_field_sends_has_texts_and_the_icd_lists_them() -> None:
    for spec in FAULTS:
        text = fault_text(spec.code)
        assert text is not None, spec.code
        # the English text is the equipment's own description; the Vietnamese is another
        assert render(text, "en") == spec.detail
        assert render(text, "vi") != spec.detail
    listed = set(re.findall(r"^\| `([A-Z]{3}-\d{3})` \|", ICD.read_text(encoding="utf-8"), re.M))
    assert listed == set(FAULT_CODES)


def test_a_fault_alarm_saved_with_the_units_words_is_described_when_restored() -> None:
    book = _book()
    old = Message(
        "alarm.train.fault",
        {
            "train": "T05",
            "fault": "AUX-004",
            "detail": Message("alarm.detail", {"text": "auxiliary converter fault"}),
        },
    )
    saved = book.raise_alarm("train:T05:fault:AUX-004", Priority.LOW, "T05", old).to_dict()
    restored = alarm_from_dict(saved)
    assert render(restored.text, "vi") == "Tàu T05: lỗi AUX-004 — bộ biến đổi nguồn phụ có sự cố"
    assert render(restored.text, "en") == "Train T05: fault AUX-004 — auxiliary converter fault"
