"""The real-path benchmarks run, at a scaled-down size, and their ratios hold loosely.

Not a timed unit test: each benchmark times the real commands against its baselines in the
same run (benchmarks/realpath.py), and its own verdict is what is checked, with each target
loosened three times (``--loose 3``) and judged by the CPU time of each process
(``--clock cpu``; the import benchmark uses CPU time anyway): a CI machine is shared and
noisy, and this is to notice a benchmark that breaks or a ratio that is far off, not to
measure. The full runs (10,000 and
100,000 sessions) are documented commands (README, "Benchmarks").

One test runs them all, in order, on one vault of 2,000 sessions built once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 2000
BENCHMARKS = (
    "bench_export.py",
    "bench_verify.py",
    "bench_due.py",
    "bench_vault.py",
    "bench_import.py",
)


@pytest.mark.bench_smoke
@pytest.mark.skipif(not hasattr(os, "wait4"), reason="the benchmarks need os.wait4 (POSIX)")
def test_the_real_path_benchmarks_run_and_hold_loosely(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    common = [
        *("--sessions", str(SESSIONS), "--rounds", "1", "--loose", "3", "--clock", "cpu"),
        *("--cache", str(cache)),
    ]
    failures = []
    for name in BENCHMARKS:
        result = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / name), *common],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
        verdicts = [line for line in result.stdout.splitlines() if "target" in line]
        if result.returncode != 0 or not verdicts or any("MISSED" in v for v in verdicts):
            failures.append(f"{name} (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    assert not failures, "\n\n".join(failures)


# The app's benchmark: the rows it must print, and the targets that must hold loosely. The
# client page (< 100 ms) and the answer key (< 16 ms) are measured and printed but not
# required here: issue 17 records them as not met yet on a shared 2-core machine.
APP_ROWS = ("home", "home stall", "back home", "client page (50 sessions)", "answer key")
# "back home" reads nothing when nothing changed, whatever the machine's load. The longest
# stall is wall-clock time of the UI thread, which two test workers on two cores share with
# the app: it is printed (the full run's figure is in README), not asserted here.
APP_HOLDING = ("back home",)


@pytest.mark.bench_smoke
@pytest.mark.skipif(not hasattr(os, "wait4"), reason="the benchmarks need os.wait4 (POSIX)")
def test_the_app_benchmark_runs_in_pilot_against_a_bare_app(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_app.py"),
            *("--clients", "300", "--rounds", "1", "--loose", "3", "--cache", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output  # 1: a target missed, not a crash
    lines = result.stdout.splitlines()
    for row in APP_ROWS:
        assert any(line.startswith(row) and "ms" in line for line in lines), output
    for row in APP_HOLDING:
        verdict = next(line for line in lines if line.startswith(f"{row}:"))
        assert verdict.endswith("holds"), output
