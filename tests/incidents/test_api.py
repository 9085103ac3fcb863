"""Incidents over real HTTP, on SQLite and PostgreSQL: an operator makes an incident from a
real alarm and reads one timeline of everything in its window — the alarm's raise, ack,
comment and clear, a shift log entry, a crew member's F1, what people did (the audit log) —
in time order; adds notes, exports CSV (formulas neutralised) and PDF (with the title), closes
it. Incidents are searched by text and dates; bad windows and bad ids are clear 4xx, and
nothing is stored; creating, noting, closing and exporting are audited.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from line.catalogue import Message
from line.clock import hanoi_time, wall_ms
from telemetry.alarms import Priority
from tests.api.authkit import FakeClock, bearer, make_settings, serving
from tests.api.pdftext import text_runs
from tests.api.test_crew_api import staff_body

OP, PL, CM, AD = bearer("operator"), bearer("planner"), bearer("crew_manager"), bearer("admin")
EN = {"Accept-Language": "en"}  # the refusals' words checked below are the English ones
MIN = 60_000


@pytest.mark.slow
async def test_incident_from_an_alarm(db_url: str, tmp_path: Path) -> None:
    # the crew API stamps status events with the wall clock: the fake one starts there
    clock = FakeClock(wall_ms())
    async with serving(make_settings(tmp_path, db_url), clock) as srv, srv.client() as http:

        async def call(method: str, url: str, who: dict[str, str], expect: int, **kw: Any) -> Any:
            r = await http.request(method, url, headers=who, **kw)
            assert r.status_code == expect, (method, url, r.status_code, r.text[:500])
            return r

        t0 = clock.now_ms
        alarm = srv.rt.alarms.raise_alarm(
            "train:T05:fault:E12",
            Priority.HIGH,
            "T05",
            Message("alarm.train.fault", {"train": "T05", "fault": "E12", "detail": None}),
        )
        clock.advance(minutes=1)
        await call("POST", f"/api/alarms/{alarm.id}/ack", OP, 200)
        clock.advance(minutes=1)
        await call("POST", f"/api/alarms/{alarm.id}/comment", OP, 200,
                   json={"text": "Lái tàu báo lỗi cửa"})  # fmt: skip
        log_entry = {"text": "T05 đứng ở Láng", "category": "operations", "train": "T05"}
        await call("POST", "/api/log", OP, 201, json=log_entry)
        await call("POST", "/api/crew/staff", CM, 201, json=staff_body("D7", name="Trần Bình"))
        now = datetime.now(UTC)
        until = (now + timedelta(days=7)).isoformat()
        f1 = {"event_id": "f1-d7", "staff_id": "D7", "state": "f1_quarantine",
              "effective": now.isoformat(), "until": until}  # fmt: skip
        await call("POST", "/api/crew/status-events", CM, 201, json=f1)
        clock.advance(minutes=3)
        srv.rt.alarms.clear("train:T05:fault:E12")

        # an incident from the alarm: its span, 10 minutes either side
        r = await call("POST", "/api/incidents", OP, 201,
                       json={"title": "Sự cố cửa tàu T05", "alarm_id": alarm.id})  # fmt: skip
        inc = r.json()
        assert inc["start_ms"] == t0 - 10 * MIN and inc["end_ms"] == t0 + 15 * MIN
        assert inc["status"] == "open" and inc["created_by"] == "operator-bot"
        assert inc["alarm_id"] == alarm.id and inc["notes"] == []

        tl = (await call("GET", f"/api/incidents/{inc['id']}/timeline", PL, 200)).json()
        kinds = [e["kind"] for e in tl["events"]]
        for k in ("alarm.raised", "alarm.acked", "alarm.comment", "alarm.cleared",
                  "log.operations", "crew.f1_quarantine", "audit.log.write"):  # fmt: skip
            assert k in kinds, (k, kinds)
        mine = [
            e["kind"] for e in tl["events"] if (e["source"], e["alarm_id"]) == ("alarm", alarm.id)
        ]
        assert mine == ["alarm.raised", "alarm.acked", "alarm.comment", "alarm.cleared"], mine
        times = [e["at_ms"] for e in tl["events"]]
        assert times == sorted(times) and tl["failed"] == []
        acked = tl["events"][kinds.index("alarm.acked")]
        assert acked["user"] == "operator-bot" and acked["alarm_id"] == alarm.id
        assert acked["train"] == "T05" and acked["source"] == "alarm"
        assert "Tàu T05: lỗi E12" in acked["text"] and "Train T05: fault E12" in acked["text_en"]
        assert acked["hanoi"] == f"{hanoi_time(t0 + MIN):%Y-%m-%d %H:%M:%S}"
        crew = tl["events"][kinds.index("crew.f1_quarantine")]
        assert crew["staff_id"] == "D7" and "Trần Bình" in crew["text"]
        # what people did, in words in each language: no action codes, no key=value
        written = tl["events"][kinds.index("audit.log.write")]
        assert written["text"].startswith("operator-bot: Ghi sổ ca (Thành công) — "), written
        assert "nhóm: Vận hành" in written["text"], written
        assert written["text_en"].startswith("operator-bot: Shift log entry written (Done) — ")
        assert "category: operations" in written["text_en"], written
        for e in tl["events"]:
            if e["source"] == "audit":
                assert not re.search(r"\w=\w|\(ok\)|\b[a-z]+\.[a-z_]+\b", e["text"]), e
        # the ack is the journal's line, not also the audit log's
        assert "audit.alarm.ack" not in kinds

        # notes: one a spreadsheet would run as a formula
        clock.advance(minutes=1)
        await call("POST", f"/api/incidents/{inc['id']}/notes", OP, 201,
                   json={"text": "Đã đổi tàu dự phòng"})  # fmt: skip
        clock.advance(minutes=30)  # written up after the window: still in its timeline
        await call("POST", f"/api/incidents/{inc['id']}/notes", AD, 201,
                   json={"text": '=HYPERLINK("http://x","bấm")'})  # fmt: skip
        got = (await call("GET", f"/api/incidents/{inc['id']}", PL, 200)).json()
        assert [n["text"] for n in got["notes"]][0] == "Đã đổi tàu dự phòng"
        tl = (await call("GET", f"/api/incidents/{inc['id']}/timeline", PL, 200)).json()
        assert [e["text"] for e in tl["events"] if e["kind"] == "note"] == [
            "Đã đổi tàu dự phòng",
            '=HYPERLINK("http://x","bấm")',
        ]
        assert tl["events"][-1]["at_ms"] > inc["end_ms"] and tl["events"][-1]["user"] == "admin-bot"

        # exports: operators and admins
        r = await call("GET", f"/api/incidents/{inc['id']}/timeline.csv", OP, 200)
        assert r.headers["content-type"].startswith("text/csv")
        assert f"incident-{inc['id']}.csv" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
        assert {(row["kind"], row["alarm_id"], row["train"]) for row in rows} >= {
            ("alarm.raised", str(alarm.id), "T05"),
            ("alarm.acked", str(alarm.id), "T05"),
            ("alarm.cleared", str(alarm.id), "T05"),
        }
        assert {(row["kind"], row["staff_id"]) for row in rows} >= {("crew.f1_quarantine", "D7")}
        notes = [row["text_vi"] for row in rows if row["kind"] == "note"]
        assert notes == ["Đã đổi tàu dự phòng", '\'=HYPERLINK("http://x","bấm")']
        assert [int(row["at_ms"]) for row in rows] == sorted(int(row["at_ms"]) for row in rows)
        r = await call("GET", f"/api/incidents/{inc['id']}/timeline.pdf", AD, 200)
        assert r.content.startswith(b"%PDF-") and r.headers["content-type"] == "application/pdf"
        shown = "".join(text_runs(r.content))
        assert "Sự cố cửa tàu T05" in shown and "Đã đổi tàu dự phòng" in shown
        await call("GET", f"/api/incidents/{inc['id']}/timeline.pdf", PL, 403)

        # close: no more notes, no second close
        closed = (await call("POST", f"/api/incidents/{inc['id']}/close", OP, 200)).json()
        assert closed["status"] == "closed" and closed["closed_by"] == "operator-bot"
        await call("POST", f"/api/incidents/{inc['id']}/notes", OP, 409, json={"text": "x"})
        await call("POST", f"/api/incidents/{inc['id']}/close", OP, 409)

        # a window chosen by hand, and search
        later = {"title": "Mất điện SS2", "start_ms": t0 + 60 * MIN, "end_ms": t0 + 90 * MIN}
        other = (await call("POST", "/api/incidents", OP, 201, json=later)).json()

        async def ids(**params: Any) -> list[int]:
            r = await call("GET", "/api/incidents", PL, 200, params=params)
            return [i["id"] for i in r.json()["incidents"]]

        assert await ids() == [other["id"], inc["id"]]
        assert await ids(q="CỬA TÀU") == [inc["id"]]
        assert await ids(q="dự phòng") == [inc["id"]]  # a note
        iso = lambda ms: datetime.fromtimestamp(ms / 1000, UTC).isoformat()  # noqa: E731
        assert await ids(since=iso(t0 + 50 * MIN)) == [other["id"]]
        assert await ids(until=iso(t0)) == [inc["id"]]
        assert await ids(status="open") == [other["id"]]

        # bad input: a clear 4xx, nothing stored
        for body, status, says in [
            ({"title": "x", "start_ms": t0, "end_ms": t0 - 1}, 422, "end after it starts"),
            ({"title": "x", "start_ms": t0, "end_ms": t0 + 8 * 24 * 60 * MIN}, 422, "7 days"),
            ({"title": "x", "start_ms": t0}, 422, "start_ms and end_ms"),
            ({"title": "x", "alarm_id": 99999}, 422, "99999"),
            ({"title": "x", "alarm_id": alarm.id, "start_ms": t0, "end_ms": t0 + 1}, 422,
             "either"),
            ({"title": "", "start_ms": t0, "end_ms": t0 + 1}, 422, "title"),
            ({"title": "a\x00b", "start_ms": t0, "end_ms": t0 + 1}, 422, "NUL"),
        ]:  # fmt: skip
            r = await http.post("/api/incidents", headers={**OP, **EN}, json=body)
            assert r.status_code == status and says in r.text, (body, r.status_code, r.text)
        r = await http.post(
            "/api/incidents",
            headers={**OP, "Content-Type": "application/json"},
            content=b'{"title": "x", "start_ms": NaN, "end_ms": 1}',
        )
        assert r.status_code == 422, r.text
        for q, says in [
            (f"start_ms={t0}&end_ms={t0}", "end after it starts"),
            (f"start_ms=nan&end_ms={t0}", "finite"),
            (f"start_ms={t0}&end_ms=inf", "finite"),
            (f"start_ms={t0}&end_ms={t0 + 8 * 24 * 60 * MIN}", "7 days"),
        ]:
            r = await http.get(f"/api/timeline?{q}", headers={**PL, **EN})
            assert r.status_code == 422 and says in r.text, (q, r.text)
        # Vietnamese by default, as the incidents page shows it
        r = await http.get(f"/api/timeline?start_ms={t0}&end_ms={t0 - 1}", headers=PL)
        assert r.json()["detail"]["message"] == "Thời điểm kết thúc phải sau thời điểm bắt đầu"
        r = await call("GET", f"/api/timeline?start_ms={t0 - MIN}&end_ms={t0 + MIN}", PL, 200)
        assert [e["kind"] for e in r.json()["events"]][0] == "alarm.raised"
        await call("GET", "/api/incidents/99999", PL, 404)
        await call("GET", "/api/incidents/99999/timeline.csv", OP, 404)
        await call("POST", "/api/incidents/99999/notes", OP, 404, json={"text": "x"})
        assert await ids() == [other["id"], inc["id"]]

        # audited: create, note, close, export (and the refusals)
        r = await call("GET", "/api/audit?action=incident&limit=100", AD, 200)
        done = {(e["action"], e["result"]) for e in r.json()["entries"]}
        for action in ("create", "note", "close", "export"):
            assert (f"incident.{action}", "ok") in done, (action, done)
        assert ("incident.create", "invalid") in done and ("incident.note", "conflict") in done
