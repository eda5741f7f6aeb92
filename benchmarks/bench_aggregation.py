"""Micro-benchmark of the counting step alone: aggregate + suppress + to_csv over synthetic
SessionFacts already in memory (100,000 by default).

This is NOT the export. It reads no vault, decrypts nothing and starts no process: it times
only the pure counting, suppression and CSV code of kindcheck.export, which is a small part of
what `kindcheck export` does. The real command is timed by benchmarks/bench_export.py.

Target: under 5 s and under 500 MB on the 2-core machine. Also prints a baseline measured in
the same run (one pass reading every field of every record), so the figure can be compared
across machines as a ratio.

    .venv/bin/python benchmarks/bench_aggregation.py [--sessions N] [--period month|quarter]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from kindcheck.export import (
    SCAN_DOMAINS,
    PlanFacts,
    SessionFacts,
    aggregate,
    suppress,
    to_csv,
)

TARGET_SECONDS = 5.0
TARGET_MB = 500.0


def synthetic(count: int, seed: int = 2026) -> tuple[list[SessionFacts], list[PlanFacts]]:
    """Sessions over three years with roughly the proportions docs/CLINICAL.md describes
    (about 1 in 10 parents with problems in 3 or more domains)."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    sessions: list[SessionFacts] = []
    for _ in range(count):
        held_on = start + timedelta(days=rng.randrange(3 * 365))
        signal = rng.random() < 0.05
        steps = rng.randint(1, 5) if signal else 0
        if rng.random() < 0.4:
            timing = "on_time" if rng.random() < 0.8 else "late"
            sessions.append(
                SessionFacts(
                    "followup",
                    held_on,
                    safety_signal=signal,
                    meldcode_steps_taken=steps,
                    followup_timing=timing,
                )
            )
            continue
        scanned = rng.random() < 0.7
        domains = (
            tuple(rng.sample(SCAN_DOMAINS, rng.choice((0, 0, 1, 1, 2, 3, 4)))) if scanned else ()
        )
        sessions.append(
            SessionFacts(
                "intake",
                held_on,
                kindcheck_completed=rng.random() < 0.85,
                has_minor_children=rng.random() < 0.4,
                children_in_view=rng.choice((0, 1, 2, 3)),
                problem_domain_count=len(domains) if scanned else None,
                problem_domains=domains,
                parenting_support_flag=len(domains) >= 3,
                safety_signal=signal,
                meldcode_steps_taken=steps,
            )
        )
    plans = [
        PlanFacts(rng.random() < 0.1, start + timedelta(days=rng.randrange(3 * 365)))
        for _ in range(count // 5)
    ]
    return sessions, plans


def export(sessions: list[SessionFacts], plans: list[PlanFacts], period: str) -> str:
    return to_csv(suppress(aggregate(sessions, plans, period)))  # type: ignore[arg-type]


def baseline(sessions: list[SessionFacts], plans: list[PlanFacts], period: str) -> int:
    """Read every field of every record once: the floor any export has to pay."""
    total = 0
    for s in sessions:
        total += (
            len(s.kind)
            + s.held_on.month
            + s.kindcheck_completed
            + s.has_minor_children
            + s.children_in_view
            + (s.problem_domain_count or 0)
            + len(s.problem_domains)
            + s.parenting_support_flag
            + s.safety_signal
            + s.meldcode_steps_taken
            + (s.followup_timing is None)
        )
    return total + sum(p.overdue for p in plans)


def best_of(runs: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--period", choices=("month", "quarter"), default="month")
    args = parser.parse_args()

    sessions, plans = synthetic(args.sessions)
    base = best_of(3, lambda: baseline(sessions, plans, args.period))
    seconds = best_of(3, lambda: export(sessions, plans, args.period))

    tracemalloc.start()
    text = export(sessions, plans, args.period)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 2**20
    # ru_maxrss is in KiB on Linux: the whole process, the synthetic input included.
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"sessions {len(sessions):,}, plans {len(plans):,}, period {args.period}, "
        f"csv {len(text):,} bytes"
    )
    print(
        f"aggregate+suppress+to_csv (not the export): {seconds:.3f} s (best of 3), "
        f"baseline read pass {base:.3f} s, ratio {seconds / base:.1f}x"
    )
    print(f"aggregation peak traced memory {peak_mb:.1f} MB; process max RSS {rss_mb:.1f} MB")
    ok = seconds < TARGET_SECONDS and rss_mb < TARGET_MB
    print(f"targets: < {TARGET_SECONDS} s and < {TARGET_MB} MB: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
