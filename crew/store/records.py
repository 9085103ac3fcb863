"""What the crew store hands back: records with their version, writes with their outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from crew.hours import WorkRecord
from crew.model import Roster
from crew.status import StatusHistory

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Versioned(Generic[T]):
    """A record and its version; an update must name the version it was made from."""

    item: T
    version: int


@dataclass(frozen=True, slots=True)
class Recorded(Generic[T]):
    """An appended fact; ``created`` is false when the same fact was already recorded under
    its client id (a retried request), in which case ``item`` is the stored one."""

    item: T
    created: bool


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One change: ``action`` is create, update, delete or append; ``before``/``after`` are the
    record as JSON (``None`` when it did not exist); ``at_ms`` is UTC milliseconds."""

    id: int
    at_ms: int
    actor: str
    action: str
    entity: str
    entity_id: str
    version: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    context: str


@dataclass(frozen=True, slots=True)
class CrewSnapshot:
    """The whole crew record at one ``revision``, read in one transaction; ``work`` holds the
    shifts worked from the ``work_since`` given to :meth:`CrewStore.snapshot`."""

    revision: int
    roster: Roster
    history: StatusHistory
    work: tuple[WorkRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class RosterChange:
    """What replacing the roster changed, as ``"staff:D001"``-style keys."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    deleted: tuple[str, ...]
    unchanged: int
    revision: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)
