"""`kindcheck verify` on a vault of N sessions, against a plain read and decryption of every
record and an unlock-only process, in the same run.

    python benchmarks/bench_verify.py [--sessions 10000] [--rounds 5] [--cache DIR]

Times, interleaved (medians of ``--rounds``), each in its own process (see realpath.py):

- verify: ``kindcheck verify``, the command a user runs (every record decrypted and checked,
  the file, the key slots, the access log's chain and the vault's ledger);
- read + decrypt: Python's sqlite3 reading every row of every record table, each record
  decrypted (AES-256-GCM with its associated data) and its JSON parsed, after the same key
  derivation: the least any check of every record has to do;
- unlock only: the same command-line start, key derivation and open, doing nothing.

Target (issue 17): verify at most 2x read + decrypt at 10,000 sessions.
"""

from __future__ import annotations

import argparse
import sys

import realpath
from realpath import PASSPHRASE, PLAIN_DECRYPT, UNLOCK_ONLY, Variant, python

TARGET = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    realpath.common_arguments(parser)
    args = parser.parse_args(argv)
    with realpath.cached_vault(args.cache, args.sessions, args.seed) as vault:
        realpath.upgrade_once(vault)
        verify = Variant("kindcheck verify", vault.kindcheck("verify"))
        plain = Variant(
            "read + decrypt",
            python(PLAIN_DECRYPT, str(vault.data_dir / "kindcheck.db"), PASSPHRASE),
        )
        unlock = Variant("unlock only", python(UNLOCK_ONLY, str(vault.data_dir)))
        realpath.measure([verify, plain, unlock], vault, args.rounds, args.warm_up)
        realpath.report([verify, plain, unlock])
        print(f"verify / unlock only: {verify.seconds / unlock.seconds:.2f}x")
        ok = realpath.verdict(
            f"verify / read + decrypt ({args.sessions:,} sessions)",
            verify.seconds / plain.seconds,
            TARGET,
            loose=args.loose,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(realpath.main_guard(main))
