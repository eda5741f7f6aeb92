"""``kindcheck`` without a command, and ``kindcheck demo``: the app (kindcheck.screens.launch).

The only part of the command line that imports the screens, and only when it runs: Textual costs
about 150 ms to import, which the other commands do not pay.
"""

from __future__ import annotations

import argparse

from .common import settings_from


def cmd_app(args: argparse.Namespace) -> int:
    from kindcheck.screens.launch import run_app

    # No --lang: None, so the app's settings (file, then KINDCHECK_LANG) decide.
    data_dir, _lang = settings_from(args)
    code: int = run_app(data_dir=data_dir, lang=getattr(args, "lang", None), demo=False)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from kindcheck.screens.launch import run_app

    code: int = run_app(data_dir=None, lang=getattr(args, "lang", None), demo=True)
    return code
