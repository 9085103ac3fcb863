"""An incident with its timeline as CSV and as PDF.

CSV: one row per event (and per note) in time order, Hanoi time, every cell neutralised
against spreadsheet formulas the way the roster export does (:func:`crew.csvio.formula_safe`):
event texts carry operators' words and field data, which must never run as a formula.

PDF (fpdf2): A4, both languages, the font passed in — the composition root hands over the
situation reports' DejaVu Sans (``reports.render_pdf.find_fonts``), which covers Vietnamese;
this package does not import the reports. Text is NFC-normalised so Vietnamese letters are the
font's precomposed glyphs.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos

from crew.csvio import formula_safe
from incidents.model import Incident, Source, TimelineEvent
from incidents.timeline import Timeline
from line.clock import hanoi_time

FAMILY = "DejaVuSans"

#: each source's name (Vietnamese, English)
SOURCE_NAMES: dict[Source, tuple[str, str]] = {
    Source.ALARM: ("Cảnh báo", "Alarm"),
    Source.AUDIT: ("Thao tác", "Operator action"),
    Source.CREW: ("Tổ lái", "Crew"),
    Source.TRIP: ("Chuyến", "Trip"),
    Source.LOG: ("Sổ ca", "Shift log"),
    Source.NOTE: ("Ghi chú", "Note"),
}

CSV_HEADER = [
    "time_hanoi",
    "at_ms",
    "source",
    "kind",
    "text_vi",
    "text_en",
    "user",
    "train",
    "alarm_id",
    "staff_id",
    "ref",
]


def _hanoi(ms: int) -> str:
    return hanoi_time(ms).strftime("%Y-%m-%d %H:%M:%S")


def note_events(incident: Incident) -> list[TimelineEvent]:
    """The incident's notes as timeline events (they join the timeline in time order)."""
    return [
        TimelineEvent(
            at_ms=n.at_ms,
            source=Source.NOTE,
            kind="note",
            text=n.text,
            text_en=n.text,
            user=n.author,
            ref=f"note {n.id}",
        )
        for n in incident.notes
    ]


def to_csv(timeline: Timeline) -> str:
    """The timeline (with the incident's notes in it) as CSV text, a header row first."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for e in timeline.events:
        cells = [
            _hanoi(e.at_ms),
            str(e.at_ms),
            e.source.value,
            e.kind,
            e.text,
            e.text_en,
            e.user or "",
            e.train or "",
            "" if e.alarm_id is None else str(e.alarm_id),
            e.staff_id or "",
            e.ref or "",
        ]
        w.writerow([formula_safe(c) for c in cells])
    return out.getvalue()


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _links(e: TimelineEvent) -> str:
    parts = [e.train, f"#{e.alarm_id}" if e.alarm_id is not None else None, e.staff_id, e.user]
    return " ".join(p for p in parts if p)


class IncidentPdf:
    """Renders an incident to PDF bytes. Synchronous, CPU-bound: call it off the event loop."""

    def __init__(self, fonts: Callable[[], tuple[Path, Path]]) -> None:
        # (regular, bold) TrueType files, looked up when first needed: a missing font fails
        # the export that needs it (clearly), not the server's start
        self._fonts = fonts

    def render(self, incident: Incident, timeline: Timeline, *, created_ms: int) -> bytes:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(12, 12, 12)
        pdf.set_auto_page_break(auto=True, margin=14)
        regular, bold = self._fonts()
        pdf.add_font(FAMILY, "", str(regular))
        pdf.add_font(FAMILY, "B", str(bold))
        pdf.set_title(_nfc(incident.title))
        pdf.set_author("metro-ops")
        pdf.set_lang("vi")
        pdf.set_creation_date(datetime.fromtimestamp(created_ms / 1000, UTC))

        def _footer() -> None:
            pdf.set_y(-10)
            pdf.set_font(FAMILY, "", 7)
            pdf.set_text_color(120)
            pdf.cell(0, 5, text=f"metro-ops · sự cố / incident #{incident.id} · {pdf.page_no()}")
            pdf.set_text_color(0)

        pdf.footer = _footer  # type: ignore[method-assign]
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 15)
        pdf.multi_cell(0, 7, text=_nfc(incident.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 9)
        closed = (
            f"đóng / closed {_hanoi(incident.closed_ms)} ({incident.closed_by})"
            if incident.closed_ms is not None
            else "đang mở / open"
        )
        facts = [
            ("Sự cố số / Incident", f"#{incident.id}"),
            (
                "Khoảng thời gian (giờ Hà Nội) / Window (Hanoi time)",
                f"{_hanoi(timeline.start_ms)} – {_hanoi(timeline.end_ms)}",
            ),
            ("Trạng thái / Status", closed),
            (
                "Tạo bởi / Created by",
                f"{incident.created_by}, {_hanoi(incident.created_ms)}",
            ),
            ("Sự kiện / Events", str(len(timeline.events))),
        ]
        if incident.alarm_id is not None:
            facts.append(("Từ cảnh báo / From alarm", f"#{incident.alarm_id}"))
        if timeline.failed:
            facts.append(("Nguồn không trả lời / Sources missing", ", ".join(timeline.failed)))
        if timeline.truncated:
            facts.append(("Cắt bớt / Truncated", "có / yes"))
        with pdf.table(
            col_widths=(70, 116),
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=5,
        ) as table:
            for k, v in facts:
                row = table.row()
                row.cell(_nfc(k))
                row.cell(_nfc(v))
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(0, 6, text=_nfc("Diễn biến / Timeline"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 7.5)
        head = FontFace(emphasis="BOLD", fill_color=(238, 243, 249))
        with pdf.table(
            col_widths=(22, 20, 104, 40),
            headings_style=head,
            line_height=3.8,
            repeat_headings=1,
            text_align="LEFT",
        ) as table:
            row = table.row()
            for cell in ("Giờ\nTime", "Nguồn\nSource", "Sự kiện\nEvent", "Liên quan\nLinks"):
                row.cell(cell)
            for e in timeline.events:
                vi, en = SOURCE_NAMES[e.source]
                text = e.text if e.text == e.text_en else f"{e.text}\n{e.text_en}"
                row = table.row()
                row.cell(hanoi_time(e.at_ms).strftime("%d/%m %H:%M:%S"))
                row.cell(_nfc(f"{vi}\n{en}"))
                row.cell(_nfc(text))
                row.cell(_nfc(_links(e)))
        return bytes(pdf.output())
