"""Alarm management over HTTP: P1/P2 shelving rules (reason of substance, maximum duration,
a second person) with clear 4xx answers, bulk acknowledge by priority through the single-ack
path with one audit record, and suppressed alarms left out of bulk acknowledge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from line.catalogue import Message
from telemetry.alarms import Priority
from tests.api.authkit import bearer, serving
from tests.api.reportkit import settings

OP, AD = bearer("operator"), bearer("admin")
OP_EN = {**OP, "Accept-Language": "en"}  # the refusals below in English; Vietnamese is the default
REASON = "Cảm biến cửa T05 hỏng, đội bảo trì đang xử lý tại ga"


def raise_(served: Any, key: str, prio: Priority) -> int:
    a = served.rt.alarms.raise_alarm(
        key, prio, "T05", Message("alarm.saved_text", {"vi": key, "en": key})
    )
    assert a is not None
    return int(a.id)


async def test_p1_shelving_rules_answer_with_clear_4xx(tmp_path: Path) -> None:
    async with serving(settings(tmp_path)) as served, served.client() as http:
        p1 = raise_(served, "train:T05:fault:E12", Priority.CRITICAL)
        url = f"/api/alarms/{p1}/shelve"
        r = await http.post(url, headers=OP_EN, json={"reason": "bảo trì", "minutes": 30})
        assert r.status_code == 422 and "at least 15 characters" in r.json()["detail"]["message"]
        assert r.json()["detail"]["code"] == "alarm.refused.reason_short"
        r = await http.post(url, headers=OP_EN, json={"reason": "a" * 20, "minutes": 30})
        assert r.status_code == 422 and "not repeated or filler" in r.json()["detail"]["message"]
        r = await http.post(url, headers=OP_EN, json={"reason": REASON, "minutes": 90})
        assert r.status_code == 422
        assert (
            r.json()["detail"]["message"]
            == "P1 alarms can be shelved for at most 1 h; asked for 1 h 30 min"
        )
        # the same refusal in the UI's default language, no English in it
        r = await http.post(url, headers=OP, json={"reason": REASON, "minutes": 90})
        assert r.json()["detail"]["message"] == (
            "Báo động P1 chỉ được tạm ẩn tối đa 1 giờ; đã yêu cầu 1 giờ 30 phút"
        )
        # a good request: recorded, not shelved
        r = await http.post(url, headers=OP, json={"reason": REASON, "minutes": 30})
        assert r.status_code == 200
        body = r.json()
        assert body["state"] == "unack" and body["shelve_request"]["user"] == "operator-bot"
        assert body["shelve_request"]["minutes"] == 30
        # the requester cannot approve it
        r = await http.post(f"{url}/approve", headers=OP_EN)
        assert r.status_code == 409 and "needs a second person" in r.json()["detail"]["message"]
        r = await http.post(f"{url}/approve", headers=OP)
        assert r.json()["detail"] == {
            "code": "alarm.refused.second_person",
            "message": "Tạm ẩn báo động P1 cần người thứ hai: operator-bot đã yêu cầu, một điều "
            "độ viên khác phải phê duyệt",
        }
        # a second person can
        r = await http.post(f"{url}/approve", headers=AD)
        assert r.status_code == 200
        got = r.json()
        assert got["state"] == "shelved" and got["shelved_by"] == "operator-bot"
        assert got["shelve_request"] is None
        r = await http.post(f"{url}/approve", headers={**AD, "Accept-Language": "en-GB,en;q=0.9"})
        assert r.status_code == 409 and "no shelve request" in r.json()["detail"]["message"]
        # a P3 still shelves at once for up to 8 h with a short reason
        p3 = raise_(served, "train:T06:stale", Priority.MEDIUM)
        r = await http.post(
            f"/api/alarms/{p3}/shelve", headers=OP, json={"reason": "nhấp nháy", "minutes": 240}
        )
        assert r.status_code == 200 and r.json()["state"] == "shelved"


async def test_bulk_acknowledge_by_priority_leaves_one_audit_record(tmp_path: Path) -> None:
    async with serving(settings(tmp_path)) as served, served.client() as http:
        rt = served.rt
        p1 = raise_(served, "train:T01:fault:E1", Priority.CRITICAL)
        p2 = raise_(served, "train:T02:fault:E2", Priority.HIGH)
        p4 = raise_(served, "train:T03:fault:E4", Priority.LOW)
        rt.alarms.suppress_train("T04", True)
        hidden = raise_(served, "train:T04:fault:E1", Priority.CRITICAL)
        # one already acknowledged by a colleague: not in the bulk, not an error
        rt.alarms.ack(p2, "minh")
        r = await http.post("/api/alarms/ack", headers=OP, json={"priorities": [1, 2]})
        assert r.status_code == 200 and r.json() == {"acked": [p1], "refused": []}
        assert rt.alarms.get(p1).acked_by == "operator-bot"
        assert rt.alarms.get(p4).state.value == "unack"  # not in the filter
        assert rt.alarms.get(hidden).state.value == "unack"  # suppressed: never shown as alarm
        r = await http.get("/api/audit?action=alarm.ack_bulk", headers=AD)
        entries = r.json()["entries"]
        assert len(entries) == 1
        assert entries[0]["detail"]["alarm_ids"] == [p1]
        assert entries[0]["detail"]["priorities"] == [1, 2]
        # a bad filter is a clear 422
        r = await http.post("/api/alarms/ack", headers=OP, json={"priorities": [5]})
        assert r.status_code == 422
        r = await http.post("/api/alarms/ack", headers=OP, json={"priorities": []})
        assert r.status_code == 422


async def test_a_malformed_request_is_refused_in_the_askers_language(tmp_path: Path) -> None:
    """The 422 of pydantic's checks: Vietnamese by default (what the UI shows beside the
    field), pydantic's own English for an English request; the same fields either way."""
    async with serving(settings(tmp_path)) as served, served.client() as http:
        p3 = raise_(served, "train:T06:stale", Priority.MEDIUM)
        bad = {"reason": "ab", "minutes": 900}
        r = await http.post(f"/api/alarms/{p3}/shelve", headers=OP, json=bad)
        assert r.status_code == 422
        vi = {e["loc"][-1]: e["msg"] for e in r.json()["detail"]}
        assert vi == {"reason": "cần ít nhất 3 ký tự", "minutes": "phải nhỏ hơn hoặc bằng 480"}
        r = await http.post(f"/api/alarms/{p3}/shelve", headers=OP_EN, json={"minutes": "x"})
        en = {e["loc"][-1]: e["msg"] for e in r.json()["detail"]}
        assert en == {
            "reason": "Field required",
            "minutes": "Input should be a valid number, unable to parse string as a number",
        }
