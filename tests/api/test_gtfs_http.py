"""Passenger feeds end to end over real parts: telemetry over a real mosquitto → ingest →
pipeline → live state; the crew record in a real SQLite database → crew-constrained capacity →
cancelled trips; everything served over HTTP and decoded as a journey planner would.

Proves: the feeds are public (no sign-in) with the right content types; vehicle positions are
the trains the live state holds, at its positions; with five drivers for a Monday the runtime's
cancellation provider cancels trips, the trip-updates feed lists them as CANCELED under ids of
the static zip, and the alerts feed explains it in Vietnamese and English; the static zip
answers 304 to its own ETag.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import zipfile
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

import pytest
from google.transit import gtfs_realtime_pb2 as rt_pb

from crew import Role, Roster, TestKind, TestOutcome, TestResult, synthetic_roster
from crew.store import CrewStore
from feeds import CrewCancellations, position_at
from services.runtime import build_runtime
from services.settings import Settings
from tests.api.test_serve import Publisher, serving, telemetry, until
from tests.fixtures.mosquitto import Broker

MONDAY = date(2026, 11, 23)
START_MS = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)  # 08:00 local


class FieldClock:
    """Monday 08:00 local, running at real speed: the service day is fixed whatever the hour."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def __call__(self) -> int:
        return START_MS + int((time.monotonic() - self._t0) * 1000)


@pytest.fixture
def settings(mosquitto: Broker, tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "mqtt": {"url": mosquitto.url, "client_id": "gtfs-test", "reconnect_min_s": 0.1},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
            "state": {"timetable": "2026"},
        }
    )


async def seed_five_drivers(settings: Settings) -> None:
    """A roster of five drivers, all tested negative on Monday morning: too few for the day."""
    store = CrewStore(settings.db.url, policy=settings.crew.crew_policy())
    async with store:
        full = synthetic_roster(1, line_id="2a", reference=MONDAY)
        drivers = [s for s in full.staff if s.role is Role.DRIVER and not s.substitute][:5]
        await store.replace_roster(Roster(staff=tuple(drivers)), actor="test", context="test")
        taken = datetime.combine(MONDAY, dtime(4, 30), store.policy.tz)
        for d in drivers:
            test = TestResult(
                test_id=f"t-{d.id}",
                staff_id=d.id,
                kind=TestKind.RAPID,
                outcome=TestOutcome.NEGATIVE,
                taken_at=taken,
                recorded_at=taken,
            )
            await store.record_test(test, actor="test")


def decode(body: bytes) -> rt_pb.FeedMessage:
    msg = rt_pb.FeedMessage()
    msg.ParseFromString(body)
    return msg


async def test_passenger_feeds_over_http(settings: Settings, mosquitto: Broker) -> None:
    await seed_five_drivers(settings)
    clock = FieldClock()
    rt = build_runtime(settings, clock=clock)
    assert isinstance(rt.cancellations, CrewCancellations)
    pub = Publisher(mosquitto.port)
    try:
        async with serving(rt) as http:
            await until(lambda: asyncio.sleep(0, rt.ingest is not None and rt.ingest.connected))
            sent = {"T01": (500.0, 1), "T02": (8700.0, 1), "T03": (6000.0, 2)}
            for train, (pos, track) in sent.items():
                body = telemetry(train, 1, pos, track=track, ts=clock(), driver=None)
                pub.send(f"metro/2a/train/{train}/telemetry", body)

            async def positions() -> rt_pb.FeedMessage | None:
                r = await http.get("/gtfs-rt/vehicle-positions")  # no credentials: public
                assert r.status_code == 200, r.text
                assert r.headers["content-type"] == "application/x-protobuf"
                assert r.headers["x-content-type-options"] == "nosniff"  # security headers
                assert "default-src 'self'" in r.headers["content-security-policy"]
                feed = decode(r.content)
                return feed if len(feed.entity) == len(sent) else None

            # the crew can man only part of the timetable: the runtime cancels trips
            async def cancelled() -> set[str]:
                r = await http.get("/gtfs-rt/trip-updates")
                assert r.status_code == 200
                return {
                    e.trip_update.trip.trip_id
                    for e in decode(r.content).entity
                    if e.trip_update.trip.schedule_relationship == rt_pb.TripDescriptor.CANCELED
                }

            gone = await until(cancelled, timeout_s=30)
            provider = rt.cancellations.cancelled_trips(MONDAY)
            assert gone <= provider and len(gone) > 20
            zr = await http.get("/gtfs/static.zip")
            assert zr.status_code == 200 and zr.headers["content-type"] == "application/zip"
            with zipfile.ZipFile(io.BytesIO(zr.content)) as zf:
                text = zf.read("trips.txt").decode("utf-8")
            static_ids = {row["trip_id"] for row in csv.DictReader(io.StringIO(text))}
            assert gone <= static_ids  # GTFS-RT speaks the static feed's trip ids
            again = await http.get(
                "/gtfs/static.zip", headers={"If-None-Match": zr.headers["etag"]}
            )
            assert again.status_code == 304

            # positions are judged once the cancellations are in force: a train is matched to
            # a running trip of today, and two trains nearest one trip (the timetable thinned
            # by cancellations) leave the farther one without a trip rather than doubling it
            feed = await until(positions)
            matched = 0
            for e in feed.entity:
                vp = e.vehicle
                tv = rt.state.trains[vp.vehicle.id]
                assert tv.pos_m == sent[vp.vehicle.id][0]
                lat, lon = position_at(rt.line, tv.pos_m)
                assert (vp.position.latitude, vp.position.longitude) == pytest.approx(
                    (lat, lon), abs=1e-5
                )
                assert vp.stop_id == (tv.station or tv.next_station)
                if vp.trip.trip_id:
                    matched += 1
                    assert vp.trip.start_date == "20261123"
                    assert vp.trip.trip_id in static_ids and vp.trip.trip_id not in gone
            trip_ids = [e.vehicle.trip.trip_id for e in feed.entity if e.vehicle.trip.trip_id]
            assert matched >= 2 and len(set(trip_ids)) == len(trip_ids)

            r = await http.get("/gtfs-rt/alerts", params={"format": "json"})
            assert r.status_code == 200 and r.headers["content-type"] == "application/json"
            (alert,) = [e["alert"] for e in r.json()["entity"]]
            assert alert["effect"] == "REDUCED_SERVICE"
            langs = {t["language"]: t["text"] for t in alert["header_text"]["translation"]}
            assert langs["vi"].startswith("Giảm tần suất") and langs["en"].startswith("Reduced")
            assert (await http.get("/gtfs-rt/alerts", params={"format": "xml"})).status_code == 422
    finally:
        pub.close()
