"""What starting a vault command costs before any record is read: the imports, against the
key derivation, in the same run.

    python benchmarks/bench_import.py [--rounds 5] [--cache DIR]

Times, interleaved (medians of ``--rounds``), each in its own process (see realpath.py), as
CPU seconds the child spends on the step (its own clock, so the Python start is left out):

- import store: ``import kindcheck.store``;
- list path: the imports ``kindcheck list`` makes from start to the listed clients (the
  command run in-process), and which heavy modules they include;
- key derivation: one Argon2id derivation of the vault's passphrase slot.

Target (issue 17): the import cost off the start-up path: ``kindcheck list`` (unlock and
list) imports neither SQLAlchemy, SQLModel nor pydantic, and ``import kindcheck.store`` costs
less CPU than the key derivation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import realpath
from realpath import PASSPHRASE, Variant, python

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic")

IMPORT_STORE = """
import json, time
started = time.process_time()
import kindcheck.store
print(json.dumps({"cpu": time.process_time() - started}))
"""

LIST_PATH = """
import contextlib, io, json, sys, time
started = time.process_time()
from kindcheck.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["--data-dir", sys.argv[1], "--lang", "en", "list"])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2].split(",")))
print(json.dumps({"cpu": time.process_time() - started, "code": code, "heavy": heavy}))
"""

DERIVE = """
import json, sqlite3, sys, time
from kindcheck.vault import KeySlot, open_slot
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = conn.execute("SELECT kind, slot FROM key_slot")
slot = next(KeySlot.from_json(text) for (kind, text) in rows if kind == "passphrase")
started = time.process_time()
open_slot(slot, sys.argv[2])
print(json.dumps({"cpu": time.process_time() - started}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    realpath.common_arguments(parser, default_sessions=1000)
    args = parser.parse_args(argv)
    with realpath.cached_vault(args.cache, args.sessions, args.seed) as vault:
        realpath.upgrade_once(vault)
        db = str(vault.data_dir / "kindcheck.db")
        variants = [
            Variant("import kindcheck.store", python(IMPORT_STORE)),
            Variant(
                "kindcheck list (in-proc)", python(LIST_PATH, str(vault.data_dir), ",".join(HEAVY))
            ),
            Variant("key derivation", python(DERIVE, db, PASSPHRASE)),
        ]
        realpath.measure(variants, vault, args.rounds, args.warm_up)
        realpath.report(variants)
        cpu = {
            variant.name: statistics.median(json.loads(run.stdout)["cpu"] for run in variant.runs)
            for variant in variants
        }
        heavy = sorted({m for run in variants[1].runs for m in json.loads(run.stdout)["heavy"]})
        for name, seconds in cpu.items():
            print(f"CPU {name}: {seconds:.3f} s")
        print(f"heavy modules imported by `kindcheck list`: {', '.join(heavy) or 'none'}")
        ok = not heavy
        print(f"list imports none of {', '.join(HEAVY)}: {'holds' if ok else 'MISSED'}")
        ok &= realpath.verdict(
            "CPU of import kindcheck.store / key derivation",
            cpu["import kindcheck.store"] / cpu["key derivation"],
            1.0,
            loose=args.loose,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(realpath.main_guard(main))
