"""Errors of the crew store.

::

    StoreError                   anything the store refuses
    ├── NotFound                 no such staff member, group, cohort (→ HTTP 404)
    ├── VersionConflict          someone else changed it since you read it (→ 409, reload)
    ├── IdConflict               an id already used: a create of an existing record, or a
    │                            client id reused for a different event (→ 409)
    └── InvalidChange            the change breaks a rule of the roster (→ 422); ``field``
                                 names what is wrong
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the crew store raises on purpose."""


class NotFound(StoreError):
    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"no {entity.replace('_', ' ')} {entity_id!r}")
        self.entity = entity
        self.entity_id = entity_id


class VersionConflict(StoreError):
    """The record is at ``current`` but the caller edited version ``expected``."""

    def __init__(self, entity: str, entity_id: str, expected: int, current: int) -> None:
        super().__init__(
            f"someone else changed {entity.replace('_', ' ')} {entity_id} "
            f"(you edited version {expected}, it is now version {current}) — reload"
        )
        self.entity = entity
        self.entity_id = entity_id
        self.expected = expected
        self.current = current


class IdConflict(StoreError):
    def __init__(self, entity: str, entity_id: str, why: str) -> None:
        super().__init__(f"{entity.replace('_', ' ')} {entity_id!r}: {why}")
        self.entity = entity
        self.entity_id = entity_id


class InvalidChange(StoreError):
    """A change the roster's rules forbid; ``field`` is the offending field, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
