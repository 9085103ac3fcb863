"""``GET /api/alarms/performance``: how well the alarm system serves the operators (rates per
console, floods, chattering, stale and shelved alarms, bad actors) — every signed-in role."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from accounts.identity import READERS, Principal
from api.auth import require_roles
from api.deps import RuntimeDep
from api.lang import LangDep
from api.schemas import alarm_performance as schemas
from services.alarm_report import performance_now

router = APIRouter(prefix="/api", tags=["alarms"])
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
HoursQ = Annotated[int, Query(ge=1, le=168, description="window ending now, in hours")]


@router.get("/alarms/performance", response_model=schemas.AlarmPerformance)
def alarm_performance(_: Reader, rt: RuntimeDep, lang: LangDep, hours: HoursQ = 24) -> Any:
    """The alarm system's performance over the last ``hours`` (``telemetry.alarm_performance``)."""
    p = performance_now(rt.alarms, now_ms=rt.clock(), hours=hours)

    def with_text(x: Any) -> dict[str, Any]:
        """The dataclass as JSON with its text in the request's language only."""
        d = asdict(x)
        vi, en = d.pop("text_vi"), d.pop("text_en")
        d["message"] = en if lang == "en" else vi
        return d

    return {
        "start_ms": p.start_ms,
        "end_ms": p.end_ms,
        "total": p.total,
        "periods": p.periods,
        "periods_in_flood": p.periods_in_flood,
        "flood_pct": round(p.flood_pct, 2),
        "flood_threshold": p.flood_threshold,
        "consoles": [asdict(c) for c in p.consoles],
        "per_10min": [{"start_ms": t, "by_console": c} for t, c in p.per_10min],
        "bad_actors": [with_text(b) for b in p.bad_actors],
        "top10_share_pct": round(p.top10_share_pct, 2),
        "chattering": [with_text(s) for s in p.chattering],
        "stale": [with_text(s) for s in p.stale],
        "shelved": [with_text(s) for s in p.shelved],
    }
