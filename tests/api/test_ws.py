"""``WS /ws/board`` over a real uvicorn server: snapshot then deltas a client can rebuild the
board from, heartbeats, sign-in, a stalled client that costs the others nothing and is reset
or dropped, and a clean shutdown with clients connected."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from accounts.identity import UserRole
from api.server import make_server
from line.clock import HANOI
from services.runtime import Runtime, build_runtime
from services.settings import Settings
from telemetry.emulator.runner import Emulator, EmulatorConfig
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port

TOKEN = "ws-test-token-0123456789"
TOKENS_OPERATOR = "tok-operator-0123456789"  # tests.api.authkit.TOKENS["operator"]
ROLE_TOKENS = {f"ws-test-{r}-token-0123456789": f"u-{r}:{r}" for r in UserRole}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def telemetry(train: str, seq: int, pos: float) -> bytes:
    return orjson.dumps(
        {
            "v": 1,
            "ts": now_ms(),
            "train": train,
            "seq": seq,
            "pos_m": pos,
            "track": 1,
            "speed_kmh": 40.0,
            "doors": "closed",
            "load_pct": 50,
            "mode": "ATO",
            "driver": None,
            "faults": [],
        }
    )


class Feeder:
    """Moves all 13 trains through the ingest pipeline (as the MQTT adapter would)."""

    def __init__(self, rt: Runtime, period_s: float = 0.1) -> None:
        self.rt, self.period_s, self.seq = rt, period_s, 0
        self.task: asyncio.Task[None] | None = None

    def step(self) -> None:
        self.seq += 1
        for i, tid in enumerate(self.rt.line.fleet.trains):
            pos = 500.0 + i * 900 + self.seq * 3.0
            self.rt.pipeline.on_mqtt(
                f"metro/2a/train/{tid}/telemetry", telemetry(tid, self.seq, pos)
            )

    async def _run(self) -> None:
        while True:
            self.step()
            await asyncio.sleep(self.period_s)

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class Mirror:
    """The board as a client rebuilds it from the frames, checking seq as it goes."""

    def __init__(self) -> None:
        self.board: dict[str, Any] = {}
        self.trains: dict[str, dict[str, Any]] = {}
        self.seq: int | None = None
        self.kinds: list[str] = []

    def apply(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        self.kinds.append(kind)
        if kind == "snapshot":
            self.board = dict(msg["board"])
            self.trains = {t["train"]: t for t in self.board.pop("trains")}
        elif kind == "delta":
            assert self.seq is not None and msg["seq"] == self.seq + 1, (self.seq, msg["seq"])
            for t in msg["trains"]:
                self.trains[t["train"]] = t
            for tid in msg["removed_trains"]:
                self.trains.pop(tid)
            rest = {k: v for k, v in msg.items() if k not in ("type", "seq", "ts_ms")}
            rest.pop("trains"), rest.pop("removed_trains")
            self.board.update(rest)
        else:
            assert kind == "heartbeat" and msg["seq"] == self.seq, (self.seq, msg)
        self.seq = msg["seq"]


def comparable(board: dict[str, Any], trains: list[dict[str, Any]]) -> dict[str, Any]:
    """A board without what legitimately differs between frames (the clock, train ages)."""
    out = {k: v for k, v in board.items() if k not in ("now_ms", "trains")}
    out["trains"] = sorted(({**t, "age_s": None} for t in trains), key=lambda t: t["train"])
    return out


async def recv(ws: ClientConnection, timeout_s: float = 3.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        msg: dict[str, Any] = orjson.loads(await ws.recv())
    return msg


def ws_settings(tmp_path: Path, mqtt_url: str | None = None, **ws: Any) -> Settings:
    return Settings.model_validate(
        {
            "mqtt": {"url": mqtt_url, "client_id": f"ws-test-{free_port()}"},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
            "auth": {"tokens": {TOKEN: "dd01:operator"} | ROLE_TOKENS},
            "state": {"stale_after_s": 30.0},  # quiet spells in these tests are not outages
            "ws": {"tick_s": 0.2, "heartbeat_s": 5.0} | ws,
        }
    )


@contextlib.asynccontextmanager
async def serving(rt: Runtime) -> AsyncIterator[str]:
    """The app on a free port; yields the board socket's URL (with a valid token)."""
    port = free_port()
    server = make_server(rt, "127.0.0.1", port)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "HTTP server did not start"
        yield f"ws://127.0.0.1:{port}/ws/board?token={TOKEN}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task


def metric(rt: Runtime, name: str, **labels: str) -> float:
    return rt.registry.get_sample_value(name, labels) or 0.0


async def stalled_client(url: str) -> ClientConnection:
    """A client that reads nothing until told: a tiny receive buffer, and the library stops
    reading the socket once one frame waits unread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    host, port = url.split("/")[2].split(":")
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return await connect(
        url, sock=sock, max_queue=1, compression=None, ping_interval=None, close_timeout=2
    )


# --- the protocol ---------------------------------------------------------------------------
async def test_snapshot_then_deltas_rebuild_the_board_heartbeat_and_resync(
    tmp_path: Path,
) -> None:
    rt = build_runtime(ws_settings(tmp_path, heartbeat_s=1.0), require_broker=False)
    feeder = Feeder(rt, period_s=0.1)
    async with serving(rt) as url:
        feeder.step()
        async with connect(url, compression=None) as ws:
            mirror = Mirror()
            first = await recv(ws)
            assert first["type"] == "snapshot" and abs(first["ts_ms"] - now_ms()) < 2000
            board = first["board"]
            assert len(board["trains"]) == 13 and all(t["ts_ms"] for t in board["trains"])
            assert {"tracks", "substations", "alarms", "kpis"} <= board.keys()
            mirror.apply(first)

            feeder.start()
            arrivals: list[float] = []
            moved: set[str] = set()
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                msg = await recv(ws)
                arrivals.append(time.monotonic())
                assert msg["type"] == "delta"
                mirror.apply(msg)  # asserts seq + 1
                moved |= {t["train"] for t in msg["trains"]}
                # whole train dicts, never fragments
                assert all(t.keys() == board["trains"][0].keys() for t in msg["trains"])
            assert moved == set(rt.line.fleet.trains)
            gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
            assert max(gaps) < 1.0 and len(arrivals) >= 8  # coalesced to the tick, ≥ 1/s
            await feeder.stop()

            # quiet: the last delta lands, then heartbeats with the same seq; the mirror
            # equals GET /api/board
            msg = await recv(ws)
            while msg["type"] == "delta":
                mirror.apply(msg)
                msg = await recv(ws)
            mirror.apply(msg)
            assert msg["type"] == "heartbeat"
            mirror.apply(await recv(ws, 2.0))
            assert mirror.kinds[-2:] == ["heartbeat", "heartbeat"]
            http_url = url.replace("ws://", "http://").split("/ws/")[0] + "/api/board"
            async with httpx.AsyncClient(timeout=5) as http:
                r = await http.get(http_url, headers={"Authorization": f"Bearer {TOKEN}"})
            server_board = r.json()
            assert comparable(mirror.board, list(mirror.trains.values())) == comparable(
                server_board, server_board["trains"]
            )

            # asking for a resync brings a fresh snapshot at the current seq
            await ws.send(orjson.dumps({"type": "resync"}).decode())
            await ws.send("not json")  # ignored
            msg = await recv(ws)
            assert msg["type"] == "snapshot" and msg["seq"] == mirror.seq
        assert metric(rt, "metro_ws_resyncs_total", reason="requested") == 1
        assert metric(rt, "metro_ws_frames_total", type="heartbeat") >= 2
        for _ in range(50):
            if metric(rt, "metro_ws_clients") == 0:
                break
            await asyncio.sleep(0.05)
        assert metric(rt, "metro_ws_clients") == 0
        assert metric(rt, "metro_ws_disconnects_total", reason="client_closed") == 1


async def test_only_signed_in_users_may_watch(tmp_path: Path) -> None:
    rt = build_runtime(ws_settings(tmp_path), require_broker=False)
    async with serving(rt) as url:
        base = url.split("?")[0]
        for bad in (base, f"{base}?token=not-a-token-anyone-issued"):
            async with connect(bad, compression=None) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await recv(ws)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        # every role may watch
        for token in ROLE_TOKENS:
            async with connect(f"{base}?token={token}", compression=None) as ws:
                assert (await recv(ws))["type"] == "snapshot"
        # API clients may send the token as a bearer header instead
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with connect(base, compression=None, additional_headers=headers) as ws:
            assert (await recv(ws))["type"] == "snapshot"
    assert metric(rt, "metro_ws_disconnects_total", reason="unauthenticated") == 2


# --- slow and stalled clients ---------------------------------------------------------------
async def test_stalled_client_does_not_delay_others_and_resumes_from_a_snapshot(
    tmp_path: Path,
) -> None:
    settings = ws_settings(
        tmp_path, tick_s=0.1, queue_frames=4, send_timeout_s=30.0, send_buffer_bytes=8192
    )
    rt = build_runtime(settings, require_broker=False)
    feeder = Feeder(rt, period_s=0.1)
    async with serving(rt) as url:
        feeder.start()
        async with connect(url, compression=None) as normal:
            stalled = await stalled_client(url)
            try:
                mirror = Mirror()
                mirror.apply(await recv(normal))
                arrivals = [time.monotonic()]
                # read the normal client while the other one reads nothing, until the hub
                # has had to reset it at least twice
                deadline = time.monotonic() + 15
                while metric(rt, "metro_ws_resyncs_total", reason="slow_client") < 2:
                    assert time.monotonic() < deadline, "the stalled client was never reset"
                    mirror.apply(await recv(normal))
                    arrivals.append(time.monotonic())
                gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
                assert max(gaps) < 1.5, f"the normal client waited {max(gaps):.2f} s"
                assert len(arrivals) >= 10

                # the stalled client reads again: what its buffers held, then a fresh
                # snapshot (a seq jump the mirror accepts only from a snapshot), then
                # contiguous deltas up to the present
                late = Mirror()
                while late.seq is None or late.seq < (mirror.seq or 0):
                    assert time.monotonic() < deadline + 10
                    late.apply(await recv(stalled))
                assert late.kinds[0] == "snapshot" and late.kinds.count("snapshot") >= 2
                assert late.trains.keys() == mirror.trains.keys()
            finally:
                await stalled.close()
    await feeder.stop()


async def test_client_stalled_beyond_send_timeout_is_dropped(tmp_path: Path) -> None:
    settings = ws_settings(
        tmp_path, tick_s=0.1, queue_frames=4, send_timeout_s=1.0, send_buffer_bytes=8192
    )
    rt = build_runtime(settings, require_broker=False)
    feeder = Feeder(rt, period_s=0.1)
    hub = rt.board_hub
    assert hub is not None
    async with serving(rt) as url:
        feeder.start()
        async with connect(url, compression=None) as normal:
            stalled = await stalled_client(url)
            try:
                deadline = time.monotonic() + 15
                while metric(rt, "metro_ws_disconnects_total", reason="send_timeout") < 1:
                    assert time.monotonic() < deadline, "the stalled client was never dropped"
                    await recv(normal)
                assert hub.clients == 1
                # its connection is gone: after what the buffers held, it ends
                with pytest.raises(ConnectionClosed):
                    while True:
                        await recv(stalled)
                assert (await recv(normal))["type"] == "delta"  # the other one carries on
            finally:
                await stalled.close()
    await feeder.stop()


async def test_shutdown_with_clients_connected_is_prompt_and_clean(tmp_path: Path) -> None:
    settings = ws_settings(tmp_path, tick_s=0.1, send_buffer_bytes=8192)
    rt = build_runtime(settings, require_broker=False)
    feeder = Feeder(rt, period_s=0.1)
    feeder.start()
    codes: list[int | None] = []

    async def read_until_closed(ws: ClientConnection) -> None:
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as exc:
            codes.append(exc.rcvd.code if exc.rcvd else None)

    clients: list[ClientConnection] = []
    try:
        async with serving(rt) as url:
            clients.append(normal := await connect(url, compression=None))
            reader = asyncio.create_task(read_until_closed(normal))
            clients.append(await stalled_client(url))
            await asyncio.sleep(2.0)  # the stalled client's buffers fill up
            started = time.monotonic()
        assert time.monotonic() - started < 6, "shutdown waited for the stalled client"
        async with asyncio.timeout(5):
            await reader
        assert codes == [1012]  # "service restart": the browser reconnects
    finally:
        await feeder.stop()
        for c in clients:
            await c.close()


# --- the real thing -------------------------------------------------------------------------
async def test_emulated_line_over_mqtt_reaches_the_board_socket(
    mosquitto: Broker, tmp_path: Path
) -> None:
    rt = build_runtime(ws_settings(tmp_path, mqtt_url=mosquitto.url))
    emu_cfg = EmulatorConfig(
        broker_url=mosquitto.url,
        start=datetime(2026, 11, 23, 8, 0, tzinfo=HANOI),  # a Monday morning peak
        speed=10,
        publish_hz=2,
        modbus=False,
        fault_rate_per_h=0.0,
        reconnect_min_s=0.1,
        reconnect_max_s=0.5,
        client_id_prefix=f"emu-{free_port()}-",
    )
    async with serving(rt) as url, Emulator(emu_cfg) as emu:
        emu_task = asyncio.create_task(emu.run())
        try:
            deadline = time.monotonic() + 20
            while sum(1 for tv in rt.state.trains.values() if tv.ts_ms) < 13:
                assert time.monotonic() < deadline, "the emulated trains did not report"
                await asyncio.sleep(0.1)
            async with connect(url, compression=None) as ws:
                mirror = Mirror()
                first = await recv(ws)
                mirror.apply(first)
                assert first["type"] == "snapshot"
                assert sum(1 for t in first["board"]["trains"] if t["ts_ms"]) == 13
                start_pos = {t["train"]: t["pos_m"] for t in first["board"]["trains"]}
                last = time.monotonic()
                until = last + 3.0
                while time.monotonic() < until:
                    msg = await recv(ws, 1.5)
                    mirror.apply(msg)
                    assert msg["type"] == "delta" and time.monotonic() - last < 1.0
                    last = time.monotonic()
                moved = [t for t, p in start_pos.items() if mirror.trains[t]["pos_m"] != p]
                assert len(moved) >= 5, moved
        finally:
            emu_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await emu_task


# --- the sign-in ends while the socket is open -----------------------------------------------


async def closed_code(ws: ClientConnection, within_s: float) -> int | None:
    """Read frames until the server closes the socket; its close code (None: still open)."""
    try:
        async with asyncio.timeout(within_s):
            while True:
                await ws.recv()
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None
    except TimeoutError:
        return None


async def _board_open_for(tmp_path: Path, *, keeps: bool) -> int | None:
    """Open a cookie board socket, let 40 minutes pass in 10-minute steps with the board open
    (each step waits for the socket's sign-in re-check), and say how it ended (None: open)."""
    from tests.api.authkit import FakeClock, make_settings, sign_in
    from tests.api.authkit import serving as serving_app

    clock = FakeClock(now_ms())
    settings = make_settings(
        tmp_path, ws={"tick_s": 0.2, "auth_recheck_s": 0.3}, board_keeps_session=keeps
    )
    async with serving_app(settings, clock) as served:
        http = served.client()
        await served.add_user("dd09", UserRole.OPERATOR)
        await sign_in(http, "dd09")
        headers = {
            "Cookie": f"metro_session={http.cookies['metro_session']}",
            "Origin": served.base_url,
        }
        ws = await connect(
            served.base_url.replace("http://", "ws://") + "/ws/board", additional_headers=headers
        )
        try:
            assert (await recv(ws))["type"] == "snapshot"
            for _ in range(4):
                clock.advance(minutes=10)
                # a re-check runs every 0.3 s; 1.5 s of frames covers several
                code = await closed_code(ws, 1.5)
                if code is not None:
                    return code
            return None
        finally:
            await ws.close()
            await http.aclose()


async def test_an_open_board_keeps_a_control_room_display_signed_in(tmp_path: Path) -> None:
    """40 minutes with only the board open (idle timeout 30): still signed in and live."""
    assert await _board_open_for(tmp_path, keeps=True) is None


async def test_on_a_shared_terminal_an_open_board_is_not_activity(tmp_path: Path) -> None:
    """auth.board_keeps_session = false: the board closes once 30 idle minutes pass."""
    assert await _board_open_for(tmp_path, keeps=False) == 4401


async def test_open_sockets_close_soon_after_their_sign_in_ends(tmp_path: Path) -> None:
    from tests.api.authkit import FakeClock, make_settings, sign_in
    from tests.api.authkit import serving as serving_app

    clock = FakeClock(now_ms())
    settings = make_settings(tmp_path, ws={"tick_s": 0.2, "auth_recheck_s": 0.5})
    async with serving_app(settings, clock) as served:
        users = served.rt.security.users
        base = served.base_url.replace("http://", "ws://") + "/ws/board"

        async def cookie_socket(user: str) -> tuple[ClientConnection, httpx.AsyncClient]:
            http = served.client()
            await served.add_user(user, UserRole.OPERATOR)
            await sign_in(http, user)
            headers = {
                "Cookie": f"metro_session={http.cookies['metro_session']}",
                "Origin": served.base_url,  # same origin: the client's Host is this too
            }
            ws = await connect(base, additional_headers=headers)
            assert (await recv(ws))["type"] == "snapshot"
            return ws, http

        # signed out in the browser
        ws, http = await cookie_socket("dd01")
        await http.post("/api/auth/logout")
        assert await closed_code(ws, 5.0) == 4401
        await http.aclose()
        # the account disabled (users disable)
        ws, http = await cookie_socket("dd02")
        await users.set_disabled("dd02", True)
        assert await closed_code(ws, 5.0) == 4401
        await http.aclose()
        # no activity at all past the idle timeout (not even an open board: the clock jumps)
        ws, http = await cookie_socket("dd03")
        assert await closed_code(ws, 1.5) is None, "open while the session holds"
        clock.advance(minutes=31)
        assert await closed_code(ws, 5.0) == 4401
        await http.aclose()
        # a per-user API token, then a new password (which revokes it)
        await served.add_user("bot", UserRole.PLANNER)
        token = await users.issue_token("bot")
        ws = await connect(f"{base}?token={token}")
        settings_token = await connect(f"{base}?token={TOKENS_OPERATOR}")
        assert (await recv(ws))["type"] == "snapshot"
        await users.set_password("bot", "a brand new secret 42")
        assert await closed_code(ws, 5.0) == 4401
        assert await closed_code(settings_token, 1.0) is None, "other sockets stay"
        await settings_token.close()
