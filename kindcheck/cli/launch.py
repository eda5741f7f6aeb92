"""``kindcheck`` without a command, and ``kindcheck demo``: the app (kindcheck.screens.launch).

The only part of the command line that imports the screens, and only when it runs: Textual costs
about 150 ms to import, which the other commands do not pay.

The app needs a terminal on both ends: without one (``kindcheck < /dev/null``, in a pipe, a
desktop launcher or pythonw with no console) Textual would wait for keys that never come, or
draw into a file. Then the command says so and exits 2 before anything is imported.
"""

from __future__ import annotations

import argparse
import sys

from .common import given_data_dir, is_terminal, usage_fail


def has_terminal() -> bool:
    """Standard input and output are both a terminal (either may be None under pythonw)."""
    return is_terminal(sys.stdin) and is_terminal(sys.stdout)


def cmd_app(args: argparse.Namespace) -> int:
    if not has_terminal():
        usage_fail("no_terminal")
    from kindcheck.screens.launch import run_app

    # No --lang: None, so the app's settings (file, then KINDCHECK_LANG) decide.
    code: int = run_app(data_dir=given_data_dir(args), lang=getattr(args, "lang", None), demo=False)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    if not has_terminal():
        usage_fail("no_terminal")
    from kindcheck.screens.launch import run_app

    code: int = run_app(data_dir=None, lang=getattr(args, "lang", None), demo=True)
    return code
