"""The train fault codes of the ICD (docs/icd.md, "Train fault codes") and their texts.

An on-board unit names a fault by its code (``AUX-004``) and may add a ``detail`` of its own,
in whatever language the equipment was built with (the emulator's is English). People read
the fault in their language, so a known code is described by the catalogue
(``alarm.fault.<code>``, :mod:`line.texts`) and the unit's own words are shown only for a code
the table does not know.
"""

from __future__ import annotations

from typing import Final

from line.catalogue import Message

#: ICD fault codes → subsystem (``SUBSYSTEM-NNN``; the prefixes are the ICD's).
FAULT_CODES: Final = (
    "TRC-012",
    "TRC-031",
    "BRK-021",
    "BRK-050",
    "DOR-003",
    "HVA-101",
    "ATC-007",
    "AUX-004",
)


def fault_text_code(code: str) -> str:
    """The catalogue code describing fault ``code``: ``AUX-004`` → ``alarm.fault.aux_004``."""
    return "alarm.fault." + code.lower().replace("-", "_")


def fault_text(code: str | None) -> Message | None:
    """What fault ``code`` is, in the catalogue's words; ``None`` for a code the ICD's table
    does not list (the unit's own detail is all there is)."""
    if code is None or code not in FAULT_CODES:
        return None
    return Message(fault_text_code(code))


def described(text: Message) -> Message:
    """A fault alarm's text saved before the table described its code (the unit's English
    words as its detail) with the catalogue's description instead; any other text as it is."""
    code = text.params.get("fault")
    known = fault_text(code) if isinstance(code, str) else None
    if text.code != "alarm.train.fault" or known is None:
        return text
    return Message(text.code, {**text.params, "detail": Message("alarm.detail", {"text": known})})
