"""Crew REST API (``/api/crew``): staff, contact groups, cohorts, status and tests, coverage.

Every route needs a signed-in caller (session cookie or bearer token, see :mod:`api.auth`):
any role reads; ``crew_manager`` and ``admin`` write (each write is audited). Versioned
records (staff, groups, cohorts) answer with an ``ETag`` holding their version; ``PUT`` and
``DELETE`` need it back in ``If-Match`` (428 without it, 409 when someone else changed the
record since — reload and redo). Status events and test results carry the client's id
(``event_id``, ``test_id``): a retried ``POST`` answers 200 with the stored record instead of
201, and is recorded once. Every change leaves an audit record (``GET /api/crew/audit``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audited_roles
from api.lang import LangDep
from api.schemas import crew as out
from api.schemas.base import CSV
from api.validation_text import invalid_input, invalid_nested
from crew.coverage import SolverSettings
from crew.csvio import CsvImportError, import_roster_csv, write_roster_csv
from crew.hours import WorkRecord
from crew.model import (
    FIRST_DAY,
    LAST_DAY,
    Cohort,
    ContactGroup,
    CrewInstant,
    Staff,
    State,
    StatusEvent,
    TestKind,
    TestOutcome,
    TestResult,
)
from crew.rules import ContactMark, cohort_problems, trace_contacts
from crew.store import (
    CrewStore,
    Versioned,
)
from crew.store.outlook import capacity_rows, shift_rows, state_counts, stored_outlook
from line.catalogue import Invalid, Lang, Message, render
from telemetry.alarm_rules import DRIVER_ALARM_KINDS
from telemetry.alarms import AlarmSubject
from whatif.outlook_gate import RateLimited

router = APIRouter(prefix="/api/crew", tags=["crew"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
# Writes are audited (action crew.<route>, who, from where, result) before the answer goes out.
Writer = Annotated[
    Principal,
    Depends(audited_roles("crew", UserRole.CREW_MANAGER, UserRole.ADMIN), scope="function"),
]
IfMatch = Annotated[str | None, Header(description='the ETag of the version you edited, e.g. "3"')]
MAX_CSV_BYTES = 5_000_000
MAX_DAYS = 62
OUTLOOK_FIRST, OUTLOOK_LAST = FIRST_DAY, LAST_DAY  # coverage `from`: the crew record's range
# A test taken or a case declared "in the future" is a typo (a year, a day and month swapped),
# except by the few minutes a tablet's clock may run ahead of the server's: that much is let
# through, not more. (Status events may lie ahead: planned leave; so may cohorts and work.)
CLOCK_SKEW = timedelta(minutes=5)
SKEW = {"skew_min": int(CLOCK_SKEW.total_seconds() // 60)}  # the texts' parameter


def _store(rt: RuntimeDep) -> CrewStore:
    return rt.crew


StoreDep = Annotated[CrewStore, Depends(_store)]


# --- request bodies --------------------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusEventIn(_Body):
    """A status event; ``event_id`` is your id for it, so a retry is recorded once."""

    event_id: str = Field(min_length=1, max_length=128)
    staff_id: str
    state: State
    effective: CrewInstant
    until: CrewInstant | None = None
    source: str = Field(default="", max_length=500)
    note: str = Field(default="", max_length=2000)


class TestResultIn(_Body):
    """A test result; ``test_id`` is your id for it, so a retry is recorded once."""

    __test__ = False  # not a pytest test class despite the name

    test_id: str = Field(min_length=1, max_length=128)
    staff_id: str
    kind: TestKind
    outcome: TestOutcome
    taken_at: CrewInstant


class WorkIn(_Body):
    """A shift worked (or booked); ``work_id`` is your id for it, so a retry is recorded once."""

    work_id: str = Field(min_length=1, max_length=128)
    staff_id: str
    start: CrewInstant
    end: CrewInstant
    requirement_id: str = Field(default="", max_length=200)


class CaseIn(_Body):
    """Declare a confirmed case (F0) at ``at`` (default: now); contacts are marked F1."""

    staff_id: str
    at: CrewInstant | None = None


# --- helpers ---------------------------------------------------------------------------------
def _etag(version: int) -> str:
    return f'"{version}"'


def _expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise HTTPException(
            428,
            "send If-Match with the ETag of the version you edited (from GET), "
            "so a change made meanwhile by someone else is not overwritten",
        )
    tag = if_match.split(",")[0].strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError:
        raise HTTPException(400, f'If-Match {if_match!r} is not an ETag like "3"') from None


def _out(v: Versioned[Any], response: Response | None = None) -> dict[str, Any]:
    if response is not None:
        response.headers["ETag"] = _etag(v.version)
    body: dict[str, Any] = v.item.model_dump(mode="json")
    body["version"] = v.version
    return body


def _same_id(path_id: str, body_id: str) -> None:
    if path_id != body_id:
        raise HTTPException(
            422,
            [{"loc": ["body", "id"], "msg": f"{body_id!r} is not {path_id!r} of the URL",
              "type": "id_mismatch"}],
        )  # fmt: skip


def _now(store: CrewStore) -> datetime:
    return datetime.now(UTC).astimezone(store.policy.tz)


# --- staff, contact groups and cohorts: versioned records, one set of routes each -----------
@dataclass(frozen=True, slots=True)
class _Records:
    """One kind of versioned record: its URL, body and answer models, and the store's calls
    (unbound :class:`CrewStore` methods). ``warnings``: creating or changing one answers what
    the policy says against it (cohorts)."""

    path: str  # "/staff"
    one: str  # route names say create_<one>, get_<one>, …: the audit's action names
    id_name: str  # the path parameter: "staff_id"
    model: type[BaseModel]
    out: type[BaseModel]
    list_all: Callable[[CrewStore], Awaitable[list[Versioned[Any]]]]
    get: Callable[[CrewStore, str], Awaitable[Versioned[Any]]]
    create: Callable[..., Awaitable[Versioned[Any]]]
    update: Callable[..., Awaitable[Versioned[Any]]]
    delete: Callable[..., Awaitable[None]]
    saved: type[BaseModel] | None = None  # the create/update answer (default: ``out``)
    warnings: bool = False


def _record_routes(r: _Records) -> None:
    """List, create, read, replace (``If-Match``) and delete (``If-Match``) one kind of record."""
    one_path = f"{r.path}/{{{r.id_name}}}"
    record_id = Annotated[str, Path(alias=r.id_name)]

    async def answer(
        store: CrewStore, v: Versioned[Any], response: Response, lang: Lang
    ) -> dict[str, Any]:
        body = _out(v, response)
        if r.warnings:
            body.update(await _cohort_warnings(store, v.item.id, lang))
        return body

    async def list_all(_: Reader, store: StoreDep) -> list[dict[str, Any]]:
        return [_out(v) for v in await r.list_all(store)]

    async def create(
        body: BaseModel, who: Writer, store: StoreDep, response: Response, lang: LangDep
    ) -> dict[str, Any]:
        v = await r.create(store, body, actor=who.actor)
        return await answer(store, v, response, lang)

    async def get(rid: str, _: Reader, store: StoreDep, response: Response) -> dict[str, Any]:
        return _out(await r.get(store, rid), response)

    async def update(
        rid: str,
        body: BaseModel,
        who: Writer,
        store: StoreDep,
        response: Response,
        lang: LangDep,
        if_match: IfMatch = None,
    ) -> dict[str, Any]:
        _same_id(rid, str(getattr(body, "id", "")))
        expected = _expected_version(if_match)
        v = await r.update(store, body, expected_version=expected, actor=who.actor)
        return await answer(store, v, response, lang)

    async def delete(rid: str, who: Writer, store: StoreDep, if_match: IfMatch = None) -> Response:
        expected = _expected_version(if_match)
        await r.delete(store, rid, expected_version=expected, actor=who.actor)
        return Response(status_code=204)

    # the annotations are strings (postponed): the ones made here are given as objects
    create.__annotations__["body"] = update.__annotations__["body"] = r.model
    for annotated in (get.__annotations__, update.__annotations__, delete.__annotations__):
        annotated["rid"] = record_id
    saved = r.saved or r.out
    plural = r.path.strip("/")
    routes: tuple[tuple[Callable[..., Any], str, str, str, Any, int, str], ...] = (
        (list_all, f"list_{plural}", r.path, "GET", list[r.out], 200,  # type: ignore[name-defined]
         f"Every {r.one} record, with its version."),
        (create, f"create_{r.one}", r.path, "POST", saved, 201, f"Add a {r.one} record."),
        (get, f"get_{r.one}", one_path, "GET", r.out, 200,
         f"One {r.one} record; its ETag is the version to send back in If-Match."),
        (update, f"update_{r.one}", one_path, "PUT", saved, 200,
         f"Replace a {r.one} record (If-Match: the version you edited; 409 if it moved)."),
        (delete, f"delete_{r.one}", one_path, "DELETE", None, 204,
         f"Delete a {r.one} record (If-Match: the version you saw)."),
    )  # fmt: skip
    for fn, name, path, method, model, status, doc in routes:
        fn.__name__ = fn.__qualname__ = name  # the audit names the action after the route
        fn.__doc__ = doc
        router.add_api_route(
            path, fn, methods=[method], status_code=status, response_model=model, name=name
        )


async def _cohort_warnings(store: CrewStore, cohort_id: str, lang: Lang) -> dict[str, Any]:
    """What the policy says against a cohort (too long, a member in two cohorts at once):
    ``warnings`` as text in the request's language, ``warning_messages`` as codes."""
    found = [
        p.text
        for p in cohort_problems(await store.roster(), store.policy)
        if cohort_id in p.cohorts
    ]
    return {
        "warnings": [render(m, lang) for m in found],
        "warning_messages": [m.to_json() for m in found],
    }


for _records in (
    _Records("/staff", "staff", "staff_id", Staff, out.StaffOut, CrewStore.staff,
             CrewStore.get_staff, CrewStore.create_staff, CrewStore.update_staff,
             CrewStore.delete_staff),
    _Records("/groups", "group", "group_id", ContactGroup, out.GroupOut, CrewStore.groups,
             CrewStore.get_group, CrewStore.create_group, CrewStore.update_group,
             CrewStore.delete_group),
    _Records("/cohorts", "cohort", "cohort_id", Cohort, out.CohortOut, CrewStore.cohorts,
             CrewStore.get_cohort, CrewStore.create_cohort, CrewStore.update_cohort,
             CrewStore.delete_cohort, saved=out.CohortSaved, warnings=True),
):  # fmt: skip
    _record_routes(_records)


@router.get("/staff/{staff_id}/history", response_model=out.StaffHistory)
async def staff_history(staff_id: str, _: Reader, store: StoreDep) -> dict[str, Any]:
    """A person's status events and tests, and their state now."""
    await store.get_staff(staff_id)
    snap = await store.snapshot()
    now = _now(store)
    av = snap.history.status_at(staff_id, now)
    return {
        "staff_id": staff_id,
        "now": {
            "state": av.state.value,
            "since": av.since,
            "until": av.until,
            "awaiting_release_test": av.awaiting_release_test,
        },
        "events": [e.model_dump(mode="json") for e in snap.history.events_of(staff_id)],
        "tests": [t.model_dump(mode="json") for t in snap.history.tests_of(staff_id)],
    }


# --- status, tests, cases --------------------------------------------------------------------
@router.get("/status", response_model=out.StatusNow)
async def status_now(
    _: Reader,
    rt: RuntimeDep,
    store: StoreDep,
    lang: LangDep,
    at: Annotated[CrewInstant | None, Query(description="instant (default: now)")] = None,
) -> dict[str, Any]:
    """Everyone's state at ``at``, with counts per state, and the trains whose driver the
    board's alarms say is not cleared right now (the crew screens turn red on them as the
    board does)."""
    snap = await store.snapshot()
    t = at or _now(store)
    people = []
    for s in snap.roster.staff:
        av = snap.history.status_at(s.id, t)
        people.append(
            {
                "staff_id": s.id,
                "name": s.name,
                "role": s.role.value,
                "state": av.state.value,
                "since": av.since,
                "until": av.until,
                "awaiting_release_test": av.awaiting_release_test,
            }
        )
    counts = state_counts(snap, t)
    drivers = {tv.train: tv.driver for tv in rt.state.trains.values()}
    not_cleared = []
    for a in rt.alarms.active(include_shelved=True):
        sub = AlarmSubject.of_key(a.key) if a.subject is None else a.subject
        if sub.train and sub.kind in DRIVER_ALARM_KINDS and a.active:
            not_cleared.append(
                {
                    "train": sub.train,
                    "driver": drivers.get(sub.train),
                    "kind": sub.kind,
                    "message": a.message_en if lang == "en" else a.message,
                    "alarm_id": a.id,
                }
            )
    return {
        "at": t,
        "revision": snap.revision,
        "counts": counts,
        "staff": people,
        "drivers_not_cleared": sorted(not_cleared, key=lambda d: d["train"]),
    }


@router.get("/status-events", response_model=list[StatusEvent])
async def list_status_events(
    _: Reader, store: StoreDep, staff_id: str | None = None
) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in await store.status_events(staff_id)]


@router.post("/status-events", status_code=201, response_model=StatusEvent)
async def record_status_event(
    body: StatusEventIn, who: Writer, store: StoreDep, response: Response, lang: LangDep
) -> dict[str, Any]:
    """Append a status event (201); the same ``event_id`` and content again → 200, once.

    A new F0 is not a status event: it is declared as a case (``POST /cases``), which marks
    the contacts F1. An ``f0_isolation`` event is taken only for someone already F0 at its
    ``effective`` (an extension or a correction of their isolation); else 422 on ``state``."""
    try:
        event = StatusEvent(**body.model_dump(), recorded_at=_now(store))
    except ValidationError as exc:
        raise invalid_nested(["body"], exc, lang) from exc
    if event.state is State.F0_ISOLATION:
        snap = await store.snapshot()
        known = event.staff_id in snap.roster.by_id  # else the store's 404 says so
        if known and snap.history.state_at(event.staff_id, event.effective) is not event.state:
            why = Invalid(Message("crew.refused.f0_needs_case", {"staff": event.staff_id}))
            raise invalid_input(["body", "state"], why, "value_error", lang)
    rec = await store.record_status(event, actor=who.actor)
    if not rec.created:
        response.status_code = 200
    return rec.item.model_dump(mode="json")


def _not_ahead(field: str, at: datetime, store: CrewStore, why: Message, lang: Lang) -> None:
    """422 on ``field``, saying ``why``, when ``at`` is later than now by more than
    :data:`CLOCK_SKEW`."""
    if at > _now(store) + CLOCK_SKEW:
        raise invalid_input(["body", field], Invalid(why), "value_error", lang)


@router.get("/tests", response_model=list[TestResult])
async def list_tests(
    _: Reader, store: StoreDep, staff_id: str | None = None
) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json") for t in await store.test_results(staff_id)]


@router.post("/tests", status_code=201, response_model=TestResult)
async def record_test(
    body: TestResultIn, who: Writer, store: StoreDep, response: Response, lang: LangDep
) -> dict[str, Any]:
    """Record a test result (201); the same ``test_id`` and content again → 200, once.
    ``taken_at`` later than now (beyond a few minutes of clock skew) → 422."""
    _not_ahead("taken_at", body.taken_at, store, Message("crew.refused.test_in_future", SKEW), lang)
    try:
        test = TestResult(**body.model_dump(), recorded_at=_now(store))
    except ValidationError as exc:
        raise invalid_nested(["body"], exc, lang) from exc
    rec = await store.record_test(test, actor=who.actor)
    if not rec.created:
        response.status_code = 200
    return rec.item.model_dump(mode="json")


@router.post("/cases", status_code=201, response_model=out.CaseDeclared)
async def declare_case(
    body: CaseIn, who: Writer, store: StoreDep, response: Response, lang: LangDep
) -> dict[str, Any]:
    """Declare an F0: isolates the person and marks their contact groups F1, saying why.
    ``at`` later than now (beyond a few minutes of clock skew) → 422: a case is a fact."""
    if body.at is not None:
        _not_ahead("at", body.at, store, Message("crew.refused.case_in_future", SKEW), lang)
    at = body.at or _now(store)
    trace, new = await store.declare_case(body.staff_id, at, actor=who.actor)
    if new == 0:
        response.status_code = 200
    return {
        "case": trace.case_event.model_dump(mode="json"),
        "contacts": [_contact(m, lang) for m in trace.marks],
        "not_marked": [_contact(m, lang) for m in trace.not_marked],
        "events": [e.model_dump(mode="json") for e in trace.events],
        "new_events": new,
    }


@router.get("/cases/preview", response_model=out.CasePreview)
async def preview_case(
    who: Reader,
    rt: RuntimeDep,
    store: StoreDep,
    lang: LangDep,
    staff_id: Annotated[str, Query(description="the person who tested positive")],
    at: Annotated[CrewInstant | None, Query(description="when (default: now)")] = None,
) -> dict[str, Any]:
    """What declaring this F0 would do, written nowhere (a GET, for every reader: it shows only
    what the status and groups already do): who would be marked F1 and why, and who of them
    (the case too) is driving a train or rostered on a shift at that moment — the crew manager
    confirms with this in front of them, then ``POST /cases``."""
    body = CaseIn(staff_id=staff_id, at=at)
    at = body.at or _now(store)
    snap = await store.snapshot()
    if body.staff_id not in snap.roster.by_id:
        raise HTTPException(404, f"staff {body.staff_id!r} not found")
    marks, skipped = trace_contacts(snap.roster, snap.history, body.staff_id, at, store.policy)
    driving = {tv.driver: tv.train for tv in rt.state.trains.values() if tv.driver}
    day = at.astimezone(store.policy.tz).date()
    # today: the crew page's own 14-day outlook, most likely solved and cached already
    today = day == _now(store).date()
    _, outlook = await _outlook(
        rt, store, who, None if today else day, 14 if today else 1, field=("query", "at")
    )
    on_shift = {
        a.staff_id: a.shift_id
        for d in outlook.days
        for a in d.coverage.assignments
        if a.start <= at < a.end
    }

    def person(staff_id: str) -> dict[str, Any]:
        p = snap.roster.by_id.get(staff_id)
        return {
            "staff_id": staff_id,
            "name": p.name if p else staff_id,
            "role": p.role.value if p else None,
            "on_train": driving.get(staff_id),
            "on_shift": on_shift.get(staff_id),
        }

    contacts = [person(m.staff_id) | _contact(m, lang) for m in marks]
    on_duty = [c for c in [person(body.staff_id), *contacts] if c["on_train"] or c["on_shift"]]
    return {
        "at": at,
        "case": person(body.staff_id),
        "contacts": contacts,
        "not_marked": [person(m.staff_id) | _contact(m, lang) for m in skipped],
        "on_duty_now": len({c["staff_id"] for c in on_duty}),
        "on_trains_now": sorted({c["on_train"] for c in on_duty if c["on_train"]}),
    }


def _contact(m: ContactMark, lang: Lang) -> dict[str, Any]:
    """A traced contact; ``reason`` in the request's language, also as code and params."""
    return {
        "staff_id": m.staff_id,
        "group_id": m.group_id,
        "reason": render(m.reason, lang),
        "reason_code": m.reason.code,
        "reason_params": m.reason.to_json()["params"],
    }


@router.get("/work", response_model=list[out.Work])
async def list_work(
    _: Reader,
    store: StoreDep,
    staff_id: str | None = None,
    since: AwareDatetime | None = None,
) -> list[dict[str, Any]]:
    """Shifts worked (they count for rest, hours and overtime in coverage)."""
    return [
        {
            "work_id": wid,
            "staff_id": w.staff_id,
            "start": w.start,
            "end": w.end,
            "requirement_id": w.requirement_id,
        }
        for wid, w in await store.work_records(staff_id, since=since)
    ]


@router.post("/work", status_code=201, response_model=out.Work)
async def record_work(
    body: WorkIn, who: Writer, store: StoreDep, response: Response
) -> dict[str, Any]:
    """Book a shift worked (201); the same ``work_id`` and content again → 200, once."""
    try:
        rec = WorkRecord(body.staff_id, body.start, body.end, body.requirement_id)
    except ValueError as exc:
        raise HTTPException(
            422, [{"loc": ["body", "end"], "msg": str(exc), "type": "value_error"}]
        ) from exc
    out = await store.record_work(body.work_id, rec, actor=who.actor)
    if not out.created:
        response.status_code = 200
    w = out.item
    return {
        "work_id": body.work_id,
        "staff_id": w.staff_id,
        "start": w.start,
        "end": w.end,
        "requirement_id": w.requirement_id,
    }


# --- coverage and capacity -------------------------------------------------------------------
DaysQ = Annotated[int, Query(ge=1, le=MAX_DAYS, description="days from `from`")]
FromQ = Annotated[date | None, Query(alias="from", description="first day (default: today)")]


async def _outlook(
    rt: RuntimeDep,
    store: CrewStore,
    who: Principal,
    start: date | None,
    days: int,
    *,
    field: tuple[str, str] = ("query", "from"),
) -> Any:
    """The outlook through the runtime's gate (cache, single flight, rate limit per user);
    ``field`` is the input ``start`` came from, named when it is refused."""
    limit = rt.settings.crew.outlook_max_days
    if days > limit:
        raise HTTPException(
            422,
            [{"loc": ["query", "days"], "type": "less_than_equal",
              "msg": f"at most {limit} days (crew.outlook_max_days)"}],
        )  # fmt: skip
    if start is not None and not OUTLOOK_FIRST <= start <= OUTLOOK_LAST:
        # found by schemathesis: from=0001-01-01 overflowed date arithmetic (a 500)
        raise HTTPException(
            422,
            [{"loc": list(field), "type": "date_range",
              "msg": f"must be between {OUTLOOK_FIRST} and {OUTLOOK_LAST}"}],
        )  # fmt: skip
    now = _now(store)
    tt_id = rt.settings.state.timetable
    solver = SolverSettings(time_limit_s=rt.settings.crew.solver_time_limit_s)
    first = start or now.date()

    def solve() -> Any:
        return stored_outlook(
            store,
            [(rt.line, rt.line.timetable(tt_id))],
            start=first,
            days=days,
            as_of=now,
            solver=solver,
            offload=rt.outlooks.offload,
        )

    key = (first, days, tt_id, await store.revision())
    try:
        return await rt.outlooks.get(key, who.actor, days, solve)
    except RateLimited as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from exc


@router.get("/coverage", response_model=out.Coverage)
async def coverage(
    who: Reader,
    rt: RuntimeDep,
    store: StoreDep,
    start: FromQ = None,
    days: DaysQ = 15,
    assignments: bool = False,
) -> dict[str, Any]:
    """Per day and shift: needed, assigned and missing by role; capacity per period; overtime
    per person against the limits; the first day the timetable cannot be staffed."""
    snap, outlook = await _outlook(rt, store, who, start, days)
    out_days = []
    for d in outlook.days:
        day: dict[str, Any] = {
            "date": d.service_date,
            "staffable": d.coverage.staffable,
            "solver_status": d.coverage.solver_status,
            "shifts": shift_rows(d.coverage, snap),
            "capacity": capacity_rows(d),
        }
        if assignments:
            day["assignments"] = [
                {
                    "staff_id": a.staff_id,
                    "requirement_id": a.requirement_id,
                    "shift": a.shift_id,
                    "kind": a.kind.value,
                    "start": a.start,
                    "end": a.end,
                    "overtime_min": a.overtime_min,
                    "test_pending": a.test_pending,
                }
                for a in d.coverage.assignments
            ]
        out_days.append(day)
    return {
        "revision": snap.revision,
        "policy": store.policy.name,
        "as_of": outlook.plan.as_of,
        "first_unstaffable": outlook.first_unstaffable,
        "first_degraded": outlook.first_degraded,
        "days": out_days,
        "overtime": [
            {
                "staff_id": o.staff_id,
                "year": o.year,
                "month": o.month,
                "planned_h": o.planned_h,
                "month_h": o.month_h,
                "month_limit_h": o.month_limit_h,
                "year_h": o.year_h,
                "year_limit_h": o.year_limit_h,
                "max_day_h": o.max_day_h,
                "max_day_limit_h": o.max_day_limit_h,
            }
            for o in outlook.plan.overtime
        ],
    }


@router.get("/capacity", response_model=out.Capacity)
async def capacity(
    who: Reader, rt: RuntimeDep, store: StoreDep, start: FromQ = None, days: DaysQ = 15
) -> dict[str, Any]:
    """Crew-constrained capacity: trains and headway each timetable period can run."""
    snap, outlook = await _outlook(rt, store, who, start, days)
    return {
        "revision": snap.revision,
        "first_degraded": outlook.first_degraded,
        "days": [{"date": d.service_date, "periods": capacity_rows(d)} for d in outlook.days],
    }


# --- roster CSV and audit --------------------------------------------------------------------
@router.get("/roster.csv", response_class=Response, responses=CSV)
async def export_roster(_: Reader, store: StoreDep) -> Response:
    """The roster (staff and contact groups) as CSV."""
    text = write_roster_csv(await store.roster())
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="roster.csv"'},
    )


@router.post("/roster.csv", response_model=out.RosterImported)
async def import_roster(
    request: Request,
    who: Writer,
    store: StoreDep,
    replace: Annotated[
        bool, Query(description="make the roster exactly the file (default: merge)")
    ] = False,
) -> dict[str, Any]:
    """Import a roster CSV (body: the file). A file with any bad row imports nothing and
    answers 422 with every problem by line, column and reason."""
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the file is larger than {MAX_CSV_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the file is not UTF-8 text (byte {exc.start})") from exc
    try:
        change = await import_roster_csv(
            store, text, actor=who.actor, replace=replace, source="roster.csv upload"
        )
    except CsvImportError as exc:
        raise HTTPException(
            422,
            {
                "message": f"{len(exc.errors)} problem(s) in the file; nothing was imported",
                "errors": [
                    {"line": e.line, "staff_id": e.staff_id, "column": e.column,
                     "message": e.message}
                    for e in exc.errors
                ],
            },
        ) from exc  # fmt: skip
    return {
        "created": list(change.created),
        "updated": list(change.updated),
        "deleted": list(change.deleted),
        "unchanged": change.unchanged,
        "revision": change.revision,
    }


@router.get("/audit", response_model=list[out.CrewChange])
async def audit(
    _: Reader,
    store: StoreDep,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,  # bounded: else a 500
) -> list[dict[str, Any]]:
    """Changes, newest first: who, when (UTC ms), what, before and after."""
    recs = await store.audit(entity=entity, entity_id=entity_id, limit=limit, before_id=before_id)
    return [
        {
            "id": r.id,
            "at_ms": r.at_ms,
            "at": datetime.fromtimestamp(r.at_ms / 1000, UTC),
            "actor": r.actor,
            "action": r.action,
            "entity": r.entity,
            "entity_id": r.entity_id,
            "version": r.version,
            "before": r.before,
            "after": r.after,
            "context": r.context,
        }
        for r in recs
    ]
