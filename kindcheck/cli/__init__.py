"""The ``kindcheck`` command.

Exit 0 on success, 1 on a user error (a message on stderr, never a traceback), 2 on a usage
error, 130 when interrupted. ``--help`` and ``--version`` import neither Textual nor SQLModel:
the app and the store are imported inside the commands that need them.

Modules: :mod:`.parser` (every command and its options), :mod:`.common` (secrets, the data dir
and language, opening the vault through the service layer, printing), :mod:`.outcome`
(``outcome``, ``check-questionnaire``), :mod:`.vault` (``init``, ``record``, ``list``,
``verify``, ``passwd``, ``backup``, ``restore``), :mod:`.reports` (``due``, ``export``,
``team-key``, ``merge``, ``log``) and :mod:`.launch` (the app, ``demo``). The work itself is the
application layer's (kindcheck.service), shared with the screens.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from kindcheck.errors import KindcheckError

from .common import UsageError
from .launch import cmd_app
from .parser import build_parser

__all__ = ["UsageError", "build_parser", "entry_point", "main"]

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        handler = cmd_app
    try:
        return handler(args)
    except KindcheckError as error:
        print(f"kindcheck: {error}", file=sys.stderr)
        return 1
    except UsageError as error:
        print(f"kindcheck: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kindcheck: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("KINDCHECK_DEBUG") == "1":
            raise
        print(
            f"kindcheck: internal error ({type(error).__name__}); nothing was changed. "
            "Run with KINDCHECK_DEBUG=1 for details, on test data only.",
            file=sys.stderr,
        )
        return 1


def entry_point() -> None:
    sys.exit(main())
