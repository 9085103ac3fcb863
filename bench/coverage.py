"""Coverage benchmark: 14-day crew coverage for Line 2A and for a 10-line network.

Prints, for today and the next 14 days (15 service days, 2026 weekday/weekend timetable):
  * Line 2A with the synthetic roster (160 staff);
  * a 10-line network: ten copies of Line 2A with their own rosters (1,600 staff);
  * both again under stress: 60 % of drivers and 30 % of control-centre staff F0 on day one,
    so the solver has shortfalls to trade off and capacity degrades.
Targets: Line 2A under 1 s, 10 lines under 30 s. The one-off import of OR-Tools (it loads
pandas) is printed separately.

Usage: uv run python bench/coverage.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crew import (  # noqa: E402
    CrewOutlook,
    CrewPolicy,
    Role,
    Roster,
    State,
    StatusEvent,
    StatusHistory,
    crew_outlook,
    merge_rosters,
    synthetic_roster,
)
from line import Line, Timetable, load_line  # noqa: E402

START = date(2026, 3, 2)  # a Monday


def network(n: int) -> tuple[list[tuple[Line, Timetable]], Roster]:
    base = load_line()
    services = []
    rosters = []
    for i in range(n):
        lid = "2a" if n == 1 else f"L{i + 1:02d}"
        ln = base if n == 1 else base.model_copy(update={"id": lid})
        services.append((ln, ln.timetable("2026")))
        prefix = "" if n == 1 else f"{lid}-"
        rosters.append(synthetic_roster(i + 1, line_id=lid, id_prefix=prefix))
    return services, merge_rosters(*rosters)


def stress(roster: Roster, policy: CrewPolicy, as_of: datetime) -> StatusHistory:
    rng = random.Random(7)
    events = []
    for s in roster.staff:
        share = {Role.DRIVER: 0.6, Role.OCC_OPERATOR: 0.3}.get(s.role, 0.0)
        if rng.random() < share:
            events.append(
                StatusEvent(
                    event_id=f"bench-{s.id}",
                    staff_id=s.id,
                    state=State.F0_ISOLATION,
                    effective=as_of,
                    until=as_of + timedelta(days=policy.f0_isolation_days),
                    recorded_at=as_of,
                )
            )
    return policy.history(events)


def run(label: str, n: int, stressed: bool, repeat: int, policy: CrewPolicy) -> float:
    services, roster = network(n)
    as_of = datetime.combine(START, datetime.min.time(), tzinfo=policy.tz)
    history = stress(roster, policy, as_of) if stressed else policy.history()
    best = float("inf")
    out: CrewOutlook | None = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = crew_outlook(services, roster, history, [], start=START, as_of=as_of, policy=policy)
        best = min(best, time.perf_counter() - t0)
    assert out is not None
    shortfall = sum(s.missing for d in out.plan.days for s in d.shortfalls)
    degraded = sum(len(d.degraded) for d in out.days)
    print(
        f"  {label:<34} {len(roster.staff):>5} staff  {best:6.2f} s  "
        f"assignments {len(out.plan.assignments):>6}  missing {shortfall:>5}  "
        f"degraded periods {degraded:>4}  first unstaffable {out.first_unstaffable or '-'}  "
        f"first degraded {out.first_degraded or '-'}"
    )
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the best is printed")
    args = ap.parse_args()
    t0 = time.perf_counter()
    from ortools.sat.python import cp_model  # noqa: F401

    print(f"OR-Tools import: {time.perf_counter() - t0:.2f} s (once per process)")
    policy = CrewPolicy()
    print("14-day coverage (today + 14 days), best of", args.repeat)
    a = run("Line 2A", 1, False, args.repeat, policy)
    b = run("10-line network (10× staff)", 10, False, 1, policy)
    run("Line 2A, F0 wave on day one", 1, True, args.repeat, policy)
    run("10 lines, F0 wave on day one", 10, True, 1, policy)
    print(f"targets: Line 2A < 1 s: {'met' if a < 1 else 'MISSED'}; ", end="")
    print(f"10 lines < 30 s: {'met' if b < 30 else 'MISSED'}")


if __name__ == "__main__":
    main()
