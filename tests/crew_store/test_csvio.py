"""Roster CSV: round trip, a report of every bad row, and nothing imported from a bad file."""

from __future__ import annotations

import csv
import io

import pytest

from crew import GroupKind, Role, synthetic_roster
from crew.csvio import (
    COLUMNS,
    CsvImportError,
    import_roster_csv,
    merge_roster,
    read_roster_csv,
    write_roster_csv,
)
from crew.store import CrewStore
from tests.crew_store.conftest import small_roster

HEADER = ",".join(COLUMNS)
GOOD = (
    f"{HEADER}\n"
    "D1,Nguyễn Văn An,driver,,no,2a,yes,yes,line_licence:2a:2030-01-01,shift_team:T-A:Tổ A\n"
    "K9,Lê Thị Hà,technician,signalling,,2a,,,discipline_cert:signalling:2029-05-31,"
    "dormitory_room:R200\n"
)


def _sorted(r: object) -> object:
    from crew import Roster

    assert isinstance(r, Roster)
    return (
        sorted(r.staff, key=lambda s: s.id),
        sorted(r.groups, key=lambda g: g.id),
    )


def test_synthetic_roster_round_trips_through_csv() -> None:
    roster = synthetic_roster(3)
    text = write_roster_csv(roster)
    assert text.count("\n") == len(roster.staff) + 1
    parsed = read_roster_csv(text)
    back = merge_roster(roster.model_copy(update={"staff": (), "groups": ()}), parsed)
    assert _sorted(back) == _sorted(roster)


def test_every_bad_row_is_reported_with_line_column_and_reason() -> None:
    bad = (
        f"{HEADER}\n"
        "D1,An,driver,,no,2a,yes,yes,line_licence:2a:2030-01-01,\n"  # line 2: fine
        "D2,Bình,pilot,,no,2a,yes,yes,,\n"  # line 3: role
        "K1,Cường,technician,,no,2a,yes,yes,,\n"  # line 4: technician without discipline
        "D3,Dũng,driver,,maybe,2a,yes,yes,line_licence:2a:2030-13-01,\n"  # line 5: two
        "D1,Giang,driver,,no,2a,yes,yes,,\n"  # line 6: duplicate id
        "D4,,driver,,no,2a,yes,yes,,house:R1\n"  # line 7: no name, bad group kind
    )
    with pytest.raises(CsvImportError) as err:
        read_roster_csv(bad)
    found = {(e.line, e.column) for e in err.value.errors}
    assert found == {
        (3, "role"),
        (4, "discipline"),
        (5, "substitute"),
        (5, "qualifications"),
        (6, "id"),
        (7, "name"),
        (7, "groups"),
    }
    text = str(err.value)
    assert "nothing imported" in text
    assert "line 5 (D3): qualifications: item 1 valid_until" in text
    assert "duplicate id, first on line 2" in text
    assert "'maybe' is not yes or no" in text


def test_header_problems_are_reported_before_rows() -> None:
    with pytest.raises(CsvImportError, match="missing required column"):
        read_roster_csv("id,name\nD1,An\n")
    with pytest.raises(CsvImportError, match="unknown column"):
        read_roster_csv("id,name,role,shoe_size\nD1,An,driver,42\n")
    with pytest.raises(CsvImportError, match="empty file"):
        read_roster_csv("")


def test_merge_keeps_others_and_sets_listed_groups() -> None:
    current = small_roster()  # T-A: D1 D2 D3; R101: D1 K1
    merged = merge_roster(current, read_roster_csv(GOOD))
    by_id = {s.id: s for s in merged.staff}
    assert set(by_id) == {"D1", "D2", "D3", "D4", "K1", "K9"}
    assert by_id["K9"].role is Role.TECHNICIAN
    groups = {g.id: g for g in merged.groups}
    assert groups["T-A"].members == ("D1", "D2", "D3")
    assert groups["R101"].members == ("K1",), "D1's groups are exactly the file's"
    assert groups["R200"].kind is GroupKind.DORMITORY_ROOM and groups["R200"].name == "R200"

    replaced = merge_roster(current, read_roster_csv(GOOD), replace=True)
    assert {s.id for s in replaced.staff} == {"D1", "K9"}
    assert {g.id for g in replaced.groups} == {"T-A", "R200"}


def test_merge_reports_a_group_kind_clash() -> None:
    clash = f"{HEADER}\nD9,An,driver,,no,2a,yes,yes,,dormitory_room:T-A\n"
    with pytest.raises(CsvImportError, match="T-A is a dormitory_room here, a shift_team"):
        merge_roster(small_roster(), read_roster_csv(clash))


async def test_a_bad_file_imports_nothing(store: CrewStore) -> None:
    await store.replace_roster(small_roster(), actor="setup", context="setup")
    before_rev = await store.revision()
    before_audit = len(await store.audit(limit=1000))
    bad = GOOD + "D7,Yến,driver,,no,2a,yes,yes,line_licence:2a:someday,\n"
    with pytest.raises(CsvImportError) as err:
        await import_roster_csv(store, bad, actor="lan (crew_manager)")
    assert [(e.line, e.staff_id, e.column) for e in err.value.errors] == [
        (4, "D7", "qualifications")
    ]
    assert await store.revision() == before_rev
    assert len(await store.audit(limit=1000)) == before_audit
    assert {s.id for s in (await store.roster()).staff} == {"D1", "D2", "D3", "D4", "K1"}

    change = await import_roster_csv(store, GOOD, actor="lan (crew_manager)", source="a.csv")
    assert change.created == ("staff:K9", "group:R200")
    assert set(change.updated) == {"staff:D1", "group:R101"}
    audit = await store.audit(limit=4)
    assert {a.context for a in audit} == {"import a.csv"}
    assert {a.actor for a in audit} == {"lan (crew_manager)"}


# --- hostile and odd values ------------------------------------------------------------------
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1", "-2+3")


def test_formula_cells_are_neutralised_on_export_and_come_back_as_text() -> None:
    roster = synthetic_roster(1)
    people = list(roster.staff)
    names = [*FORMULAS, "'=already quoted", "\tTab", "plain name"]
    people = [p.model_copy(update={"name": names[i % len(names)]}) for i, p in enumerate(people)]
    roster = roster.model_copy(update={"staff": tuple(people)})
    text = write_roster_csv(roster)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    for row in rows:
        for cell in row:  # what a spreadsheet would evaluate
            assert not cell or cell[0] not in "=+-@\t\r", row
    by_id = {r[0]: r[1] for r in rows}
    assert by_id[people[0].id] == "'" + FORMULAS[0]
    assert by_id[people[4].id] == "''=already quoted"

    parsed = read_roster_csv(text)
    assert {s.id: s.name for s in parsed.staff} == {p.id: p.name for p in people}


def test_odd_names_and_scopes_export_and_import_back() -> None:
    from crew import ContactGroup

    roster = synthetic_roster(1)
    person = roster.staff[0]
    q = person.qualifications[0].model_copy(update={"scope": "CRRC:4car;v2"})
    person = person.model_copy(update={"qualifications": (q, *person.qualifications[1:])})
    group = ContactGroup(
        id="T-odd",
        kind=GroupKind.SHIFT_TEAM,
        name="Tổ A; ca đêm: 22:00\\06:00",
        members=(person.id,),
    )
    roster = roster.model_copy(update={"staff": (person,), "groups": (group,), "cohorts": ()})
    text = write_roster_csv(roster)  # used to raise: ':' or ';' cannot be written
    back = merge_roster(
        roster.model_copy(update={"staff": (), "groups": ()}), read_roster_csv(text)
    )
    assert back.groups == (group,)
    assert back.staff[0].qualifications == person.qualifications


def test_group_ids_outside_the_pattern_are_refused_on_import() -> None:
    text = (
        f"{HEADER}\n"
        "D1,An,driver,,,,,,,shift_team:BAD\\:ID:x\n"
        "D2,Bình,driver,,,,,,,shift_team:a/b\n"
        "D3,Chi,driver,,,,,,,shift_team:ok.id-1\n"
        "bad id,Dũng,driver,,,,,,,\n"
    )
    with pytest.raises(CsvImportError) as err:
        read_roster_csv(text)
    where = {(e.line, e.column) for e in err.value.errors}
    assert where == {(2, "groups"), (3, "groups"), (5, "id")}, err.value
    assert "must match" in str(err.value)
