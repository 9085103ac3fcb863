"""Incidents: a titled time window of the line, with one timeline of everything that happened
in it (alarms, what people did, crew changes, trips lost, shift log entries), notes, and
exports as CSV and PDF.

The package stores incidents and merges timelines; it does not know where events come from:
each source is a :class:`incidents.timeline.TimelineSource` built by the composition root
(``services/incident_sources.py``), so this package stays beside the shift log and the
accounts, importing neither.
"""

from incidents.model import (
    Incident,
    InvalidWindow,
    Note,
    Source,
    Status,
    TimelineEvent,
    check_window,
)
from incidents.store import AlreadyClosed, IncidentNotFound, IncidentStore, InvalidIncident
from incidents.timeline import Timeline, TimelineBuilder, TimelineSource

__all__ = [
    "AlreadyClosed",
    "Incident",
    "IncidentNotFound",
    "IncidentStore",
    "InvalidIncident",
    "InvalidWindow",
    "Note",
    "Source",
    "Status",
    "Timeline",
    "TimelineBuilder",
    "TimelineEvent",
    "TimelineSource",
    "check_window",
]
