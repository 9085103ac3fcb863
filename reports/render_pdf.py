"""The report as a PDF (fpdf2), A4, with an embedded Unicode font that covers Vietnamese.

PDF's standard fonts are Latin-1 only, so a TrueType font is embedded (subset to the glyphs
used). The default is DejaVu Sans as bundled with matplotlib (a dependency already), so no
system font package is needed; ``reports.font_file`` overrides it, and the system's DejaVu is
the fallback. Text is NFC-normalised: Vietnamese letters as single code points, which the font
has as precomposed glyphs.
"""

from __future__ import annotations

import importlib.util
import logging
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos

from reports.layout import Document, Facts, Note, Table, nfc

FAMILY = "DejaVuSans"
_SYSTEM_FONTS = (Path("/usr/share/fonts/truetype/dejavu"),)


class FontNotFound(FileNotFoundError):
    """No TrueType font covering Vietnamese was found: set ``reports.font_file``."""


def _matplotlib_fonts() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")  # found without importing it (slow)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def find_fonts(font_file: Path | None = None) -> tuple[Path, Path]:
    """(regular, bold) TTF files: ``font_file`` for both when given, else DejaVu Sans."""
    if font_file is not None:
        if not font_file.is_file():
            raise FontNotFound(f"report font not found: {font_file}")
        return font_file, font_file
    dirs = [d for d in (_matplotlib_fonts(), *_SYSTEM_FONTS) if d is not None]
    for d in dirs:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
    raise FontNotFound(
        "no DejaVuSans.ttf (looked in " + ", ".join(map(str, dirs)) + "): set reports.font_file"
    )


def quiet_fonttools() -> None:
    """fontTools logs every table it prunes while subsetting at INFO: keep it to warnings
    unless the application configured the ``fontTools`` logger itself."""
    logger = logging.getLogger("fontTools")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


class PdfRenderer:
    """Renders :class:`~reports.layout.Document` objects to PDF bytes.

    Synchronous and CPU-bound (tens of milliseconds): call it off the event loop.
    """

    def __init__(self, font_file: Path | None = None) -> None:
        self._regular, self._bold = find_fonts(font_file)
        quiet_fonttools()

    def render(self, doc: Document, *, created: datetime | None = None) -> bytes:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.add_font(FAMILY, "", str(self._regular))
        pdf.add_font(FAMILY, "B", str(self._bold))
        pdf.set_title(nfc(f"{doc.title_vi} / {doc.title_en}"))
        pdf.set_author("metro-ops")
        pdf.set_lang("vi")
        # the report's own time, so the same report renders to the same bytes
        pdf.set_creation_date(created or datetime.now(UTC))
        footer = nfc(doc.footer)

        def _footer() -> None:
            pdf.set_y(-12)
            pdf.set_font(FAMILY, "", 7)
            pdf.set_text_color(120)
            pdf.cell(0, 5, text=f"{footer} · {pdf.page_no()}/{{nb}}", align="C")
            pdf.set_text_color(0)

        pdf.footer = _footer  # type: ignore[method-assign]
        pdf.add_page()
        self._title(pdf, doc)
        for section in doc.sections:
            self._heading(pdf, section.vi, section.en)
            for block in section.blocks:
                if isinstance(block, Facts):
                    self._facts(pdf, block)
                elif isinstance(block, Table):
                    self._table(pdf, block)
                else:
                    self._note(pdf, block)
        return bytes(pdf.output())

    # --- blocks ------------------------------------------------------------------------------
    @staticmethod
    def _title(pdf: FPDF, doc: Document) -> None:
        pdf.set_font(FAMILY, "B", 15)
        pdf.multi_cell(0, 7, text=nfc(doc.title_vi), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 11)
        pdf.set_text_color(90)
        pdf.multi_cell(0, 6, text=nfc(doc.title_en), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.ln(2)
        PdfRenderer._facts(pdf, Facts(doc.meta))

    @staticmethod
    def _heading(pdf: FPDF, vi: str, en: str) -> None:
        if pdf.will_page_break(30):  # keep a heading with what follows it
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 12)
        pdf.set_text_color(11, 83, 148)
        pdf.multi_cell(0, 6, text=nfc(f"{vi} / {en}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.set_draw_color(11, 83, 148)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.set_draw_color(0)
        pdf.ln(2)

    @staticmethod
    def _facts(pdf: FPDF, facts: Facts) -> None:
        pdf.set_font(FAMILY, "", 9)
        with pdf.table(
            col_widths=(62, 38),
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=5,
            text_align=("LEFT", "RIGHT"),
        ) as table:
            for r in facts.rows:
                row = table.row()
                row.cell(nfc(f"{r.vi} / {r.en}"))
                row.cell(nfc(r.value))
        pdf.ln(1)

    @staticmethod
    def _table(pdf: FPDF, t: Table) -> None:
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.set_font(FAMILY, "B", 9)
        pdf.multi_cell(0, 5, text=nfc(f"{t.vi} / {t.en}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 8)
        head = FontFace(emphasis="BOLD", fill_color=(238, 243, 249))
        with pdf.table(
            headings_style=head, line_height=4.2, repeat_headings=1, text_align="LEFT"
        ) as table:
            row = table.row()
            for vi, en in t.columns:
                row.cell(nfc(f"{vi}\n{en}" if vi != en else vi))
            for cells in t.rows:
                row = table.row()
                for cell in cells:
                    row.cell(nfc(cell))
        pdf.ln(1)

    @staticmethod
    def _note(pdf: FPDF, note: Note) -> None:
        pdf.set_font(FAMILY, "", 9)
        if note.warn:
            pdf.set_fill_color(253, 243, 231)
        else:
            pdf.set_fill_color(244, 247, 251)
        pdf.multi_cell(
            0,
            5,
            text=nfc(f"{note.vi}\n{note.en}"),
            fill=True,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(1)
