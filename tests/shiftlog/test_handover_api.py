"""Handovers over real HTTP on both databases, with a clock the test moves through the
control-room shifts (06:00/14:00/22:00 Hanoi time).

Proves: a shift that ended without a handover is "not handed over"; an operator opens the
handover and the system drafts it (open P1/P2 alarms, open log items, crew shortages and open
incidents to acknowledge one by one); only its opener edits and signs it; another
operator acknowledges item by item and only then accepts; every step is audited and signing
and acceptance write shift log entries; a shift that ends unhanded-over writes its entry;
administrators export the log as CSV with formula cells neutralised, no one else may; the
situation report states the latest handover.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from line.catalogue import Message
from line.clock import HANOI
from telemetry.alarms import Priority
from tests.api.authkit import TOKENS, FakeClock, bearer, make_settings, serving
from tests.api.pdftext import text_runs
from tests.poll import until

OP1, PL, AD = bearer("operator"), bearer("planner"), bearer("admin")
OP2_TOKEN = "tok-operator-two-0123456"
OP2 = {"Authorization": f"Bearer {OP2_TOKEN}"}


def hanoi_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=HANOI).timestamp() * 1000)


async def ok(r: httpx.Response, code: int = 200) -> Any:
    assert r.status_code == code, (r.status_code, r.text)
    return r.json()


async def log_codes(http: httpx.AsyncClient) -> list[str]:
    body = await ok(await http.get("/api/log", headers=PL))
    return [e["code"] for e in body["entries"] if e["code"]]


async def test_full_handover_and_not_handed_over(tmp_path: Path, db_url: str) -> None:
    clock = FakeClock(hanoi_ms("2026-05-28T13:40:00"))
    tokens = {t: f"{role}-bot:{role}" for role, t in TOKENS.items()}
    tokens[OP2_TOKEN] = "op2-bot:operator"
    settings = make_settings(tmp_path, db_url, tokens=tokens)
    async with serving(settings, clock) as srv, srv.client() as http:
        rt = srv.rt
        # the night shift ended at 06:00 without a handover: shown as such
        view = await ok(await http.get("/api/handover", headers=PL))
        assert view["current"]["shift_id"] == "occ_day"
        assert view["current"]["status"] == "current"
        night = view["shifts"][0]
        assert night["shift_id"] == "occ_night"
        assert night["end_ms"] == hanoi_ms("2026-05-28T06:00:00")
        assert night["status"] == "not_handed_over"
        assert view["latest"] is None and view["open"] is None

        # what is open: a P1 and a P3 alarm, and a log entry flagged for follow-up
        p1 = rt.alarms.raise_alarm(
            "train:T04:emergency_brake",
            Priority.CRITICAL,
            "T04",
            Message("alarm.train.emergency_brake", {"train": "T04"}),
        )
        p4 = rt.alarms.raise_alarm(
            "train:T05:door",
            Priority.LOW,
            "T05",
            Message("alarm.saved_text", {"vi": "cửa T05 báo lỗi", "en": "T05 door fault"}),
        )
        # a headway alarm: its source is a track ("track 2"), which its text already names
        bunching = rt.alarms.raise_alarm(
            "headway:T01:bunching",
            Priority.LOW,
            "track 2",
            Message(
                "alarm.headway.bunching",
                {"leader": "T06", "follower": "T01", "minutes": 4.5, "planned_min": 10.0},
            ),
        )
        follow = await ok(
            await http.post(
                "/api/log",
                headers=OP1,
                json={
                    "text": "Cửa tàu T02 kẹt, chờ kỹ thuật",
                    "category": "equipment",
                    "follow_up": True,
                },
            ),
            201,
        )
        assert follow["follow_up"] is True
        done = await ok(
            await http.post(
                "/api/log",
                headers=OP1,
                json={"text": "Ghi chú đã xong", "category": "operations", "follow_up": True},
            ),
            201,
        )
        await ok(  # a correction closes an open item
            await http.post(
                "/api/log", headers=OP1, json={"text": "Đã xử lý xong", "corrects": done["id"]}
            ),
            201,
        )

        # an incident still open, from the P1 alarm
        inc = await ok(
            await http.post(
                "/api/incidents", headers=OP1, json={"title": "T04 phanh khẩn", "alarm_id": p1.id}
            ),
            201,
        )

        # planners read but do not hand over
        assert (await http.post("/api/handover", headers=PL)).status_code == 403
        h = await ok(await http.post("/api/handover", headers=OP1), 201)
        assert (h["shift_id"], h["state"], h["opened_by"]) == ("occ_day", "draft", "operator-bot")
        assert h["shift_end_ms"] == hanoi_ms("2026-05-28T14:00:00")
        items = {i["key"]: i for i in h["items"]}
        assert (
            items[f"alarm:{p1.id}"]["must_ack"] and items[f"alarm:{p1.id}"]["section"] == "alarms"
        )
        assert "T04" in items[f"alarm:{p1.id}"]["text"]
        # the P4 is handed over, not acknowledged one by one
        assert not items[f"alarm:{p4.id}"]["must_ack"]
        assert "cửa T05 báo lỗi" in items[f"alarm:{p4.id}"]["text"]
        assert items[f"alarm:{bunching.id}"]["text"] == (
            f"P4 #{bunching.id}: Dồn tàu: T06 → T01 4,5 phút (kế hoạch 10) (chưa xác nhận)"
        )
        assert items[f"alarm:{bunching.id}"]["text_en"] == (
            f"P4 #{bunching.id}: Bunching: T06 → T01 4.5 min (planned 10) (not acknowledged)"
        )
        assert items[f"log:{follow['id']}"]["must_ack"]
        assert f"log:{done['id']}" not in items  # corrected: closed
        assert items["trips"]["section"] == "trips"
        assert "incidents" in h["sections"] and h["incidents_source"] is True
        incident = items[f"incident:{inc['id']}"]
        assert incident["must_ack"] and incident["section"] == "incidents"
        assert "T04 phanh khẩn" in incident["text"]
        # no roster in this database: every crew shift ahead is short, each role an item to ack
        crew = [i for i in h["items"] if i["section"] == "crew"]
        assert crew and all(i["must_ack"] and i["text"].startswith("Thiếu ") for i in crew)
        # shifts by their names, in each language; times hh:mm dd/mm/yyyy; no ids, no English
        shift = r"ca (sớm|muộn|ngày|chiều|đêm) \(\d\d/\d\d \d\d:\d\d\)$"
        assert all(re.search(shift, i["text"]) for i in crew), crew
        shift_en = r"short on the (early|late|day|night) shift \(\d\d/\d\d \d\d:\d\d\)$"
        assert all(re.search(shift_en, i["text_en"]) for i in crew), crew
        assert h["summary"].startswith("Bàn giao ca ngày (06:00 28/05/2026–14:00 28/05/2026). ")
        for i in h["items"]:
            assert not re.search(r"occ_|track|\b(early|late)\b", i["text"]), i
        assert h["unacked"] == 3 + len(crew)
        assert "(P1/P2: 1)" in h["summary"]
        # opening again gives the same draft
        again = await ok(await http.post("/api/handover", headers=OP2))
        assert again["id"] == h["id"]

        # the opener edits and signs; nobody else does
        hid = h["id"]
        summary = h["summary"] + "\nT02: đội kỹ thuật đến lúc 14:30."
        r = await http.put(f"/api/handover/{hid}", headers=OP2, json={"summary": "x"})
        assert r.status_code == 409 and r.json()["detail"] == {
            "code": "handover.refused.not_opener_edit",
            "message": "Chỉ operator-bot, người mở biên bản, được sửa biên bản giao ca này",
        }
        edited = await ok(
            await http.put(f"/api/handover/{hid}", headers=OP1, json={"summary": summary})
        )
        assert edited["summary"] == summary
        r = await http.post(f"/api/handover/{hid}/items/alarm:{p1.id}/ack", headers=OP2)
        assert r.status_code == 409  # not signed yet
        assert (await http.post(f"/api/handover/{hid}/sign", headers=OP2)).status_code == 409
        signed = await ok(await http.post(f"/api/handover/{hid}/sign", headers=OP1))
        assert (signed["state"], signed["signed_by"]) == ("signed", "operator-bot")
        r = await http.put(
            f"/api/handover/{hid}", headers={**OP1, "Accept-Language": "en"}, json={"summary": "z"}
        )
        assert r.status_code == 409  # signed: no more edits
        assert (
            r.json()["detail"]["message"] == "only a draft can be edited (the handover is signed)"
        )

        # the incoming operator: not the same user; every required item first
        r = await http.post(f"/api/handover/{hid}/accept", headers=OP1)
        assert r.status_code == 409
        r = await http.post(f"/api/handover/{hid}/accept", headers=OP2)
        assert r.status_code == 409 and f"alarm:{p1.id}" in r.json()["detail"]["message"]
        r = await http.post(f"/api/handover/{hid}/items/nope/ack", headers=OP2)
        assert r.status_code == 404
        one = await ok(await http.post(f"/api/handover/{hid}/items/alarm:{p1.id}/ack", headers=OP2))
        acked = {i["key"]: i for i in one["items"]}[f"alarm:{p1.id}"]
        assert acked["acked_by"] == "op2-bot" and one["unacked"] == 2 + len(crew)
        r = await http.post(f"/api/handover/{hid}/accept", headers=OP2)
        assert r.status_code == 409 and f"log:{follow['id']}" in r.json()["detail"]["message"]
        for key in [f"log:{follow['id']}", f"incident:{inc['id']}"] + [i["key"] for i in crew]:
            await ok(await http.post(f"/api/handover/{hid}/items/{key}/ack", headers=OP2))
        accepted = await ok(await http.post(f"/api/handover/{hid}/accept", headers=OP2))
        assert (accepted["state"], accepted["accepted_by"]) == ("accepted", "op2-bot")

        # audited, and written in the shift log by the system
        audit = await ok(await http.get("/api/audit?action=handover", headers=AD))
        done_steps = {(e["action"], e["user"]) for e in audit["entries"] if e["result"] == "ok"}
        assert ("handover.sign", "operator-bot") in done_steps
        assert ("handover.accept", "op2-bot") in done_steps
        assert ("handover.ack", "op2-bot") in done_steps
        refused = [e for e in audit["entries"] if e["result"] != "ok"]
        assert any(e["action"] == "handover.accept" for e in refused)

        async def logged() -> bool:
            codes = await log_codes(http)
            return "log.handover.signed" in codes and "log.handover.accepted" in codes

        await until(logged, what="the handover's shift log entries")
        view = await ok(await http.get("/api/handover", headers=PL))
        assert view["current"]["status"] == "accepted"
        assert view["latest"]["id"] == hid

        # the situation report states the latest handover
        clock.advance(minutes=5)
        rep = await ok(await http.post("/api/reports", headers=OP1), 201)
        stated = (await ok(await http.get(f"/api/reports/{rep['id']}", headers=PL)))["content"]
        assert stated["handover"]["shift_id"] == "occ_day"
        assert stated["handover"]["state"] == "accepted"
        assert stated["handover"]["accepted_by"] == "op2-bot"
        assert stated["handover"]["summary"] == summary
        page = (await http.get(f"/api/reports/{rep['id']}.html", headers=PL)).text
        assert "Bàn giao ca gần nhất" in page and "T02: đội kỹ thuật đến lúc 14:30." in page
        pdf = (await http.get(f"/api/reports/{rep['id']}.pdf", headers=PL)).content
        runs = text_runs(pdf)
        assert "6. Bàn giao ca gần nhất / Latest shift handover" in runs  # the last section
        assert any("op2-bot" in run for run in runs)

        # the late shift ends without a handover: listed so, and the log says it by itself
        await rt.handovers.check_ended()
        clock.now_ms = hanoi_ms("2026-05-28T22:45:00")
        await rt.handovers.check_ended()

        async def missing() -> bool:
            return "log.handover.missing" in await log_codes(http)

        await until(missing, what="the 'not handed over' entry")
        body = await ok(await http.get("/api/log?q=ca chiều", headers=PL))
        assert any(
            e["text"] == "Hết ca chiều (14:00 28/05/2026–22:00 28/05/2026) mà không có bàn giao"
            for e in body["entries"]
        ), body
        assert not any(
            "ca ngày" in e["text"] and e["code"] == "log.handover.missing"
            for e in (await ok(await http.get("/api/log", headers=PL)))["entries"]
        )
        view = await ok(await http.get("/api/handover", headers=PL))
        by_id = {s["shift_id"]: s["status"] for s in view["shifts"]}
        assert by_id["occ_late"] == "not_handed_over" and by_id["occ_day"] == "accepted"

        # admins export the log as CSV; a formula is text there
        await ok(
            await http.post(
                "/api/log", headers=OP1, json={"text": '=HYPERLINK("x")', "category": "other"}
            ),
            201,
        )
        params = {"since": "2026-05-28T00:00:00+07:00", "until": "2026-05-29T00:00:00+07:00"}
        assert (
            await http.get("/api/log/export.csv", params=params, headers=OP1)
        ).status_code == 403
        r = await http.get("/api/log/export.csv", params=params, headers=AD)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        texts = [row["text"] for row in rows]
        assert '\'=HYPERLINK("x")' in texts
        assert "Cửa tàu T02 kẹt, chờ kỹ thuật" in texts
        assert [int(x["id"]) for x in rows] == sorted(int(x["id"]) for x in rows)
        assert {x["follow_up"] for x in rows} == {"yes", "no"}
        bad = {"since": params["until"], "until": params["since"]}
        assert (await http.get("/api/log/export.csv", params=bad, headers=AD)).status_code == 422


async def test_degraded_timetable_decision(tmp_path: Path, db_url: str) -> None:
    clock = FakeClock(hanoi_ms("2026-05-28T07:10:00"))
    async with serving(make_settings(tmp_path, db_url), clock) as srv, srv.client() as http:
        view = await ok(await http.get("/api/timetable/decision", headers=PL))
        assert view == {"current": None, "recent": []}
        body = {"degraded": True, "headway_min": 8, "from": "07:30", "reason": "thiếu 3 lái tàu"}
        assert (
            await http.post("/api/timetable/decision", headers=PL, json=body)
        ).status_code == 403
        bad = {**body, "headway_min": None}
        assert (
            await http.post("/api/timetable/decision", headers=OP1, json=bad)
        ).status_code == 422
        assert (
            await http.post("/api/timetable/decision", headers=OP1, json={**body, "reason": ""})
        ).status_code == 422
        d = await ok(await http.post("/api/timetable/decision", headers=OP1, json=body), 201)
        assert (d["degraded"], d["headway_s"], d["user"]) == (True, 480, "operator-bot")
        assert d["from_ms"] == hanoi_ms("2026-05-28T07:30:00")
        view = await ok(await http.get("/api/timetable/decision", headers=PL))
        assert view["current"]["id"] == d["id"]

        async def logged() -> list[dict[str, Any]]:
            body_ = await ok(await http.get("/api/log", headers=PL))
            return [e for e in body_["entries"] if (e["code"] or "").startswith("log.timetable")]

        entries = await until(logged, what="the decision's shift log entry")
        assert entries[0]["text"] == (
            "operator-bot công bố biểu đồ chạy tàu suy giảm: giãn cách 8 phút từ 07:30 28/05"
            " (thiếu 3 lái tàu)"
        )
        # the handover passes it on, to acknowledge
        h = await ok(await http.post("/api/handover", headers=OP1), 201)
        item = next(i for i in h["items"] if i["key"] == f"timetable:{d['id']}")
        assert item["must_ack"] and "giãn cách 8 phút" in item["text"]

        normal = {"degraded": False, "from": "09:00", "reason": "đủ lái tàu"}
        await ok(await http.post("/api/timetable/decision", headers=OP1, json=normal), 201)
        view = await ok(await http.get("/api/timetable/decision", headers=PL))
        assert view["current"] is None and len(view["recent"]) == 2

        async def both() -> bool:
            return len(await logged()) == 2

        await until(both, what="the return to normal in the shift log")
        audit = await ok(await http.get("/api/audit?action=timetable", headers=AD))
        # newest first; the refused one (no headway) too
        assert [e["result"] for e in audit["entries"]] == ["ok", "ok", "invalid"]
