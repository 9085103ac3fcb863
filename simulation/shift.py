"""A shift signs on.

At the start of each duty window the rostered crews arrive: each takes the pre-shift rapid test
(``test_before_shift``) — a positive declares a case and traces its contacts, who may already
be at work — and anyone isolating or quarantined since the roster was made does not come.
Spare and relief drivers sign on first, so that they can cover a driver who did not; other
gaps are offered to staff off duty (a call-in, arriving later). A control-centre shift counts
who actually signed on from now; the rolling-stock night shift sets how many trains can be
inspected for tomorrow.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from crew import Discipline, DutyKind
from simulation.operation import Operation
from simulation.roster import DutyRun


def shift(env: simpy.Environment, ops: Operation, runs: list[DutyRun]) -> Generator[Any, Any, None]:
    """Sign on the duties of ``runs`` (all starting at the same time)."""
    start = runs[0].start_s
    if env.now < start:
        yield env.timeout(start - env.now)
    ops.open_occ_shift([r for r in runs if r.kind is DutyKind.OCC_POST])
    ops.sign_on(runs)
    for run in runs:
        if (
            run.kind is DutyKind.TECHNICIAN
            and run.discipline is Discipline.ROLLING_STOCK
            and run.window.id == ops.night_inspection_shift
        ):
            ops.set_inspection(run)
