"""`kindcheck export` on a vault of N sessions, against a plain read of the same rows and an
unlock-only process, in the same run.

    python benchmarks/bench_export.py [--sessions 10000] [--rounds 5] [--cache DIR]

Times, interleaved (medians of ``--rounds``), each in its own process (see realpath.py):

- export: ``kindcheck export -o FILE --force`` (quarters, CSV): the command a user runs;
- plain read: Python's sqlite3 reading every row of the tables the export counts (clients,
  sessions with header, body and Meldcode steps, plans), ciphertext as it is, nothing decrypted;
- unlock only: the same command-line start, key derivation and open, doing nothing.

Target (issue 17): 100,000 sessions exported in under 2 s beyond the start and the key
derivation (export minus unlock only), with a peak RSS under 300 MB. Below 100,000 sessions
the time budget scales: 0.25 s plus 1.75 s per 100,000 sessions (2 s at 100,000).
"""

from __future__ import annotations

import argparse
import sys

import realpath
from realpath import PLAIN_READ, UNLOCK_ONLY, Variant, python

TARGET_PEAK_MIB = 300 / 1.048576  # 300 MB


def budget(sessions: int) -> float:
    return 0.25 + 1.75 * sessions / 100_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    realpath.common_arguments(parser)
    args = parser.parse_args(argv)
    with realpath.cached_vault(args.cache, args.sessions, args.seed) as vault:
        realpath.upgrade_once(vault)
        output = vault.folder / "export.csv"
        export = Variant(
            "kindcheck export", vault.kindcheck("export", "-o", str(output), "--force")
        )
        plain = Variant("plain read", python(PLAIN_READ, str(vault.data_dir / "kindcheck.db")))
        unlock = Variant("unlock only", python(UNLOCK_ONLY, str(vault.data_dir)))
        realpath.measure([export, plain, unlock], vault, args.rounds, args.warm_up)
        realpath.report([export, plain, unlock])
        beyond = export.seconds - unlock.seconds
        print(
            f"export / plain read: {export.seconds / plain.seconds:.2f}x; "
            f"export / unlock only: {export.seconds / unlock.seconds:.2f}x; "
            f"beyond unlock: {export.wall - unlock.wall:.3f} s wall, "
            f"{export.cpu - unlock.cpu:.3f} s CPU"
        )
        ok = realpath.verdict(
            f"export beyond unlock ({args.sessions:,} sessions)",
            beyond,
            budget(args.sessions),
            "s",
            args.loose,
        )
        ok &= realpath.verdict(
            "export peak RSS", export.peak_mib, TARGET_PEAK_MIB, "MiB", args.loose
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(realpath.main_guard(main))
