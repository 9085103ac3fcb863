"""The roster as CSV: one row per person, with their qualifications and contact groups.

Columns (``id``, ``name`` and ``role`` are required; the others may be left out):

=============================  ================================================================
``id``                         staff id, e.g. ``D023``
``name``                       full name
``role``                       ``driver``, ``technician`` or ``occ_operator``
``discipline``                 technicians only: ``rolling_stock``, ``signalling``, ``power``,
                               ``track``, ``station_systems``
``substitute``                 ``yes``/``no`` (a substitute driver); default ``no``
``line_id``                    the line the person works on; empty: any line
``overtime_allowed``           ``yes``/``no``; default ``yes`` (Labour Code Art. 137(1))
``extended_overtime_allowed``  ``yes``/``no``; default ``yes`` (Resolution 17/2022)
``qualifications``             ``kind:scope:valid_until[:valid_from]`` items separated by ``;``,
                               e.g. ``line_licence:2a:2027-06-30; rolling_stock:CRRC-4car:…``
``groups``                     contact groups as ``kind:id[:name]`` separated by ``;``, e.g.
                               ``shift_team:DT-A:Tổ lái A; dormitory_room:R101``
=============================  ================================================================

Ids (staff and groups) follow :data:`crew.model.ID_PATTERN`. Inside the ``qualifications`` and
``groups`` cells a ``;`` or ``:`` that belongs to a value (a group name ``Tổ A; ca đêm``) is
written ``\\;`` / ``\\:`` (and a backslash ``\\\\``), so any name exports and imports back.

Spreadsheet formulas: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would run as a formula when the file is opened in a spreadsheet (CSV injection, OWASP).
Export prefixes such a cell with ``'`` (which spreadsheets show as text) and import removes that
one ``'`` again, so ``=HYPERLINK(…)`` as a name round-trips as text. A cell already starting
with ``'`` before one of those characters gets one more, so every value round-trips exactly.

Reading checks every row and reports every problem with its line number, column and reason
(:class:`CsvImportError`); a file with any problem imports nothing. A row with fewer cells than
the header has columns is such a problem (a row cut short must not read as empty cells).
Importing either merges the file into the roster or, with ``replace``, makes the roster exactly
the file (a column the file leaves out takes its default for everyone). Merging creates the
people in the file who are new and updates those who exist, field by field: a column the file
has sets that field (an empty cell included: no qualifications, no groups), a column it leaves
out leaves that field as it is — a file of ``id,name,role,line_id`` changes names, roles and
lines and keeps everyone's qualifications and contact groups. Everyone not in the file is left
alone. 3-on-site cohorts are not part of the file; they must still name only staff who remain.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from crew.model import ID_PATTERN, ContactGroup, GroupKind, Roster, Staff

if TYPE_CHECKING:
    from crew.store import CrewStore, RosterChange

COLUMNS = (
    "id",
    "name",
    "role",
    "discipline",
    "substitute",
    "line_id",
    "overtime_allowed",
    "extended_overtime_allowed",
    "qualifications",
    "groups",
)
REQUIRED = ("id", "name", "role")
#: Optional columns that are a staff field of the same name (merging keeps the field when the
#: column is absent); ``groups`` is the other optional column.
FIELD_COLUMNS = tuple(c for c in COLUMNS if c not in (*REQUIRED, "groups"))
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
_IMPORTABLE_GROUPS = (GroupKind.SHIFT_TEAM, GroupKind.DORMITORY_ROOM)
_ID = re.compile(ID_PATTERN)
# a cell a spreadsheet would evaluate (OWASP "CSV injection"), possibly already escaped with '
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: ``line`` in the file (the header is line 1; 0: the roster as a whole)."""

    line: int
    staff_id: str | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "roster"
        who = f" ({self.staff_id})" if self.staff_id else ""
        col = f" {self.column}:" if self.column else ""
        return f"{where}{who}:{col} {self.message}"


class CsvImportError(ValueError):
    """The file cannot be imported; ``errors`` lists every problem. Nothing was imported."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors = tuple(errors)
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(
            f"{len(self.errors)} problem(s) in the roster file, nothing imported:\n{lines}"
        )


@dataclass(frozen=True, slots=True)
class GroupRef:
    kind: GroupKind
    id: str
    name: str | None


@dataclass(frozen=True, slots=True)
class RosterFile:
    """A parsed, row-checked roster file."""

    staff: tuple[Staff, ...]
    groups: dict[str, tuple[GroupRef, ...]]  # staff id → the groups the file lists
    lines: dict[str, int]  # staff id → line number
    columns: frozenset[str] = frozenset(COLUMNS)  # the columns the file has


# --- reading ---------------------------------------------------------------------------------
def read_roster_csv(text: str) -> RosterFile:
    """Parse and check every row; raises :class:`CsvImportError` listing every problem."""
    text = text.removeprefix("\ufeff")  # spreadsheet programs write a BOM
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames
    if not header:
        raise CsvImportError([RowError(1, None, None, "empty file: no header row")])
    cols = [h.strip() for h in header]
    problems: list[RowError] = []
    unknown = [c for c in cols if c not in COLUMNS]
    if unknown:
        problems.append(
            RowError(1, None, None, f"unknown column(s) {unknown}; known: {', '.join(COLUMNS)}")
        )
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        problems.append(RowError(1, None, None, f"missing required column(s) {missing}"))
    if len(set(cols)) != len(cols):
        problems.append(RowError(1, None, None, "a column appears twice"))
    if problems:
        raise CsvImportError(problems)
    reader.fieldnames = cols

    staff: list[Staff] = []
    groups: dict[str, tuple[GroupRef, ...]] = {}
    lines: dict[str, int] = {}
    prev_end = reader.line_num
    for raw in reader:
        line = prev_end + 1
        prev_end = reader.line_num
        if None in raw:  # more cells than header columns
            problems.append(RowError(line, raw.get("id"), None, "more cells than columns"))
            continue
        if None in raw.values():  # fewer: DictReader fills the missing cells with None
            short = [c for c, v in raw.items() if v is None]
            problems.append(
                RowError(
                    line,
                    (raw.get("id") or "").strip() or None,
                    short[0],
                    f"fewer cells than columns: no cell for {', '.join(short)}",
                )
            )
            continue
        row = {k: _unformula((v or "").strip()) for k, v in raw.items()}
        if not any(row.values()):
            continue  # blank line
        sid = row.get("id") or None
        errs: list[RowError] = []
        person = _staff(row, line, sid, errs)
        refs = _group_refs(row.get("groups", ""), line, sid, errs)
        if sid is not None and sid in lines:
            errs.append(RowError(line, sid, "id", f"duplicate id, first on line {lines[sid]}"))
        problems += errs
        if not errs and person is not None:
            staff.append(person)
            groups[person.id] = refs
            lines[person.id] = line
    if not staff and not problems:
        problems.append(RowError(1, None, None, "no staff rows"))
    if problems:
        raise CsvImportError(problems)
    return RosterFile(tuple(staff), groups, lines, frozenset(cols))


def _flag(row: dict[str, str], col: str, default: bool, errs: list[RowError], line: int) -> bool:
    v = row.get(col, "").lower()
    if v == "":
        return default
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    errs.append(RowError(line, row.get("id") or None, col, f"{v!r} is not yes or no"))
    return default


def _staff(row: dict[str, str], line: int, sid: str | None, errs: list[RowError]) -> Staff | None:
    quals: list[dict[str, str]] = []
    for n, item in enumerate(_items(row.get("qualifications", "")), 1):
        parts = [p.strip() for p in _split(item, ":")]
        if len(parts) not in (3, 4) or not all(parts):
            errs.append(
                RowError(
                    line,
                    sid,
                    "qualifications",
                    f"item {n} {item!r}: expected kind:scope:valid_until[:valid_from]",
                )
            )
            continue
        q = {"kind": parts[0], "scope": parts[1], "valid_until": parts[2]}
        if len(parts) == 4:
            q["valid_from"] = parts[3]
        quals.append(q)
    data = {
        "id": row.get("id", ""),
        "name": row.get("name", ""),
        "role": row.get("role", ""),
        "discipline": row.get("discipline") or None,
        "substitute": _flag(row, "substitute", False, errs, line),
        "line_id": row.get("line_id") or None,
        "overtime_allowed": _flag(row, "overtime_allowed", True, errs, line),
        "extended_overtime_allowed": _flag(row, "extended_overtime_allowed", True, errs, line),
        "qualifications": quals,
    }
    try:  # the rules of a staff record are the model's, the same as through the API
        return Staff.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = [str(x) for x in e["loc"]]
            col = loc[0] if loc else None
            detail = e["msg"]
            if col == "qualifications" and len(loc) >= 3:
                detail = f"item {int(loc[1]) + 1} {loc[2]}: {detail}"
            elif col is None:
                col = "discipline" if "discipline" in detail else None
            errs.append(RowError(line, sid, col, detail))
        return None


def _group_refs(
    text: str, line: int, sid: str | None, errs: list[RowError]
) -> tuple[GroupRef, ...]:
    out: list[GroupRef] = []
    kinds = ", ".join(k.value for k in _IMPORTABLE_GROUPS)
    for n, item in enumerate(_items(text), 1):
        parts = [p.strip() for p in _split(item, ":", 2)]
        if len(parts) < 2 or not parts[1]:
            errs.append(
                RowError(line, sid, "groups", f"item {n} {item!r}: expected kind:id[:name]")
            )
            continue
        if not _ID.match(parts[1]):
            errs.append(
                RowError(
                    line,
                    sid,
                    "groups",
                    f"item {n}: group id {parts[1]!r} must match {ID_PATTERN} "
                    "(1-32 letters, digits, _ . -)",
                )
            )
            continue
        try:
            kind = GroupKind(parts[0])
        except ValueError:
            kind = None
        if kind not in _IMPORTABLE_GROUPS:
            errs.append(
                RowError(line, sid, "groups", f"item {n}: kind {parts[0]!r} is not one of {kinds}")
            )
            continue
        assert kind is not None
        out.append(GroupRef(kind, parts[1], parts[2] if len(parts) == 3 and parts[2] else None))
    ids = [g.id for g in out]
    if len(set(ids)) != len(ids):
        errs.append(RowError(line, sid, "groups", "a group is listed twice"))
    return tuple(out)


def _items(text: str) -> list[str]:
    """The ``;``-separated items of a cell, their own escapes kept (for :func:`_split`)."""
    return [x.strip() for x in _split(text, ";", unescape=False) if x.strip()]


def _split(text: str, sep: str, maxsplit: int = -1, *, unescape: bool = True) -> list[str]:
    """``text.split(sep, maxsplit)`` where ``\\`` escapes the next character."""
    parts: list[str] = []
    cur: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            cur.append(nxt if unescape else ch + nxt)
        elif ch == sep and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _esc(value: str) -> str:
    """A value inside a ``kind:id:name`` or ``kind:scope:date`` item (see :func:`_split`)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(":", "\\:")


def formula_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: ``'`` before a leading ``= + - @`` tab or CR (also
    used by the incident export: every CSV this project writes neutralises formulas this way)."""
    return "'" + cell if _FORMULA.match(cell) else cell


def _unformula(cell: str) -> str:
    """:func:`formula_safe` undone (one ``'`` less)."""
    return cell[1:] if _FORMULA.match(cell) and cell.startswith("'") else cell


# --- merging ---------------------------------------------------------------------------------
def merge_roster(current: Roster, file: RosterFile, *, replace: bool = False) -> Roster:
    """The roster after importing ``file`` (see the module docstring for the two modes).

    Raises :class:`CsvImportError` for problems across rows: a group listed with two kinds
    or two names, a group whose kind differs from the existing one, a cohort naming someone
    the import removes.
    """
    problems: list[RowError] = []
    in_file = {s.id for s in file.staff}
    staff = {} if replace else {s.id: s for s in current.staff}
    kept = [] if replace else [c for c in FIELD_COLUMNS if c not in file.columns]
    for s in file.staff:
        stored = staff.get(s.id)
        if stored is None or not kept:
            staff[s.id] = s
            continue
        # merging: a field whose column the file leaves out stays as stored
        try:
            staff[s.id] = Staff.model_validate(
                s.model_dump() | {c: getattr(stored, c) for c in kept}
            )
        except ValidationError as exc:
            problems += [
                RowError(file.lines[s.id], s.id, None, f"with the stored {kept}: {e['msg']}")
                for e in exc.errors()
            ]

    existing = {} if replace else {g.id: g for g in current.groups}
    # the people whose groups the file says (all of them, unless it has no groups column)
    regrouped = in_file if replace or "groups" in file.columns else set()
    members: dict[str, set[str]] = {gid: set(g.members) - regrouped for gid, g in existing.items()}
    kind_of = {gid: (g.kind, 0) for gid, g in existing.items()}
    name_of = {gid: (g.name, 0) for gid, g in existing.items()}
    cohort_ids = {c.id for c in current.cohorts}
    for s in file.staff:
        line = file.lines[s.id]
        for ref in file.groups[s.id]:
            if ref.id in cohort_ids:
                problems.append(
                    RowError(line, s.id, "groups", f"{ref.id} is a 3-on-site cohort's id")
                )
                continue
            k, kline = kind_of.setdefault(ref.id, (ref.kind, line))
            if k is not ref.kind:
                first = f"line {kline}" if kline else "the roster"
                problems.append(
                    RowError(
                        line,
                        s.id,
                        "groups",
                        f"{ref.id} is a {ref.kind.value} here, a {k.value} in {first}",
                    )
                )
                continue
            if ref.name is not None:
                have, nline = name_of.get(ref.id, (None, 0))
                if have is not None and have != ref.name and nline:
                    problems.append(
                        RowError(
                            line,
                            s.id,
                            "groups",
                            f"{ref.id} is named {ref.name!r} here, {have!r} on line {nline}",
                        )
                    )
                    continue
                name_of[ref.id] = (ref.name, line)
            members.setdefault(ref.id, set()).add(s.id)
    for c in current.cohorts:
        gone = sorted(set(c.members) - set(staff))
        if gone:
            problems.append(
                RowError(0, None, "cohorts", f"cohort {c.id} names staff not in the file: {gone}")
            )
    if problems:
        raise CsvImportError(problems)
    groups = tuple(
        ContactGroup(
            id=gid,
            kind=kind_of[gid][0],
            name=name_of.get(gid, (gid, 0))[0],
            members=tuple(sorted(ms)),
        )
        for gid, ms in sorted(members.items())
        if ms
    )
    try:
        return Roster(
            staff=tuple(staff[k] for k in sorted(staff)), groups=groups, cohorts=current.cohorts
        )
    except ValidationError as exc:  # the checks above should leave nothing for here
        raise CsvImportError([RowError(0, None, None, e["msg"]) for e in exc.errors()]) from exc


# --- writing ---------------------------------------------------------------------------------
def write_roster_csv(roster: Roster) -> str:
    """The roster's staff and contact groups as CSV (cohorts are not included)."""
    groups_of: dict[str, list[ContactGroup]] = {}
    for g in roster.groups:
        for m in g.members:
            groups_of.setdefault(m, []).append(g)
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for s in sorted(roster.staff, key=lambda s: s.id):
        quals = []
        for q in s.qualifications:
            tail = f":{q.valid_from.isoformat()}" if q.valid_from else ""
            quals.append(f"{q.kind.value}:{_esc(q.scope)}:{q.valid_until.isoformat()}{tail}")
        refs = []
        for g in sorted(groups_of.get(s.id, []), key=lambda g: g.id):
            refs.append(f"{g.kind.value}:{_esc(g.id)}:{_esc(g.name)}")
        cells = [
            s.id,
            s.name,
            s.role.value,
            s.discipline.value if s.discipline else "",
            _yn(s.substitute),
            s.line_id or "",
            _yn(s.overtime_allowed),
            _yn(s.extended_overtime_allowed),
            "; ".join(quals),
            "; ".join(refs),
        ]
        w.writerow([formula_safe(c) for c in cells])
    return out.getvalue()


def _yn(v: bool) -> str:
    return "yes" if v else "no"


# --- the import, end to end ------------------------------------------------------------------
async def import_roster_csv(
    store: CrewStore, text: str, *, actor: str, replace: bool = False, source: str = "csv"
) -> RosterChange:
    """Check ``text``, merge it into the stored roster and write the result in one transaction.

    Raises :class:`CsvImportError` (nothing written) for any problem in the file. If the
    roster changes between reading and writing, the merge is redone (up to three times).
    """
    from crew.store import InvalidChange, VersionConflict

    parsed = read_roster_csv(text)
    for attempt in range(3):
        snap = await store.snapshot()
        new = merge_roster(snap.roster, parsed, replace=replace)
        try:
            return await store.replace_roster(
                new,
                actor=actor,
                context=f"import {source}" + (" (replace)" if replace else ""),
                expected_revision=snap.revision,
            )
        except InvalidChange as exc:
            raise CsvImportError([RowError(0, None, exc.field, str(exc))]) from exc
        except VersionConflict:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
