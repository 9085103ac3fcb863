"""The shift log API (``/api/log``).

* ``GET  /api/log`` — entries newest first, filtered by time (``since``/``until``, ISO 8601 with
  an offset), ``category`` and search text ``q``; paged with ``before`` (the previous page's
  ``next_before``); ``after`` gives only what is newer than an id (the page's poll). Each entry
  carries the ids of the entries correcting it (``corrected_by``) and, when it is itself a
  correction, the entry it corrects (``corrects_entry``), so both are shown together.
* ``POST /api/log`` — write an entry (201); a correction is ``{"corrects": id, "text": …}``.

* ``GET  /api/log/export.csv?since=…&until=…`` — administrators: the entries of a range as CSV
  (oldest first; cells neutralised against spreadsheet formulas, as the roster CSV's).

An entry flagged ``follow_up`` is an open item (a handover passes it on) until an entry
corrects it. Everyone signed in reads. Who writes which category: crew entries are for crew
managers, operations, equipment and safety entries for operators, ``other`` for either;
administrators write any. A correction keeps the category of the entry it corrects. Entries
cannot be changed or deleted (there is no such route, and the table refuses it). Every write is
audited (``log.write``), refused ones too; so is an export (``log.export``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from accounts.audit_text import audit_error
from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.lang import refusal_detail
from api.schemas.base import CSV
from api.schemas.shiftlog import ListedLogEntry, LogEntry, LogPage
from crew.model import ID_PATTERN
from crew.store.errors import NotFound
from line.catalogue import Invalid, Message, Refusal, render_both
from shiftlog import Category, EntryNotFound, InvalidEntry, NewEntry
from shiftlog import LogEntry as StoredEntry
from shiftlog.export import export_csv
from shiftlog.model import MAX_TEXT
from shiftlog.store import MAX_PAGE
from telemetry.alarms import AlarmNotFound

router = APIRouter(prefix="/api/log", tags=["shift log"])

OP, CM, AD = UserRole.OPERATOR, UserRole.CREW_MANAGER, UserRole.ADMIN
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Writer = Annotated[Principal, Depends(require_roles(OP, CM, AD))]
Exporter = Annotated[Principal, Depends(require_roles(AD))]
MAX_EXPORT_DAYS = 366

#: who writes each category (administrators: all)
WRITERS: dict[Category, frozenset[UserRole]] = {
    Category.OPERATIONS: frozenset({OP, AD}),
    Category.EQUIPMENT: frozenset({OP, AD}),
    Category.SAFETY: frozenset({OP, AD}),
    Category.CREW: frozenset({CM, AD}),
    Category.OTHER: frozenset({OP, CM, AD}),
}


MAX_ID = 2**31 - 1  # ids are 32-bit integers in both databases
STAFF_ID = re.compile(ID_PATTERN)


def _staff_id(v: str | None) -> str | None:
    # the crew roster's id format: a mistyped id ("NOPE/1") is refused here, naming the field
    if v is not None and not STAFF_ID.fullmatch(v):
        raise Invalid(Message("log.refused.staff_format", {"staff": v[:40]}))
    return v


def _no_nul(v: str | None) -> str | None:
    # PostgreSQL cannot store NUL in text: refused here as bad input, not a server error
    if v is not None and "\x00" in v:
        raise ValueError("must not contain NUL characters")
    return v


Clean = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class EntryIn(BaseModel):
    """A new entry. ``category`` may be left out of a correction (it keeps the original's)."""

    model_config = ConfigDict(extra="forbid")

    text: Clean = Field(min_length=1, max_length=MAX_TEXT)
    category: Category | None = None
    train: Clean | None = Field(default=None, min_length=1, max_length=16)
    alarm_id: Id | None = None
    staff_id: Annotated[Clean | None, AfterValidator(_staff_id)] = Field(
        default=None, min_length=1, max_length=64, description="a staff id of the crew roster"
    )
    corrects: Id | None = Field(default=None, description="the id of the entry corrected")
    follow_up: bool = Field(default=False, description="an open item until corrected")


def _out(e: StoredEntry) -> LogEntry:
    msg = e.message.to_json() if e.message is not None else None
    text, text_en = (e.text, e.text_en) if e.message is None else render_both(e.message)
    return LogEntry(
        id=e.id,
        at_ms=e.at_ms,
        author=e.author,
        system=e.system,
        category=e.category,
        text=text,  # the system's words rendered now, from the catalogue (stored: for search)
        text_en=text_en,
        code=None if msg is None else msg["code"],
        params=None if msg is None else msg["params"],
        train=e.train,
        alarm_id=e.alarm_id,
        staff_id=e.staff_id,
        corrects=e.corrects,
        follow_up=e.follow_up,
    )


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


@router.get("")
async def list_entries(
    _who: Reader,
    request: Request,
    rt: RuntimeDep,
    since: Annotated[AwareDatetime | None, Query(description="written at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="written before")] = None,
    category: Category | None = None,
    q: Annotated[
        str | None, AfterValidator(_no_nul), Query(max_length=200, description="text contained")
    ] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> LogPage:
    """Entries newest first, with their corrections."""
    if since is not None and until is not None and until <= since:
        raise _range_refused(request, Message("log.refused.until_before_since"))
    page = await rt.shift_log.store.page(
        since_ms=_ms(since),
        until_ms=_ms(until),
        category=category,
        q=q.strip() if q else None,
        before=before,
        after=after,
        limit=limit,
    )
    by_id = {e.id: e for e in page.entries} | page.corrected
    entries: list[ListedLogEntry] = []
    for e in page.entries:
        target = by_id.get(e.corrects) if e.corrects is not None else None
        entries.append(
            ListedLogEntry(
                **_out(e).model_dump(),
                corrected_by=page.corrections.get(e.id, []),
                corrects_entry=None if target is None else _out(target),
            )
        )
    return LogPage(entries=entries, next_before=page.next_before)


class WrongWriter(Refusal):
    """The caller's role does not write entries of that category (403)."""


class BadLink(InvalidEntry):
    """What the entry is about does not exist (an unknown train, alarm or staff member): a
    422 whose ``detail`` also names the ``field``, so a form puts it beside that input."""

    def __init__(self, message: Message, field: str) -> None:
        super().__init__(message)
        self.field = field


#: a refusal's HTTP status (an entry that cannot be stored as given: 422)
_STATUS: dict[type[Refusal], int] = {EntryNotFound: 404, WrongWriter: 403}


def _category(c: Category) -> Message:
    return Message(f"log.category.{c.value}")


def _range_refused(request: Request, why: Message) -> HTTPException:
    """A 422 for a time range the query cannot have, in the asker's language."""
    return HTTPException(422, refusal_detail(Refusal(why), request))


async def _checked(body: EntryIn, who: Principal, rt: Any) -> NewEntry:
    """The entry to store, or a refusal in the catalogue's words (422; 403 for the writer)."""
    category = body.category
    if body.corrects is not None:
        original = await rt.shift_log.store.get(body.corrects)  # EntryNotFound: the caller's 404
        if category is not None and category is not original.category:
            raise InvalidEntry(
                Message(
                    "log.refused.correction_category",
                    {"original": _category(original.category), "given": _category(category)},
                )
            )
        category = original.category
    if category is None:
        choices = tuple(_category(c) for c in Category)
        raise InvalidEntry(Message("log.refused.no_category", {"choices": choices}))
    if who.role not in WRITERS[category]:
        allowed = tuple(r.text for r in sorted(WRITERS[category]))
        raise WrongWriter(
            Message(
                "log.refused.category_writer",
                {
                    "category": _category(category),
                    "allowed": allowed,
                    "role": who.role.text,
                },
            )
        )
    if body.train is not None and body.train not in rt.line.fleet.trains:
        raise BadLink(Message("log.refused.unknown_train", {"train": body.train}), "train")
    if body.alarm_id is not None:
        try:
            rt.alarms.get(body.alarm_id)
        except AlarmNotFound as exc:
            raise BadLink(
                Message("log.refused.no_alarm", {"id": body.alarm_id}), "alarm_id"
            ) from exc
    if body.staff_id is not None:
        try:
            await rt.crew.get_staff(body.staff_id)  # the roster the crew pages edit
        except NotFound as exc:
            raise BadLink(
                Message("log.refused.unknown_staff", {"staff": body.staff_id}), "staff_id"
            ) from exc
    return NewEntry(
        author=who.user,
        category=category,
        text=body.text,
        train=body.train,
        alarm_id=body.alarm_id,
        staff_id=body.staff_id,
        corrects=body.corrects,
        follow_up=body.follow_up,
    )


@router.post("", status_code=201)
async def write_entry(
    body: EntryIn, who: Writer, request: Request, rt: RuntimeDep
) -> ListedLogEntry:
    """Write an entry as the signed-in user; stored (on disk) before the answer."""
    detail: dict[str, Any] = {"category": body.category, "corrects": body.corrects}
    try:
        entry = await rt.shift_log.write(await _checked(body, who, rt))
    except (InvalidEntry, EntryNotFound, WrongWriter) as exc:
        code = _STATUS.get(type(exc), 422)
        await audit_request(
            request, who, "log.write", result_of(code), {**detail, **audit_error(exc)}
        )
        said: dict[str, str] = refusal_detail(exc, request)
        if isinstance(exc, BadLink):
            said["field"] = exc.field
        raise HTTPException(code, said) from exc
    detail.update(id=entry.id, category=entry.category.value)
    await audit_request(request, who, "log.write", "ok", detail)
    target = await rt.shift_log.store.get(entry.corrects) if entry.corrects is not None else None
    return ListedLogEntry(
        **_out(entry).model_dump(),
        corrected_by=[],
        corrects_entry=None if target is None else _out(target),
    )


@router.get("/export.csv", response_class=Response, responses=CSV)
async def export_entries(
    who: Exporter,
    request: Request,
    rt: RuntimeDep,
    since: Annotated[AwareDatetime, Query(description="written at or after")],
    until: Annotated[AwareDatetime, Query(description="written before")],
) -> Response:
    """The entries written in ``[since, until)`` as CSV, oldest first (administrators)."""
    if until <= since:
        raise _range_refused(request, Message("log.refused.until_before_since"))
    if (until - since).days > MAX_EXPORT_DAYS:
        raise _range_refused(
            request, Message("log.refused.export_too_long", {"days": MAX_EXPORT_DAYS})
        )
    since_ms, until_ms = _ms(since), _ms(until)
    assert since_ms is not None and until_ms is not None
    text, rows = await export_csv(rt.shift_log.store, since_ms, until_ms)
    await audit_request(
        request,
        who,
        "log.export",
        "ok",
        {"since": since.isoformat(), "until": until.isoformat(), "rows": rows},
    )
    name = f"shift-log-{since:%Y%m%d}-{until:%Y%m%d}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
