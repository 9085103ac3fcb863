"""The shift log over real HTTP, with a real broker: a P1 alarm raised by an emergency-brake
event over MQTT writes its log entry by itself; an operator writes an entry and a correction,
which are listed together and audited; the category decides who may write; bad input is a
clear 4xx and nothing is stored; the entries survive a restart of the server.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiomqtt
import httpx

from services.settings import Settings
from tests.api.authkit import FAST_ARGON2, TOKENS, bearer, make_settings, serving
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port
from tests.poll import until

EN = {"Accept-Language": "en"}  # the refusals' English texts (Vietnamese is the default)
D12 = {
    "id": "D12",
    "name": "Nguyễn Văn An",
    "role": "driver",
    "line_id": "2a",
    "qualifications": [{"kind": "line_licence", "scope": "2a", "valid_until": "2030-01-01"}],
}


def settings(tmp_path: Path, mqtt_url: str) -> Settings:
    return Settings.model_validate(
        {
            "mqtt": {"url": mqtt_url, "client_id": f"log-test-{free_port()}"},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "auth": {
                "tokens": {t: f"{role}-bot:{role}" for role, t in TOKENS.items()},
                **FAST_ARGON2,
            },
            "crew": {"solver_time_limit_s": 2},
        }
    )


async def emergency_brake(broker: Broker, train: str) -> None:
    body = {
        "v": 1,
        "ts": int(time.time() * 1000),
        "train": train,
        "seq": 1,
        "kind": "emergency_brake",
    }
    async with aiomqtt.Client("127.0.0.1", broker.port, identifier=f"pub-{free_port()}") as c:
        await c.publish(f"metro/2a/train/{train}/event", json.dumps(body), qos=1)


async def entries(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await http.get("/api/log", params=params, headers=bearer("planner"))
    assert r.status_code == 200, r.text
    got: list[dict[str, Any]] = r.json()["entries"]
    return got


async def test_p1_alarm_operator_entry_and_correction(mosquitto: Broker, tmp_path: Path) -> None:
    async with serving(settings(tmp_path, mosquitto.url)) as srv, srv.client() as http:
        await until(lambda: srv.rt.ingest is not None and srv.rt.ingest.connected, what="ingest")
        await emergency_brake(mosquitto, "T03")

        async def alarm_entry() -> dict[str, Any] | None:
            found = [e for e in await entries(http) if e["code"] == "log.alarm.raised"]
            return found[0] if found else None

        auto = await until(alarm_entry, what="the P1 alarm's log entry")
        assert auto["author"] == "system" and auto["system"] and auto["train"] == "T03"
        assert (
            auto["text"].startswith("Báo động P1 #") and "Tàu T03: phanh khẩn cấp" in auto["text"]
        )
        assert auto["text_en"].endswith("Train T03: emergency brake")
        alarm_id = auto["alarm_id"]
        assert srv.rt.alarms.get(alarm_id).text.code == "alarm.train.emergency_brake"

        # an operator writes an entry about it, then corrects it
        op = bearer("operator")
        r = await http.post(
            "/api/log",
            headers=op,
            json={"text": "T03 phanh khẩn cấp tại Láng", "category": "operations",
                  "train": "T03", "alarm_id": alarm_id},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["author"] == "operator-bot" and first["alarm_id"] == alarm_id
        r = await http.post(
            "/api/log", headers=op, json={"text": "Sửa: tại Thái Hà", "corrects": first["id"]}
        )
        assert r.status_code == 201, r.text
        fix = r.json()
        assert fix["category"] == "operations" and fix["corrects_entry"]["id"] == first["id"]

        listed = await entries(http)
        assert [e["id"] for e in listed[:2]] == [fix["id"], first["id"]]
        assert listed[0]["corrects_entry"]["text"] == "T03 phanh khẩn cấp tại Láng"
        assert listed[1]["corrected_by"] == [fix["id"]]
        assert [e["id"] for e in await entries(http, q="THÁI HÀ")] == [fix["id"]]
        assert [e["id"] for e in await entries(http, after=first["id"])] == [fix["id"]]

        # who writes which category; clear refusals, nothing stored
        refused = [
            ("planner", {"text": "x", "category": "other"}, 403, "crew_manager"),
            ("operator", {"text": "x", "category": "crew"}, 403, "crew entries are written by"),
            ("crew_manager", {"text": "x", "category": "operations"}, 403, "not crew manager"),
            ("operator", {"text": "x"}, 422, "category is required"),
            ("operator", {"text": "", "category": "other"}, 422, "text"),
            ("operator", {"text": "x", "category": "weather"}, 422, "category"),
            ("operator", {"text": "x", "category": "other", "train": "T99"}, 422, "T99"),
            ("operator", {"text": "x", "category": "other", "alarm_id": 9999}, 422, "9999"),
            ("operator", {"text": "x", "corrects": 9999}, 404, "9999"),
            ("operator", {"text": "a\x00b", "category": "other"}, 422, "NUL"),
            ("operator", {"text": "x", "corrects": 2**40}, 422, "corrects"),
            ("operator", {"text": "x", "corrects": first["id"], "category": "safety"}, 422,
             "keeps the category"),
        ]  # fmt: skip
        for role, body, status, says in refused:
            r = await http.post("/api/log", headers={**bearer(role), **EN}, json=body)
            assert r.status_code == status, (role, body, r.text)
            assert says in r.text, (role, body, r.text)
        # the same refusals in Vietnamese for a Vietnamese client (the default), with the code
        said_vi = [
            ("operator", {"text": "x", "category": "crew"}, 403,
             "Mục nhóm Tổ lái do Quản trị; Quản lý tổ lái viết, không phải Điều độ viên"),
            ("operator", {"text": "x"}, 422, "Cần chọn nhóm cho mục nhật ký: Vận hành; Tổ lái"),
            ("operator", {"text": "x", "category": "other", "train": "T99"}, 422,
             "Không có tàu T99"),
            ("operator", {"text": "x", "category": "other", "alarm_id": 9999}, 422,
             "Không có cảnh báo #9999 để liên kết"),
            ("operator", {"text": "x", "corrects": first["id"], "category": "safety"}, 422,
             "giữ nhóm của mục được đính chính (Vận hành), không phải An toàn"),
        ]  # fmt: skip
        for role, body, status, says in said_vi:
            r = await http.post("/api/log", headers=bearer(role), json=body)
            assert r.status_code == status, (role, body, r.text)
            detail = r.json()["detail"]
            assert detail["code"].startswith("log.refused.") and says in detail["message"], detail
        cm = bearer("crew_manager")
        r = await http.post("/api/crew/staff", json=D12, headers=cm)  # a staff id on the roster
        assert r.status_code == 201, r.text
        r = await http.post(
            "/api/log", headers=cm,
            json={"text": "Lái tàu D12 báo F1", "category": "crew", "staff_id": "D12"},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        assert len(await entries(http)) == 4
        assert [e["staff_id"] for e in await entries(http, category="crew")] == ["D12"]
        r = await http.get("/api/log", params={"since": "2026-01-01T00:00:00"}, headers=op)
        assert r.status_code == 422  # a time without its offset is ambiguous
        for bad in ({"before": 2**40}, {"q": "a\x00"}, {"limit": 0}, {"category": "weather"}):
            r = await http.get("/api/log", params=bad, headers=op)
            assert r.status_code == 422, (bad, r.text)
        r = await http.get(
            "/api/log",
            params={"since": "2026-05-02T10:00:00+07:00", "until": "2026-05-02T09:00:00+07:00"},
            headers=op,
        )
        assert r.status_code == 422 and "kết thúc phải sau" in r.json()["detail"]["message"]

        # there is no way to change or delete an entry
        for method in ("PUT", "PATCH", "DELETE"):
            r = await http.request(method, f"/api/log/{first['id']}", headers=bearer("admin"))
            assert r.status_code in (404, 405)

        # every write the route saw is audited, refused ones too (the sign-in check and body
        # validation refuse before the route: the planner, the empty text, the unknown category,
        # the NUL, the id out of range)
        audit = (await srv.rt.audit.query(action="log.write", limit=100)).entries
        results = [a.result for a in audit]
        assert results.count("ok") == 3
        assert len(results) == 3 + len(refused) - 5 + len(said_vi)
        assert {a.user for a in audit if a.result == "ok"} == {"operator-bot", "crew_manager-bot"}

    # acknowledged entries are there after a restart
    async with serving(settings(tmp_path, mosquitto.url)) as srv, srv.client() as http:
        texts = [e["text"] for e in await entries(http)]
        assert "Sửa: tại Thái Hà" in texts and len(texts) == 4


async def test_crew_status_changes_write_entries_once(tmp_path: Path) -> None:
    """F1 declared and cleared through the crew API: each is a crew entry by the system, with
    the person linked; a restart writes none of them again."""
    cm = bearer("crew_manager")
    staff = {
        "id": "D12",
        "name": "Nguyễn Văn An",
        "role": "driver",
        "line_id": "2a",
        "qualifications": [{"kind": "line_licence", "scope": "2a", "valid_until": "2030-01-01"}],
    }
    events = [
        {"event_id": "t:1", "staff_id": "D12", "state": "f1_quarantine",
         "effective": "2026-03-02T08:00:00+07:00", "until": "2026-03-09T08:00:00+07:00",
         "source": "phone call"},
        {"event_id": "t:2", "staff_id": "D12", "state": "available",
         "effective": "2026-03-09T08:00:00+07:00"},
    ]  # fmt: skip

    async def crew_entries(http: httpx.AsyncClient) -> list[dict[str, Any]]:
        return await entries(http, category="crew")

    s = make_settings(tmp_path)  # no broker needed: crew only
    async with serving(s) as srv, srv.client() as http:
        assert (await http.post("/api/crew/staff", json=staff, headers=cm)).status_code == 201
        for ev in events:
            r = await http.post("/api/crew/status-events", json=ev, headers=cm)
            assert r.status_code == 201, r.text
        got = await until(
            lambda: _at_least(crew_entries(http), 2),
            timeout_s=20,  # the feed looks every 5 s
            what="two crew status entries",
        )
        assert sorted(e["text"] for e in got) == [
            "D12 Nguyễn Văn An: F1 cách ly từ 02/03 08:00 (phone call)",
            "D12 Nguyễn Văn An: sẵn sàng từ 09/03 08:00",
        ]
        assert {e["staff_id"] for e in got} == {"D12"} and {e["author"] for e in got} == {"system"}
        assert any("F1 in quarantine from 02/03 08:00" in e["text_en"] for e in got)

    async with serving(s) as srv, srv.client() as http:
        # the feed has looked at the store (its revision known) and written nothing new
        await until(lambda: srv.rt.shift_log_crew._revision is not None, what="a crew check")  # type: ignore[attr-defined]
        assert len(await crew_entries(http)) == 2


async def _at_least(got: Any, n: int) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = await got
    return items if len(items) >= n else None


async def test_what_an_entry_links_to_must_exist(tmp_path: Path) -> None:
    """A staff id is checked against the crew roster (and its id format), a train against the
    fleet, an alarm against the alarm book: each refusal is a 422 naming the field, in the
    asker's language, and nothing is written."""
    cm, op = bearer("crew_manager"), bearer("operator")
    async with serving(make_settings(tmp_path)) as srv, srv.client() as http:
        assert (await http.post("/api/crew/staff", json=D12, headers=cm)).status_code == 201
        entry = {"text": "Lái tàu báo ốm", "category": "crew"}
        # unknown to the roster: the catalogue's words, and the field
        r = await http.post("/api/log", headers=cm, json={**entry, "staff_id": "ZZZ999"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == {
            "code": "log.refused.unknown_staff",
            "message": "Không có nhân viên mã ZZZ999 trong danh sách tổ lái",
            "field": "staff_id",
        }
        r = await http.post("/api/log", headers={**cm, **EN}, json={**entry, "staff_id": "D99"})
        assert r.status_code == 422
        assert r.json()["detail"]["message"] == "no staff member D99 on the crew roster"
        # not a staff id at all: refused with the body, beside the field
        for bad in ("NOPE/1", "D 12", "x" * 33):
            r = await http.post("/api/log", headers=cm, json={**entry, "staff_id": bad})
            assert r.status_code == 422, (bad, r.text)
            (error,) = r.json()["detail"]
            assert error["loc"] == ["body", "staff_id"], error
            assert error["code"] == "log.refused.staff_format" and "Mã nhân viên" in error["msg"]
        # a train and an alarm that do not exist name their fields too
        other = {"text": "x", "category": "other"}
        for link, field in (({"train": "T99"}, "train"), ({"alarm_id": 99999}, "alarm_id")):
            r = await http.post("/api/log", headers=op, json={**other, **link})
            assert r.status_code == 422 and r.json()["detail"]["field"] == field, r.text
        r = await http.post("/api/log", headers=op, json={**other, "alarm_id": "abc"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "alarm_id"]
        assert await entries(http) == []  # nothing written

        r = await http.post("/api/log", headers=cm, json={**entry, "staff_id": "D12"})
        assert r.status_code == 201, r.text
        assert [e["staff_id"] for e in await entries(http)] == ["D12"]
