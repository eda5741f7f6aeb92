"""The ``kindcheck`` command.

Exit codes: 0 done; 1 an error the user can fix (a message on stderr, never a traceback); 2 a
usage error, or the app started without a terminal; 130 interrupted; 141 standard output closed
by its reader (``kindcheck log | head``; 128 + SIGPIPE, as a shell reports it; 1 on Windows,
which has no SIGPIPE). ``--help`` and ``--version`` import neither Textual nor SQLModel: the app
and the store are imported inside the commands that need them.

Everything it prints is in the chosen language (``--lang``, ``KINDCHECK_LANG``, the settings
file, else Dutch), argparse's own words included, and goes through
:func:`kindcheck.cli.common.echo`.

Modules: :mod:`.parser` (every command and its options), :mod:`.usage` (argparse in the chosen
language), :mod:`.common` (language, writing, secrets, opening the vault through the service
layer), :mod:`.outcome` (``outcome``, ``check-questionnaire``), :mod:`.vault` (``init``,
``record``, ``list``, ``verify``, ``passwd``, ``backup``, ``restore``), :mod:`.reports` (``due``,
``export``, ``team-key``, ``merge``, ``log``), :mod:`.completion` (``--print-completion``) and
:mod:`.launch` (the app, ``demo``). The work itself is the application layer's
(kindcheck.service), shared with the screens.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from kindcheck.errors import KindcheckError

from .common import OutputClosed, UsageError, echo, error_text, flush_stdout, resolve_language
from .common import text as say
from .launch import cmd_app
from .parser import build_parser
from .usage import argparse_language

__all__ = ["CLOSED_PIPE_EXIT", "UsageError", "build_parser", "entry_point", "main"]

Handler = Callable[[argparse.Namespace], int]

CLOSED_PIPE_EXIT = 1 if os.name == "nt" else 141
"""The exit code when the reader of standard output went away (``| head``)."""


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    lang = resolve_language(words)
    try:
        with argparse_language(lang):
            try:
                code = _run(words, lang)
            except SystemExit:
                flush_stdout()  # --help, --version, a usage error: their text out first
                raise
            flush_stdout()
            return code
    except OutputClosed:
        return _output_closed()


def _run(words: list[str], lang: str) -> int:
    parser = build_parser(lang)
    args = parser.parse_args(words)
    args.ui_lang = lang
    if hasattr(args, "print_completion"):
        from .completion import print_completion

        return print_completion(parser, args.print_completion)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        handler = cmd_app
    try:
        return handler(args)
    except OutputClosed:
        raise
    except UsageError as error:
        echo(say("error", lang, text=error_text(error, lang)), err=True)
        return 2
    except KindcheckError as error:
        echo(say("error", lang, text=error_text(error, lang)), err=True)
        return 1
    except KeyboardInterrupt:
        echo(say("error", lang, text=say("interrupted", lang)), err=True)
        return 130
    except Exception as error:
        if os.environ.get("KINDCHECK_DEBUG") == "1":
            raise
        message = say("internal_error", lang, kind=type(error).__name__)
        echo(say("error", lang, text=message), err=True)
        return 1


def _output_closed() -> int:
    """The reader of standard output went away: say nothing (there is no one to tell) and
    point standard output at the null device, so the interpreter's last flush of what is
    still buffered cannot fail again at exit."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return CLOSED_PIPE_EXIT  # not a real file (a test's stream): nothing to redirect
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)
    return CLOSED_PIPE_EXIT


def entry_point() -> None:
    sys.exit(main())
