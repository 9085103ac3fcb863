"""Errors of the crew store.

::

    StoreError                   anything the store refuses
    ├── NotFound                 no such staff member, group, cohort (→ HTTP 404)
    ├── VersionConflict          someone else changed it since you read it (→ 409, reload)
    ├── Unreadable               a stored record whose values cannot be read back (→ 409:
    │                            delete it or replace it)
    ├── IdConflict               an id already used: a create of an existing record, or a
    │                            client id reused for a different event (→ 409)
    └── InvalidChange            the change breaks a rule of the roster (→ 422); ``field``
                                 names what is wrong

Each says why as a catalogue message (:class:`line.catalogue.Refusal`): the API renders it in
the asker's language; ``str()`` is the English text.
"""

from __future__ import annotations

from line.catalogue import Message, Refusal

#: What the store keeps, as its errors name it (``crew.entity.<name>`` in the catalogue).
ENTITIES = ("staff", "group", "cohort", "work", "test_result", "status_event", "roster")
#: Why an id is refused (``crew.refused.id_<why>``).
ID_CONFLICTS = ("exists", "other_content", "in_use")


def _entity(entity: str) -> Message:
    return Message(f"crew.entity.{entity}")


class StoreError(Refusal):
    """Base of every error the crew store raises on purpose."""


class NotFound(StoreError):
    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(
            Message("crew.refused.not_found", {"entity": _entity(entity), "id": entity_id})
        )
        self.entity = entity
        self.entity_id = entity_id


class VersionConflict(StoreError):
    """The record is at ``current`` but the caller edited version ``expected``."""

    def __init__(self, entity: str, entity_id: str, expected: int, current: int) -> None:
        super().__init__(
            Message(
                "crew.refused.version",
                {
                    "entity": _entity(entity),
                    "id": entity_id,
                    "expected": expected,
                    "current": current,
                },
            )
        )
        self.entity = entity
        self.entity_id = entity_id
        self.expected = expected
        self.current = current


class IdConflict(StoreError):
    """``why``: ``exists`` (a create of an existing id), ``other_content`` (an event id reused
    for a different fact) or ``in_use`` (a group id a cohort or group already has)."""

    def __init__(self, entity: str, entity_id: str, why: str) -> None:
        super().__init__(
            Message(f"crew.refused.id_{why}", {"entity": _entity(entity), "id": entity_id})
        )
        self.entity = entity
        self.entity_id = entity_id


class Unreadable(StoreError):
    """A stored record that cannot be decoded (a value outside what the store now accepts);
    ``why`` says which value. Deleting it or replacing it (PUT) works."""

    def __init__(self, entity: str, entity_id: str, why: str) -> None:
        super().__init__(
            Message(
                "crew.refused.unreadable", {"entity": _entity(entity), "id": entity_id, "why": why}
            )
        )
        self.entity = entity
        self.entity_id = entity_id
        self.why = why


class InvalidChange(StoreError):
    """A change the roster's rules forbid; ``field`` is the offending field, if one is."""

    def __init__(self, message: Message, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
