"""The latest signed handover as the situation reports state it (``reports`` may not import
``shiftlog``: the two application features meet here)."""

from __future__ import annotations

from reports.content import HandoverReader
from reports.model import HandoverFacts, HandoverItemLine
from shiftlog.handovers import Handovers


def latest_handover(handovers: Handovers) -> HandoverReader:
    """A reader of the newest handover signed at or before the report's moment."""

    async def read(at_ms: int) -> HandoverFacts | None:
        h = await handovers.store.latest_signed(before_ms=at_ms)
        if h is None:
            return None
        # accepted after the report's moment: the report says what was true at that moment
        accepted = h.accepted_ms is not None and h.accepted_ms <= at_ms
        return HandoverFacts(
            shift_id=h.shift_id,
            shift_start_ms=h.shift_start_ms,
            shift_end_ms=h.shift_end_ms,
            state="accepted" if accepted else "signed",
            summary=h.summary,
            signed_by=h.signed_by,
            signed_ms=h.signed_ms,
            accepted_by=h.accepted_by if accepted else None,
            accepted_ms=h.accepted_ms if accepted else None,
            items=tuple(
                HandoverItemLine(
                    section=i.section.value,
                    text=i.text,
                    text_en=i.text_en,
                    must_ack=i.must_ack,
                    acked_by=a.user if (a := h.acks.get(i.key)) and a.at_ms <= at_ms else None,
                )
                for i in h.items
            ),
        )

    return read
