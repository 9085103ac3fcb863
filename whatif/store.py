"""Simulation runs in the database: what was asked, by whom, how it went, and the result.

One table, ``simulation_runs``, in the same database as the crew record (``Settings.db.url``).
It is migrated by its own Alembic stream (``whatif/migrations``) when the store opens.
Results are stored as the result's JSON text, so a finished
run survives restarts and reads back exactly as it was computed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)

from storage.engine import writer
from storage.table_store import TableStore
from whatif.migrations import STREAM

metadata = MetaData()

runs = Table(
    "simulation_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("scenario", String(64), nullable=False),
    Column("spec", JSON, nullable=False),  # the scenario as validated, and the request
    Column("days", Integer, nullable=False),
    Column("replications", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("started_ms", BigInteger, nullable=True),
    Column("finished_ms", BigInteger, nullable=True),
    Column("done", Integer, nullable=False, default=0),  # replications finished
    Column("error", Text, nullable=False, default=""),
    Column("result", Text, nullable=True),  # WhatIfResult JSON once done
    Index("ix_simulation_runs_created", "created_ms"),
)


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One row, without the result text."""

    id: str
    scenario: str
    spec: dict[str, Any]
    days: int
    replications: int
    seed: int
    status: RunStatus
    submitted_by: str
    created_ms: int
    started_ms: int | None
    finished_ms: int | None
    done: int
    error: str


_COLUMNS = [c for c in runs.c if c.name != "result"]


def _record(row: Any) -> RunRecord:
    m = row._mapping
    return RunRecord(
        id=m["id"],
        scenario=m["scenario"],
        spec=m["spec"],
        days=m["days"],
        replications=m["replications"],
        seed=m["seed"],
        status=RunStatus(m["status"]),
        submitted_by=m["submitted_by"],
        created_ms=m["created_ms"],
        started_ms=m["started_ms"],
        finished_ms=m["finished_ms"],
        done=m["done"],
        error=m["error"],
    )


class RunStore(TableStore):
    """Async access to ``simulation_runs``: ``async with RunStore(url) as store``."""

    stream = STREAM
    name = "run"

    async def add(self, rec: RunRecord) -> None:
        async with writer(self.engine).begin() as conn:
            await conn.execute(
                runs.insert().values(
                    id=rec.id,
                    scenario=rec.scenario,
                    spec=rec.spec,
                    days=rec.days,
                    replications=rec.replications,
                    seed=rec.seed,
                    status=rec.status.value,
                    submitted_by=rec.submitted_by,
                    created_ms=rec.created_ms,
                    started_ms=rec.started_ms,
                    finished_ms=rec.finished_ms,
                    done=rec.done,
                    error=rec.error,
                )
            )

    async def set(self, run_id: str, **values: Any) -> None:
        """Update columns of one run (``status`` may be a :class:`RunStatus`)."""
        if isinstance(values.get("status"), RunStatus):
            values["status"] = values["status"].value
        async with writer(self.engine).begin() as conn:
            await conn.execute(update(runs).where(runs.c.id == run_id).values(**values))

    async def get(self, run_id: str) -> RunRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(runs.c.id == run_id))).first()
        return None if row is None else _record(row)

    async def result(self, run_id: str) -> str | None:
        """The result JSON of a finished run (``None`` while it has none)."""
        async with self.engine.connect() as conn:
            return (
                await conn.execute(select(runs.c.result).where(runs.c.id == run_id))
            ).scalar_one_or_none()

    async def list(self, limit: int = 100) -> list[RunRecord]:
        """The latest runs first."""
        q = select(*_COLUMNS).order_by(runs.c.created_ms.desc(), runs.c.id).limit(limit)
        async with self.engine.connect() as conn:
            return [_record(r) for r in (await conn.execute(q)).all()]

    async def interrupted(self, now_ms: int) -> int:
        """Mark runs left queued or running by a previous process as failed; how many."""
        q = (
            update(runs)
            .where(runs.c.status.in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value]))
            .values(
                status=RunStatus.FAILED.value,
                finished_ms=now_ms,
                error="interrupted: the server stopped before the run finished; submit it again",
            )
        )
        async with writer(self.engine).begin() as conn:
            return int((await conn.execute(q)).rowcount or 0)
