"""Fingerprint of the what-if results, to check that a speed-up changed nothing.

Hashes the ``run_whatif`` JSON of five presets (3 replications x 30 days, seed 11, in this
process) and prints one hash per preset and one for all. Run it before and after a change to
the simulation: the hashes must not move.

Usage: uv run python bench/simulation_hash.py [--days 30] [--replications 3] [--seed 11]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from line import load_line  # noqa: E402
from simulation import InProcessExecutor, run_whatif, scenario_preset  # noqa: E402

PRESETS = ("baseline", "wave-2022", "backtest-2022", "doubling-4d", "cohort-outbreak")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    line = load_line()
    everything = hashlib.sha256()
    for name in PRESETS:
        result = run_whatif(
            scenario_preset(name),
            days=args.days,
            replications=args.replications,
            seed=args.seed,
            executor=InProcessExecutor(),
            line=line,
        )
        text = result.to_json().encode()
        everything.update(text)
        print(f"{name}: {hashlib.sha256(text).hexdigest()[:16]}")
    print(f"all: {everything.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
