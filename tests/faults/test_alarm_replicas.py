"""Two ``metro-ops serve`` replicas on one PostgreSQL agree on operators' alarm actions.

Two real server processes, each on its own HTTP port, share a real PostgreSQL database and a
real mosquitto broker; the field's fault events reach both, so both raise the same conditions
(each numbering its alarms itself). An acknowledgement, a shelve and a comment made on one
replica show on the other within a second (the action table is the truth, ``LISTEN/NOTIFY``
wakes the other side), nothing is written twice (no echo), and the other replica refuses a
second acknowledgement as a user would expect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import paho.mqtt.client as paho
import pytest
from sqlalchemy import text

from storage.engine import make_engine
from tests.fixtures.metro_server import MetroServer
from tests.fixtures.mosquitto import Broker
from tests.poll import until
from tests.reliability.rig import now_ms

OPERATOR_TOKEN = "tok-dd01-operator-replicas-0123"
OPERATOR2_TOKEN = "tok-dd02-operator-replicas-4567"  # the second person of a P1/P2 shelve
AGREE_S = 1.0  # what the issue asks: the other replica shows it within a second
FAULTS = (("T03", "BRK-004"), ("T04", "DOR-002"), ("T05", "HVA-001"))


class Field:
    """Train units publishing fault events over their own paho client."""

    def __init__(self, port: int) -> None:
        self.c = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=f"replicas-{time.time_ns()}"
        )
        self.c.connect("127.0.0.1", port, keepalive=5)
        self.c.loop_start()
        self.seq = 0

    def fault(self, train: str, code: str) -> None:
        self.seq += 1
        body = {"v": 1, "ts": now_ms(), "train": train, "seq": self.seq, "kind": "fault_raised",
                "code": code, "severity": "major"}  # fmt: skip
        self.c.publish(f"metro/2a/train/{train}/event", orjson.dumps(body), qos=1)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


async def by_key(http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    r = await http.get("/api/alarms", params={"include_shelved": "true", "history": 50})
    r.raise_for_status()
    body = r.json()
    return {a["key"]: a for a in [*body["history"], *body["alarms"]]}


async def shows(
    http: httpx.AsyncClient, key: str, ok: Callable[[dict[str, Any]], bool], what: str
) -> float:
    """Seconds until ``http``'s replica shows alarm ``key`` satisfying ``ok`` (≤ AGREE_S)."""
    t0 = time.monotonic()

    async def check() -> bool:
        a = (await by_key(http)).get(key)
        return a is not None and ok(a)

    await until(check, AGREE_S, what=what)
    return time.monotonic() - t0


@pytest.mark.timeout(300)  # two servers start on a shared, loaded machine
async def test_two_replicas_agree_on_acks_shelves_and_comments_within_a_second(
    make_metro_server: Callable[..., MetroServer], mosquitto: Broker, postgres_url: str
) -> None:
    settings = {"tokens": {OPERATOR_TOKEN: "dd01:operator", OPERATOR2_TOKEN: "dd02:operator"},
                "MQTT_URL": mosquitto.url, "DB_URL": postgres_url}  # fmt: skip
    # each replica its own MQTT client id (the same one would take the other's session over)
    a_srv = await asyncio.to_thread(make_metro_server, MQTT_CLIENT_ID="metro-ops-a", **settings)
    b_srv = await asyncio.to_thread(make_metro_server, MQTT_CLIENT_ID="metro-ops-b", **settings)
    field = Field(mosquitto.port)
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    try:
        async with (
            httpx.AsyncClient(base_url=a_srv.url, headers=headers, timeout=10) as a,
            httpx.AsyncClient(base_url=b_srv.url, headers=headers, timeout=10) as b,
            httpx.AsyncClient(
                base_url=a_srv.url,
                headers={"Authorization": f"Bearer {OPERATOR2_TOKEN}"},
                timeout=10,
            ) as a2,
        ):
            keys = [f"train:{t}:fault:{c}" for t, c in FAULTS]

            async def both_raised() -> bool:
                for t, c in FAULTS:  # again until both are subscribed and have them
                    field.fault(t, c)
                got_a, got_b = await by_key(a), await by_key(b)
                return all(k in got_a and k in got_b for k in keys)

            await until(both_raised, 60, every_s=0.5, what="both replicas raise the faults")
            brk, dor, hva = keys
            on_a = await by_key(a)

            # acknowledged on A: B shows it acknowledged, by the same operator
            r = await a.post(f"/api/alarms/{on_a[brk]['id']}/ack")
            assert r.status_code == 200, r.text
            await shows(b, brk, lambda x: x["state"] == "acked" and x["acked_by"] == "dd01",
                        "B shows A's acknowledgement")  # fmt: skip
            # and B refuses to acknowledge it again, as it would its own
            r = await b.post(f"/api/alarms/{(await by_key(b))[brk]['id']}/ack")
            assert r.status_code == 409, r.text

            # a P2 shelve asked for on B (dd01) and approved on A by a second person (dd02):
            # A shows B's request, B shows A's approval; both show it shelved alike
            on_b = await by_key(b)
            r = await b.post(
                f"/api/alarms/{on_b[dor]['id']}/shelve",
                json={"reason": "đội cửa đang xử lý / door crew on it", "minutes": 30},
            )
            assert r.status_code == 200 and r.json()["shelve_request"]["user"] == "dd01", r.text
            await shows(a, dor, lambda x: (x["shelve_request"] or {}).get("user") == "dd01",
                        "A shows B's shelve request")  # fmt: skip
            r = await a2.post(f"/api/alarms/{(await by_key(a))[dor]['id']}/shelve/approve")
            assert r.status_code == 200, r.text
            until_ms = r.json()["shelved_until_ms"]
            await shows(
                b, dor,
                lambda x: x["state"] == "shelved" and x["shelved_until_ms"] == until_ms,
                "B shows A's approval",
            )  # fmt: skip
            await shows(
                a, dor,
                lambda x: x["state"] == "shelved"
                and x["shelve_reason"] == "đội cửa đang xử lý / door crew on it"
                and x["shelved_until_ms"] == until_ms,
                "A shows B's shelve",
            )  # fmt: skip

            # commented on A: B shows the comment, once
            r = await a.post(f"/api/alarms/{on_a[hva]['id']}/comment", json={"text": "đã gọi KTV"})
            assert r.status_code == 200, r.text
            await shows(b, hva, lambda x: [c["text"] for c in x["comments"]] == ["đã gọi KTV"],
                        "B shows A's comment")  # fmt: skip

            # unshelved on A: B shows it back on the list, needing an acknowledgement
            r = await a.post(f"/api/alarms/{(await by_key(a))[dor]['id']}/unshelve")
            assert r.status_code == 200, r.text
            await shows(b, dor, lambda x: x["state"] == "unack", "B shows A's unshelve")

            # no echo: each action is in the table once, nothing was written back
            engine = make_engine(postgres_url)
            try:
                async with engine.connect() as conn:
                    rows = (
                        await conn.execute(text("SELECT kind FROM alarm_action ORDER BY seq"))
                    ).all()
            finally:
                await engine.dispose()
            assert [r.kind for r in rows] == [
                "ack",
                "shelve",
                "approve_shelve",
                "comment",
                "unshelve",
            ]
            # and A still shows the comment once (its own, not applied again)
            assert [c["text"] for c in (await by_key(a))[hva]["comments"]] == ["đã gọi KTV"]
    finally:
        field.close()
