"""The ``kindcheck`` command line as argparse sees it: every command, its options and help, and
the handler that runs it (in .outcome, .vault, .reports and .launch).

Building the parser imports no handler's heavy dependencies: each handler imports what it needs
when it runs, so ``kindcheck --help`` and ``--version`` import neither Textual nor SQLModel.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kindcheck import __version__

from .launch import cmd_demo
from .outcome import cmd_check_questionnaire, cmd_outcome
from .reports import cmd_due, cmd_export, cmd_log, cmd_merge, cmd_team_key
from .vault import (
    cmd_backup,
    cmd_init,
    cmd_list,
    cmd_passwd,
    cmd_record,
    cmd_restore,
    cmd_verify,
)

# argparse's sub-command parsers' holder (argparse._SubParsersAction, a private class).
SubParsers = Any


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
    _add_report_commands(commands, common, passphrase)
    return parser


def _add_vault_commands(
    commands: SubParsers, common: argparse.ArgumentParser, passphrase: argparse.ArgumentParser
) -> None:
    """The commands that open the vault to keep it (.vault) and to read its access log."""
    parents = [common, passphrase]
    init = commands.add_parser(
        "init",
        parents=parents,
        help="create a vault and print its recovery key once",
        description="Create an encrypted vault. The passphrase needs at least 12 characters; "
        "the recovery key is printed once: write it down.",
    )
    init.add_argument(
        "--user",
        metavar="NAME",
        help="the vault's user name, for the access log (default: your login)",
    )
    init.set_defaults(handler=cmd_init)

    record = commands.add_parser(
        "record",
        parents=parents,
        help="validate and store a completed session, print its outcome and follow-up plan",
    )
    record.add_argument("answers", type=Path, metavar="ANSWERS.json")
    record.set_defaults(handler=cmd_record)

    listing = commands.add_parser("list", parents=parents, help="clients with their last session")
    listing.set_defaults(handler=cmd_list)

    verify = commands.add_parser(
        "verify",
        parents=parents,
        help="check the file and decrypt every record; name each damaged one",
    )
    verify.add_argument(
        "--accept-older",
        action="store_true",
        help="this older copy of the vault was put back on purpose: stop warning about it",
    )
    verify.set_defaults(handler=cmd_verify)

    passwd = commands.add_parser(
        "passwd",
        parents=parents,
        help="change the passphrase (or set one with the recovery key)",
        description="Change the passphrase. With --passphrase-stdin: line 1 the current "
        "passphrase (with --recovery: the recovery key), line 2 the new one.",
    )
    passwd.add_argument(
        "--recovery",
        action="store_true",
        help="use the recovery key instead of the current passphrase",
    )
    passwd.add_argument(
        "--new-recovery-key",
        action="store_true",
        help="replace the recovery key (a damaged or lost one); prints the new one once",
    )
    passwd.set_defaults(handler=cmd_passwd)

    backup = commands.add_parser(
        "backup",
        parents=parents,
        help="write an encrypted copy of the vault to FILE",
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore",
        parents=parents,
        help="replace the vault with a backup (asks the backup's passphrase first)",
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument(
        "--force", action="store_true", help="replace an existing vault (back it up first)"
    )
    restore.set_defaults(handler=cmd_restore)

    log = commands.add_parser(
        "log",
        parents=parents,
        help="show the access log (NEN 7513), or export a client's log",
        description="Show who created, read, changed, deleted, searched, exported, backed up "
        "or restored client data, and when. With -o, write the log (with --client: "
        "only that client's entries, for the client's own request) as JSON.",
    )
    log.add_argument("--client", metavar="REF", help="only the entries about this client")
    log.add_argument("--json", action="store_true", help="print JSON instead of a table")
    log.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write the log as JSON to FILE (logged as an export)",
    )
    log.add_argument("--force", action="store_true", help="replace FILE if it exists")
    log.set_defaults(handler=cmd_log)


def _add_report_commands(
    commands: SubParsers, common: argparse.ArgumentParser, passphrase: argparse.ArgumentParser
) -> None:
    """The report commands (.reports): due, export, team-key, merge."""
    parents = [common, passphrase]
    due = commands.add_parser(
        "due", parents=parents, help="follow-up conversations due and overdue"
    )
    due.add_argument("--all", action="store_true", help="also list upcoming plans")
    due.add_argument(
        "--ics",
        type=Path,
        metavar="FILE",
        help="also write a calendar file with one recurring event per plan",
    )
    due.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    due.set_defaults(handler=cmd_due)

    export = commands.add_parser(
        "export",
        parents=parents,
        help="anonymised counts per period (CSV or JSON), or a team file with --team-key",
    )
    export.add_argument("--period", choices=("month", "quarter"), default="quarter")
    export.add_argument(
        "--min-cell",
        type=int,
        default=5,
        metavar="N",
        help="hide counts from 1 to N-1 (default 5, at least 3)",
    )
    export.add_argument("--round", action="store_true", help="round shown counts to 5")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument(
        "--delimiter",
        choices=(",", ";"),
        default=",",
        help="CSV delimiter; ';' for Excel with Dutch settings (default ',')",
    )
    export.add_argument(
        "--team-key",
        type=Path,
        metavar="PUBLIC_KEY",
        help="write a team file (unsuppressed counts encrypted to this key)",
    )
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    export.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    export.set_defaults(handler=cmd_export)

    team_key = commands.add_parser(
        "team-key", parents=[common], help="make the team lead's key pair for team files"
    )
    team_key.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    team_key.add_argument("--force", action="store_true", help="overwrite existing key files")
    team_key.set_defaults(handler=cmd_team_key)

    merge = commands.add_parser(
        "merge", parents=[common], help="add up team files from several laptops, then suppress"
    )
    merge.add_argument("team_files", type=Path, nargs="+", metavar="TEAMFILE")
    merge.add_argument(
        "--key",
        type=Path,
        required=True,
        metavar="PRIVATE",
        help="the team lead's private key (team-private.pem)",
    )
    merge.add_argument("--min-cell", type=int, default=5, metavar="N")
    merge.add_argument("--round", action="store_true")
    merge.add_argument("--format", choices=("csv", "json"), default="csv")
    merge.add_argument(
        "--delimiter",
        choices=(",", ";"),
        default=",",
        help="CSV delimiter; ';' for Excel with Dutch settings (default ',')",
    )
    merge.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    merge.add_argument("--force", action="store_true")
    merge.set_defaults(handler=cmd_merge)
