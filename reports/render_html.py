"""The report as one self-contained HTML page (inline CSS, no scripts, no external assets).

Rendered with jinja2 from ``templates/report.html.j2`` with autoescaping on: alarm messages
and scenario names come from the field and from users, so nothing is inserted unescaped.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from reports.layout import Document, Facts, Table, nfc

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _lines(cell: str) -> Markup:
    """A two-line cell: Vietnamese, then English in the secondary style."""
    first, _, rest = cell.partition("\n")
    if not rest:
        return escape(first)
    return (
        escape(first) + Markup('<br><span class="en" lang="en">') + escape(rest) + Markup("</span>")
    )


def _is_number(cell: str) -> bool:
    return cell.lstrip("+−-").replace(".", "", 1).replace(":", "", 1).isdigit()


class HtmlRenderer:
    """Renders :class:`~reports.layout.Document` objects; build once, use many times."""

    def __init__(self, templates: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["lines"] = _lines
        self._env.filters["is_number"] = _is_number
        self._env.tests["facts"] = lambda b: isinstance(b, Facts)
        self._env.tests["table"] = lambda b: isinstance(b, Table)
        self._template = self._env.get_template("report.html.j2")

    def render(self, doc: Document) -> str:
        return nfc(self._template.render(doc=doc))
