"""Unlock a vault of N sessions and load every session (``Store.unlock`` +
``iter_sessions``), against reading the same JSON from a plain SQLite table, in the same run.

    python benchmarks/bench_vault.py [--sessions 10000] [--rounds 5] [--cache DIR]

Times, interleaved (medians of ``--rounds``), each in its own process (see realpath.py):

- vault: import the store, ``Store.unlock``, ``list(store.iter_sessions())``, close (lock
  file, header and schema checks, key slots, Argon2id, every session decrypted, parsed and
  turned into dataclasses). The child measures its own key derivation;
- plain: sqlite3 ``SELECT`` of the very same header and body JSON, unencrypted, and
  ``json.loads`` of both for every row (``plain.db``, written when the vault was built).

Both children end with ``os._exit`` once the sessions are loaded: the interpreter freeing
10,000 loaded sessions at exit (about a second, the same work for both, and varying a lot from
run to run) is not what is measured.

Target (issue 17): (vault - key derivation) / plain at most 1.2 at 10,000 sessions, steady
from round to round (the spread is printed).
"""

from __future__ import annotations

import argparse
import statistics
import sys

import realpath
from realpath import PASSPHRASE, PLAIN_JSON, Variant, python

TARGET = 1.2

LOAD = """
import os, sys, time
import kindcheck.vault as vault
spent = spent_cpu = 0.0
derive = vault._passphrase_wrapping_key
def timed(*args, **kwargs):
    global spent, spent_cpu
    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        return derive(*args, **kwargs)
    finally:
        spent += time.perf_counter() - started
        spent_cpu += time.process_time() - started_cpu
vault._passphrase_wrapping_key = timed
from kindcheck.store import Store
with Store.unlock(sys.argv[1], sys.argv[2]) as store:
    loaded = list(store.iter_sessions())
print(len(loaded), spent, spent_cpu, flush=True)
os._exit(0)  # see the docstring: the interpreter's freeing of what was loaded is left out
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    realpath.common_arguments(parser)
    args = parser.parse_args(argv)
    with realpath.cached_vault(args.cache, args.sessions, args.seed) as vault:
        realpath.upgrade_once(vault)
        load = Variant("unlock + iter_sessions", python(LOAD, str(vault.data_dir), PASSPHRASE))
        plain = Variant("plain + json.loads", python(PLAIN_JSON, str(vault.plain)))
        realpath.measure([load, plain], vault, args.rounds, args.warm_up)
        realpath.report([load, plain])
        counts = {run.stdout.split()[0] for run in load.runs} | {
            run.stdout.split()[0] for run in plain.runs
        }
        if len(counts) != 1:
            raise SystemExit(f"the vault and the plain table hold different sessions: {counts}")
        # Per round, the pair's ratio by the chosen clock (--clock cpu: each child's CPU time
        # and the derivation's CPU time, which the load on a shared machine hardly changes;
        # the wall time of a child grows with whatever else runs then).
        cpu = realpath.CLOCK["cpu"]
        field = 2 if cpu else 1
        ratios = []
        for vault_run, plain_run in zip(load.runs, plain.runs, strict=True):
            derivation = float(vault_run.stdout.split()[field])
            if cpu:
                ratios.append((vault_run.cpu - derivation) / plain_run.cpu)
            else:
                ratios.append((vault_run.seconds - derivation) / plain_run.seconds)
        derivation = statistics.median(float(run.stdout.split()[field]) for run in load.runs)
        print(
            f"key derivation inside unlock: {derivation:.3f} s {'CPU' if cpu else 'wall'} "
            f"(median); ratio per round: "
            + " ".join(f"{ratio:.2f}" for ratio in ratios)
            + f" (spread {max(ratios) - min(ratios):.2f})"
        )
        ok = realpath.verdict(
            f"(unlock + iter_sessions - key derivation) / plain ({args.sessions:,} sessions)",
            statistics.median(ratios),
            TARGET,
            loose=args.loose,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(realpath.main_guard(main))
