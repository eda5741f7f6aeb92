"""How long ``kindcheck --help`` and ``--version`` take, against a bare argparse program in the
same run.

    .venv/bin/python benchmarks/bench_cli.py [--rounds 15]

Each round starts fresh processes, interleaved: the baseline (Python, argparse and a parser
with one option, printing its help), then ``python -m kindcheck --help`` (Dutch, from the
message catalog, with argparse's own words translated), ``--lang en --help`` and
``--version``. The numbers are medians of wall-clock time from process start to exit; the
ratio to the baseline is what to watch (on a busy machine, the ratio of the fastest runs).
``--help`` reads the catalog and the settings file, and must import neither Textual nor
SQLModel: tests/cli checks that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BASELINE = (
    "import argparse; parser = argparse.ArgumentParser(prog='bare'); "
    "parser.add_argument('--lang'); parser.parse_args(['--help'])"
)


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - started


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=15)
    rounds = options.parse_args().rounds
    with tempfile.TemporaryDirectory() as config:
        # No user settings file: the run measures reading an absent one, as on a fresh laptop.
        env = {**os.environ, "KINDCHECK_CONFIG_DIR": config}
        cases = {
            "baseline (argparse --help)": [sys.executable, "-c", BASELINE],
            "kindcheck --help": [sys.executable, "-m", "kindcheck", "--help"],
            "kindcheck --lang en --help": [
                sys.executable,
                "-m",
                "kindcheck",
                "--lang",
                "en",
                "--help",
            ],
            "kindcheck --version": [sys.executable, "-m", "kindcheck", "--version"],
        }
        for argv in cases.values():  # warm the file cache once
            timed(argv, env)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _round in range(rounds):
            for name, argv in cases.items():
                samples[name].append(timed(argv, env))
    baseline = statistics.median(samples["baseline (argparse --help)"])
    fastest = min(samples["baseline (argparse --help)"])  # least disturbed by other load
    for name, values in samples.items():
        median = statistics.median(values)
        spread = f"{min(values) * 1000:.0f}-{max(values) * 1000:.0f} ms"
        ratios = f"ratio {median / baseline:.2f} (fastest runs: {min(values) / fastest:.2f})"
        print(f"{name:30} {median * 1000:6.0f} ms  ({spread})  {ratios}")


if __name__ == "__main__":
    main()
