"""The ``kindcheck`` command (DESIGN.md, "Command line").

Exit 0 on success, 1 on a user error (a message on stderr, never a traceback), 2 on a usage
error. ``--help`` and ``--version`` import neither Textual nor SQLModel: the TUI and the store
are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kindcheck import __version__
from kindcheck.errors import KindcheckError

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit 2)."""


def _language(value: str) -> str:
    if value not in ("nl", "en"):
        raise argparse.ArgumentTypeError("choose nl or en")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kindcheck",
        description="Kindcheck intake assistant: the Kindcheck, the problem scan and recurring "
        "follow-up conversations about a client's children. Without a command it starts the app.",
    )
    parser.add_argument("--version", action="version", version=f"kindcheck {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="the vault's folder (default: KINDCHECK_DATA_DIR, else the user data folder)",
    )
    common.add_argument(
        "--lang", type=_language, default=argparse.SUPPRESS, help="nl (default) or en"
    )
    passphrase = argparse.ArgumentParser(add_help=False)
    passphrase.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the passphrase from one line of standard input",
    )
    for action in common._actions:
        if action.dest != "help":
            parser._add_action(action)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    outcome = commands.add_parser(
        "outcome", parents=[common], help="validate an answers file and print its outcome"
    )
    outcome.add_argument("answers", type=Path, metavar="ANSWERS.json")
    outcome.add_argument("--json", action="store_true", help="print the outcome as JSON")
    outcome.set_defaults(handler=cmd_outcome)

    check = commands.add_parser(
        "check-questionnaire",
        parents=[common],
        help="validate questionnaire files and list every problem",
    )
    check.add_argument("files", type=Path, nargs="+", metavar="FILE.toml")
    check.set_defaults(handler=cmd_check_questionnaire)

    demo = commands.add_parser(
        "demo", parents=[common], help="the app on a throwaway vault with synthetic clients"
    )
    demo.set_defaults(handler=cmd_demo)

    _add_vault_commands(commands, common, passphrase)
    return parser


def _add_vault_commands(
    commands: Any, common: argparse.ArgumentParser, passphrase: argparse.ArgumentParser
) -> None:
    """The commands that open the vault live in kindcheck.commands (imported when run)."""
    from kindcheck import commands as vault_commands

    vault_commands.add_commands(commands, common, passphrase)


def settings_from(args: argparse.Namespace) -> tuple[Path | None, str]:
    data_dir = getattr(args, "data_dir", None)
    if data_dir is None and os.environ.get("KINDCHECK_DATA_DIR"):
        data_dir = Path(os.environ["KINDCHECK_DATA_DIR"])
    return data_dir, getattr(args, "lang", None) or os.environ.get("KINDCHECK_LANG", "nl")


def cmd_outcome(args: argparse.Namespace) -> int:
    from kindcheck.answers import read_answers_file
    from kindcheck.outcome import compute_outcome, outcome_lines, outcome_to_json

    _data_dir, lang = settings_from(args)
    session = read_answers_file(args.answers)
    outcome = compute_outcome(session)
    if args.json:
        print(json.dumps(outcome_to_json(outcome, lang), ensure_ascii=False, indent=2))
    else:
        print("\n".join(outcome_lines(outcome, lang)))
    return 0


def cmd_check_questionnaire(args: argparse.Namespace) -> int:
    from kindcheck.errors import QuestionnaireError
    from kindcheck.questionnaire import load_questionnaire

    failed = False
    for path in args.files:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            failed = True
            print(str(error), file=sys.stderr)
        else:
            print(f"{path}: ok ({questionnaire.key}, {len(questionnaire.questions)} questions)")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        handler = _run_app
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


def _run_app(args: argparse.Namespace) -> int:
    # Textual costs about 150 ms to import: only the app itself pays for it.
    from kindcheck.screens.launch import run_app

    # No --lang: None, so the app's settings (file, then KINDCHECK_LANG) decide.
    data_dir, _lang = settings_from(args)
    return run_app(data_dir=data_dir, lang=getattr(args, "lang", None), demo=False)


def cmd_demo(args: argparse.Namespace) -> int:
    from kindcheck.screens.launch import run_app

    return run_app(data_dir=None, lang=getattr(args, "lang", None), demo=True)


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
