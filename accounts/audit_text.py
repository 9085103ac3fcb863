"""An audit record in words: its action, result and details as catalogue messages
(:mod:`line.catalogue`), for the audit page and the incident timeline.

The record itself stays data (``alarm.shelve``, ``invalid``, ``{"alarm_id": 2, ...}``: what
scripts and exports filter on); people read ``audit.action.<action>``,
``audit.result.<result>`` and each detail as "name: value" with the field's name from
``audit.field.<key>``. An action, result or field the catalogue does not name is shown as
recorded (an old or a new kind is better shown than hidden).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from accounts.identity import UserRole
from line.catalogue import Message, Param, name_of
from line.clock import hanoi_time

#: Every action the application records (``tests/line/test_catalogue.py`` checks each has
#: words; a new action belongs here and in ``line/texts.py``).
ACTIONS = (
    "login",
    "login.failures",
    "logout",
    "access.denied",
    "csrf.rejected",
    "alarm.ack",
    "alarm.ack_bulk",
    "alarm.comment",
    "alarm.shelve",
    "alarm.shelve_approve",
    "alarm.unshelve",
    "crew.create_staff",
    "crew.update_staff",
    "crew.delete_staff",
    "crew.create_group",
    "crew.update_group",
    "crew.delete_group",
    "crew.create_cohort",
    "crew.update_cohort",
    "crew.delete_cohort",
    "crew.record_status_event",
    "crew.record_test",
    "crew.declare_case",
    "crew.record_work",
    "crew.import_roster",
    "simulation.run",
    "simulation.cancel",
    "simulation.sweep",
    "simulation.sweep_cancel",
    "user.add",
    "user.disable",
    "user.enable",
    "user.passwd",
    "user.role",
    "user.token",
    "user.token_revoke",
    "user.unlock",
    "incident.create",
    "incident.note",
    "incident.close",
    "incident.export",
    "log.write",
    "log.export",
    "report.make",
    "handover.open",
    "handover.edit",
    "handover.sign",
    "handover.ack",
    "handover.accept",
    "timetable.decide",
    "audit.prune",
)

#: Detail fields people read by a name (``audit.field.<key>``).
FIELDS = (
    "target",
    "role",
    "rehashed",
    "reason",
    "retry_after_s",
    "count",
    "outcomes",
    "names",
    "distinct_names",
    "first_ms",
    "last_ms",
    "window_s",
    "recorded_separately",
    "priorities",
    "alarm_ids",
    "refused",
    "alarm_id",
    "minutes",
    "text",
    "error",
    "path",
    "params",
    "status",
    "id",
    "staff_id",
    "event_id",
    "test_id",
    "work_id",
    "needs",
    "shift",
    "new",
    "state",
    "item",
    "title",
    "start_ms",
    "end_ms",
    "note_id",
    "format",
    "events",
    "category",
    "corrects",
    "since",
    "until",
    "rows",
    "scenario",
    "days",
    "replications",
    "seed",
    "design",
    "factors",
    "runs",
    "degraded",
    "headway_min",
    "from",
    "before_ms",
    "removed",
    "export_file",
    "label",
)
#: Recorded for the machine, not for a reader: the request's method; the refusal's message
#: as data (shown in place of ``error``).
#: Fields whose values are shown as recorded: names, ids, paths and what people wrote.
AS_RECORDED = frozenset(
    {
        "target",
        "names",
        "path",
        "params",
        "staff_id",
        "event_id",
        "test_id",
        "work_id",
        "text",
        "reason",
        "title",
        "label",
        "export_file",
        "scenario",
        "factors",
        "item",
    }
)
ERROR_MESSAGE = "error_message"
_HIDDEN = frozenset({"method", ERROR_MESSAGE})


def action_text(action: str) -> Message | str:
    """``alarm.shelve`` → "Tạm ẩn báo động" / "Alarm shelved"."""
    return name_of("audit.action", action)


def result_text(result: str) -> Message | str:
    """``invalid`` → "Dữ liệu không hợp lệ" / "Invalid input"."""
    return name_of("audit.result", result)


def audit_error(error: Exception) -> dict[str, Any]:
    """What an audit detail records of a refusal: its English text (``error``, for scripts and
    exports) and, when it is a catalogue message, that message as data, so a reader sees it in
    their language."""
    out: dict[str, Any] = {"error": str(error)[:1000]}
    message = getattr(error, "message", None)
    if isinstance(message, Message):
        out[ERROR_MESSAGE] = message.to_json()
    return out


@dataclass(frozen=True, slots=True)
class DetailItem:
    """One detail of a record: the field's ``name`` and its ``value`` (names or messages);
    ``as_recorded``: the value is shown as it was recorded (an account name, an id, what a
    person wrote), not words of the UI."""

    name: Message | str
    value: Param
    as_recorded: bool


def detail_items(detail: Mapping[str, Any]) -> list[DetailItem]:
    """The details a person reads, in the record's order; empty ones and machine ones left out."""
    items = []
    for key, v in detail.items():
        if key in _HIDDEN or v in (None, "", [], {}):
            continue
        if key == "error" and isinstance(detail.get(ERROR_MESSAGE), dict):
            try:
                v = Message.from_json(detail[ERROR_MESSAGE])
            except (KeyError, TypeError, AttributeError):
                pass
        items.append(DetailItem(name_of("audit.field", key), _value(key, v), key in AS_RECORDED))
    return items


def detail_text(detail: Mapping[str, Any]) -> Message | None:
    """The details as "name: value" items ("báo động: #13; lý do: …; thời gian: 30 phút")."""
    items = tuple(
        Message("audit.detail.item", {"name": i.name, "value": i.value})
        for i in detail_items(detail)
    )
    return Message("audit.detail.list", {"items": items}) if items else None


def _value(key: str, v: Any) -> Param:
    if isinstance(v, Message):
        return v
    if isinstance(v, bool):
        return Message("audit.value.yes" if v else "audit.value.no")
    if key.endswith("_ms") and isinstance(v, int) and v > 0:
        return f"{hanoi_time(v):%H:%M:%S %d/%m/%Y}"
    if key in ("alarm_id", "id", "note_id", "corrects") and isinstance(v, int):
        return f"#{v}"
    if key == "minutes" and isinstance(v, int | float):
        return Message("time.duration.m", {"m": _whole(v)})
    if key in ("retry_after_s", "window_s") and isinstance(v, int | float):
        return Message("time.duration.s", {"s": _whole(v)})
    if key == "role" and isinstance(v, str) and v in UserRole._value2member_map_:
        return UserRole(v).text
    if key == "state" and isinstance(v, str):
        return name_of("handover.state", v)
    if key == "category" and isinstance(v, str):
        return name_of("log.category", v)
    if key == "shift" and isinstance(v, str):
        return name_of("shift", v)
    if key in ("since", "until", "from") and isinstance(v, str):
        return _iso_shown(v)
    if key == "priorities" and isinstance(v, list):
        return ", ".join(f"P{p}" for p in v)
    if key == "needs" and isinstance(v, str):
        return tuple(UserRole(r).text for r in v.split(", ") if r in UserRole._value2member_map_)
    if key == "refused" and isinstance(v, list):
        return ", ".join(
            f"#{r.get('id')} ({r.get('error')})" if isinstance(r, dict) else str(r) for r in v
        )
    if key == "alarm_ids" and isinstance(v, list):
        return ", ".join(f"#{i}" for i in v)
    if key == "outcomes" and isinstance(v, dict):
        return tuple(
            Message("audit.detail.count", {"what": result_text(str(k)), "n": n})
            for k, n in v.items()
        )
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {x}" for k, x in v.items())
    if isinstance(v, str | int | float):
        return v
    return str(v)


def _whole(v: float) -> float:
    """30.0 minutes are 30 minutes: a whole number is written without decimals."""
    return int(v) if float(v).is_integer() else v


def _iso_shown(v: str) -> str:
    """An ISO date or time as this UI writes them: dd/mm/yyyy, hh:mm dd/mm/yyyy, or hh:mm."""
    for parse, shape in (
        (date.fromisoformat, "%d/%m/%Y"),
        (datetime.fromisoformat, "%H:%M %d/%m/%Y"),
    ):
        try:
            return f"{parse(v):{shape}}"
        except ValueError:
            continue
    return v
