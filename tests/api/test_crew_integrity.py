"""The crew record's integrity over real HTTP (uvicorn) and a real SQLite database.

Proves: every crew date and instant outside 2000-01-01…2099-12-31 is refused with a 422 naming
the field, and nothing of it is saved; a row that cannot be read back (written before that
rule) leaves every crew route working, shows on /healthz and can be deleted; the API refuses
the staff record the CSV import refuses; a merge import keeps what the file leaves out and a
row cut short is an error; the audit records the status answered and bounded values.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx

from services.settings import Settings
from tests.api.test_crew_api import CM, auth, serving, settings, staff_body
from tests.poll import until

__all__ = ["settings"]  # the fixture, shared with test_crew_api

EARLY = "0001-01-01T00:00:00+07:00"
LATE = "9999-12-31T23:00:00-12:00"  # a valid input whose UTC value no datetime holds


def loc_of(r: httpx.Response) -> list[list[Any]]:
    assert r.status_code == 422, r.text
    return [e["loc"] for e in r.json()["detail"]]


def cohort_body(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "C4",
        "name": "Cohort 4",
        "members": ["D3"],
        "start": "2030-03-01T00:00:00+07:00",
        "planned_end": "2030-03-15T00:00:00+07:00",
        "beds_available": 10,
    }
    return body | kw


async def add_staff(http: httpx.AsyncClient, *ids: str) -> None:
    for sid in ids:
        r = await http.post("/api/crew/staff", json=staff_body(sid), headers=CM)
        assert r.status_code == 201, r.text


def db_path(settings: Settings) -> str:
    return settings.db.url.removeprefix("sqlite+aiosqlite:///")


async def test_out_of_range_cohort_is_refused_and_nothing_is_saved(settings: Settings) -> None:
    async with serving(settings) as http:
        await add_staff(http, "D3")
        refused = (
            ("start", EARLY),
            ("planned_end", "9999-12-31T00:00:00-12:00"),
            ("planned_end", LATE),
            ("start", "1999-12-31T23:59:59+00:00"),
        )
        for field, value in refused:
            r = await http.post("/api/crew/cohorts", json=cohort_body(**{field: value}), headers=CM)
            assert loc_of(r) == [["body", field]], (field, value)
            assert "2000-01-01" in r.text and "2099-12-31" in r.text
        r = await http.post(
            "/api/crew/cohorts", json=cohort_body(beds_available=10**20), headers=CM
        )
        assert loc_of(r) == [["body", "beds_available"]]
        assert (await http.get("/api/crew/cohorts", headers=CM)).json() == []
        for path in ("/api/crew/status", "/api/crew/roster.csv", "/api/crew/cohorts"):
            assert (await http.get(path, headers=CM)).status_code == 200, path
        r = await http.post("/api/crew/cohorts", json=cohort_body(), headers=CM)
        assert r.status_code == 201, r.text
        health = (await http.get("/healthz")).json()
        assert health["dependencies"]["crew_record"]["status"] == "ok"


async def test_a_stored_row_that_cannot_be_read_leaves_the_crew_routes_working(
    settings: Settings,
) -> None:
    async with serving(settings) as http:
        await add_staff(http, "D1", "D3")
        # what an earlier version saved before answering 500 (the tester's values): the
        # start is before year 1 in UTC, which no datetime can hold
        with sqlite3.connect(db_path(settings)) as db:
            db.execute(
                "INSERT INTO crew_cohort VALUES ('C4', 'Cohort 4', '[\"D3\"]', ?, ?, 10, 1, 0)",
                (-62135622000000000, 253402257600000000),
            )
            db.execute(
                "INSERT INTO crew_status_event VALUES ('bad-1', 'D1', 'f0_isolation', ?, NULL,"
                " 0, '', '', 'x')",
                (-62135622000000000,),
            )
            db.execute("UPDATE crew_meta SET revision = revision + 1")
        for path in (
            "/api/crew/status",
            "/api/crew/roster.csv",
            "/api/crew/cohorts",
            "/api/crew/status-events",
            "/api/crew/staff/D1/history",
            "/api/crew/capacity?days=1&from=2030-03-06",
            "/api/crew/coverage?days=1&from=2030-03-06",
        ):
            r = await http.get(path, headers=CM)
            assert r.status_code == 200, (path, r.text)
        assert (await http.get("/api/crew/cohorts", headers=CM)).json() == []
        assert (await http.get("/api/crew/status-events", headers=CM)).json() == []
        # one record alone: says it cannot be read and what to do
        r = await http.get("/api/crew/cohorts/C4", headers=CM)
        assert r.status_code == 409, r.text
        assert r.json()["detail"]["code"] == "crew.refused.unreadable" and "C4" in r.text

        async def crew_record() -> dict[str, Any] | None:
            dep: dict[str, Any] = (await http.get("/healthz")).json()["dependencies"]["crew_record"]
            return dep if dep["status"] == "degraded" else None

        dep = await until(crew_record, what="/healthz names the unreadable rows")
        assert "cohort C4" in dep["detail"] and "status_event bad-1" in dep["detail"]

        # an append reusing the unreadable event's id is refused the same way, not a 500
        r = await http.post(
            "/api/crew/status-events",
            json={"event_id": "bad-1", "staff_id": "D1", "state": "available",
                  "effective": "2030-01-01T00:00:00+07:00"},
            headers=CM,
        )  # fmt: skip
        assert r.status_code == 409 and r.json()["detail"]["code"] == "crew.refused.unreadable"

        # the fix: delete it (the audit keeps the row as it was stored) and enter it again
        r = await http.delete("/api/crew/cohorts/C4", headers=CM | {"If-Match": '"1"'})
        assert r.status_code == 204, r.text
        audit = (await http.get("/api/crew/audit?entity=cohort", headers=CM)).json()
        assert audit[0]["action"] == "delete" and audit[0]["before"]["start_us"] < 0
        r = await http.post("/api/crew/cohorts", json=cohort_body(), headers=CM)
        assert r.status_code == 201, r.text
        assert [c["id"] for c in (await http.get("/api/crew/cohorts", headers=CM)).json()] == ["C4"]


async def test_every_crew_instant_and_date_out_of_range_is_a_422_naming_it(
    settings: Settings,
) -> None:
    async with serving(settings) as http:
        await add_staff(http, *(f"D{i}" for i in range(1, 11)))
        r = await http.post(
            "/api/crew/groups",
            json={"id": "T1", "kind": "shift_team", "name": "Tổ 1",
                  "members": [f"D{i}" for i in range(1, 11)]},
            headers=CM,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        event = {
            "event_id": "e1",
            "staff_id": "D1",
            "state": "sick_other",
            "effective": "2030-01-01T00:00:00+07:00",
            "until": "2030-01-03T00:00:00+07:00",
        }
        for field, value in (("effective", EARLY), ("until", "9999-12-31T23:59:59-12:00"),
                             ("effective", "9999-12-31T00:00:00+00:00")):  # fmt: skip
            r = await http.post("/api/crew/status-events", json=event | {field: value}, headers=CM)
            assert loc_of(r) == [["body", field]], (field, value)
        for at in (EARLY, "0001-01-01T00:00:00+00:00", "9999-12-31T00:00:00+00:00"):
            r = await http.post("/api/crew/cases", json={"staff_id": "D1", "at": at}, headers=CM)
            assert loc_of(r) == [["body", "at"]], at
        # in range, but the isolation it starts would end after 2099
        r = await http.post(
            "/api/crew/cases", json={"staff_id": "D1", "at": "2099-12-30T00:00:00Z"}, headers=CM
        )
        assert loc_of(r) == [["body", "at"]]
        work = {"work_id": "w1", "staff_id": "D1", "start": "2030-01-01T05:00:00+07:00",
                "end": "2030-01-01T13:00:00+07:00"}  # fmt: skip
        r = await http.post(
            "/api/crew/work",
            json=work | {"start": "9999-12-31T20:00:00-12:00", "end": "9999-12-31T22:00:00-12:00"},
            headers=CM,
        )
        assert loc_of(r) == [["body", "start"], ["body", "end"]]
        r = await http.post(
            "/api/crew/tests",
            json={"test_id": "t1", "staff_id": "D1", "kind": "pcr", "outcome": "negative",
                  "taken_at": EARLY},
            headers=CM,
        )  # fmt: skip
        assert loc_of(r) == [["body", "taken_at"]]
        for day in ("0001-01-01", "9999-12-31"):
            quals = [{"kind": "line_licence", "scope": "2a", "valid_until": day}]
            r = await http.post(
                "/api/crew/staff", json=staff_body("X9", qualifications=quals), headers=CM
            )
            assert loc_of(r) == [["body", "qualifications", 0, "valid_until"]], day
        for at in (EARLY, "2099-12-31T20:00:00+00:00"):  # the second: 2100 in Hanoi
            r = await http.get(
                "/api/crew/cases/preview", params={"staff_id": "D1", "at": at}, headers=CM
            )
            assert loc_of(r) == [["query", "at"]], at
        # nothing of it was kept: no status, no F1 marks, nobody new
        assert (await http.get("/api/crew/status-events", headers=CM)).json() == []
        assert (await http.get("/api/crew/work", headers=CM)).json() == []
        assert (await http.get("/api/crew/tests", headers=CM)).json() == []
        status = (await http.get("/api/crew/status", headers=CM)).json()
        assert {p["state"] for p in status["staff"]} == {"available"}
        r = await http.post("/api/crew/status-events", json=event, headers=CM)
        assert r.status_code == 201, r.text


async def test_the_api_refuses_the_staff_record_the_import_refuses(settings: Settings) -> None:
    async with serving(settings) as http:
        for name in ("", "   "):
            r = await http.post("/api/crew/staff", json=staff_body("X1", name), headers=CM)
            assert loc_of(r) == [["body", "name"]], repr(name)
        await add_staff(http, "D1")
        r = await http.put(
            "/api/crew/staff/D1", json=staff_body("D1", ""), headers=CM | {"If-Match": '"1"'}
        )
        assert loc_of(r) == [["body", "name"]]
        # what the API holds, the import takes back
        csv = (await http.get("/api/crew/roster.csv", headers=CM)).text
        r = await http.post("/api/crew/roster.csv?replace=true", content=csv.encode(), headers=CM)
        assert r.status_code == 200 and r.json()["unchanged"] == 1, r.text


async def test_a_merge_import_keeps_what_the_file_leaves_out(settings: Settings) -> None:
    async with serving(settings) as http:
        full = (
            "id,name,role,discipline,substitute,line_id,overtime_allowed,"
            "extended_overtime_allowed,qualifications,groups\n"
            "D11,Bùi Thanh Trang,driver,,no,2a,yes,yes,line_licence:2a:2030-06-30,"
            "shift_team:DT-A:Tổ lái A\n"
            "D12,Lê Văn Bình,driver,,no,2a,yes,yes,line_licence:2a:2030-06-30,"
            "shift_team:DT-A:Tổ lái A\n"
        )
        r = await http.post("/api/crew/roster.csv", content=full.encode(), headers=CM)
        assert r.status_code == 200, r.text
        before = (await http.get("/api/crew/roster.csv", headers=CM)).text

        # a row cut short is an error, and nothing is imported
        short = full.splitlines()[0] + "\nD11,Bùi Thanh Trang,driver,,no\n"
        r = await http.post("/api/crew/roster.csv", content=short.encode(), headers=CM)
        assert r.status_code == 422, r.text
        errors = r.json()["detail"]["errors"]
        assert [(e["line"], e["staff_id"]) for e in errors] == [(2, "D11")]
        assert "fewer cells" in errors[0]["message"]
        assert (await http.get("/api/crew/roster.csv", headers=CM)).text == before

        # columns left out: the fields stay as they are; the ones given change
        for text in (
            "id,name,role,line_id\nD11,Bùi Thanh Trang,driver,2b\n",
            "id,name,role,qualifications\nD11,Bùi Thanh Trang,driver,line_licence:2a:2031-01-01\n",
        ):
            r = await http.post("/api/crew/roster.csv", content=text.encode(), headers=CM)
            assert r.status_code == 200 and r.json()["updated"] == ["staff:D11"], r.text
        d11 = (await http.get("/api/crew/staff/D11", headers=CM)).json()
        assert d11["line_id"] == "2b"
        assert [q["valid_until"] for q in d11["qualifications"]] == ["2031-01-01"]
        groups = (await http.get("/api/crew/groups", headers=CM)).json()
        assert [(g["id"], g["members"]) for g in groups] == [("DT-A", ["D11", "D12"])]

        # an empty cell of a column the file has still clears it
        text = "id,name,role,groups\nD11,Bùi Thanh Trang,driver,\n"
        r = await http.post("/api/crew/roster.csv", content=text.encode(), headers=CM)
        assert r.status_code == 200, r.text
        groups = (await http.get("/api/crew/groups", headers=CM)).json()
        assert [(g["id"], g["members"]) for g in groups] == [("DT-A", ["D12"])]
        d11 = (await http.get("/api/crew/staff/D11", headers=CM)).json()
        assert d11["line_id"] == "2b" and len(d11["qualifications"]) == 1

        # --replace: the roster is exactly the file, defaults for what it leaves out
        text = "id,name,role\nD12,Lê Văn Bình,driver\n"
        r = await http.post("/api/crew/roster.csv?replace=true", content=text.encode(), headers=CM)
        assert r.status_code == 200 and r.json()["deleted"] == ["staff:D11", "group:DT-A"]
        d12 = (await http.get("/api/crew/staff/D12", headers=CM)).json()
        assert d12["qualifications"] == [] and d12["line_id"] is None


async def test_the_audit_records_the_status_answered_and_bounded_values(
    settings: Settings,
) -> None:
    async with serving(settings) as http:
        await add_staff(http, "D1")
        long_id = "E" * 100_000
        r = await http.post(
            "/api/crew/status-events",
            json={"event_id": long_id, "staff_id": "D1", "state": "available",
                  "effective": "2030-01-01T00:00:00+07:00"},
            headers=CM,
        )  # fmt: skip
        assert loc_of(r) == [["body", "event_id"]]
        r = await http.get(
            "/api/audit", params={"action": "crew.record_status_event"}, headers=auth("admin")
        )
        assert r.status_code == 200, r.text
        (entry,) = r.json()["entries"]
        assert entry["result"] == "invalid"
        assert entry["detail"]["status"] == 422
        assert "event_id" in entry["detail"]["error"]
        audited = entry["detail"]["event_id"]
        assert audited.startswith("EEEE") and len(audited) < 300
        assert audited.endswith(f"[+{100_000 - 200} chars]")
