"""The ``kindcheck`` command line as argparse sees it: every command, its options and help (in
the chosen language, from the catalog's ``cli.help``), and the handler that runs it (in
.outcome, .vault, .reports and .launch).

Building the parser imports no handler's heavy dependencies: each handler imports what it needs
when it runs, so ``kindcheck --help`` and ``--version`` import neither Textual nor SQLModel.

Conventions every command follows (a new command adds itself with the same helpers):

- files a command writes are named with ``-o/--output`` (:func:`_add_output`); ``-o -`` is
  standard output where a stream makes sense; ``--force`` replaces an existing file;
- ``--json`` prints a versioned JSON document instead of a table;
- ``--data-dir``, ``--lang`` and ``--passphrase-stdin`` come from the shared parents.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kindcheck import __version__
from kindcheck.i18n import LANGUAGES, t

from .client_record import (
    cmd_amend,
    cmd_delete_client,
    cmd_dossier,
    cmd_handoff,
    cmd_move,
    cmd_show,
)
from .launch import cmd_demo
from .outcome import cmd_check_questionnaire, cmd_outcome
from .reports import cmd_audit, cmd_due, cmd_export, cmd_log, cmd_merge, cmd_team_key
from .usage import Parser
from .vault import (
    PROFESSIONAL_GROUPS,
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
SHELLS = ("bash", "zsh", "tcsh", "fish", "powershell")
"""The shells shtab writes a completion script for."""


class _Help:
    """Help texts and metavars in one language: ``help("due_all")`` is ``cli.help.due_all``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: Any) -> str:
        return t(f"cli.help.{key}", self.lang, **values)


def _whole_number(lang: str) -> Callable[[str], int]:
    def whole_number(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(t("cli.whole_number", lang, value=value)) from None

    return whole_number


def build_parser(lang: str = "nl") -> argparse.ArgumentParser:
    """Every command, with help texts in ``lang`` (argparse's own words follow
    :func:`kindcheck.cli.usage.argparse_language`)."""
    help_ = _Help(lang)
    parser = Parser(prog="kindcheck", description=help_("description"), epilog=help_("epilog"))
    parser.add_argument(
        "--version", action="version", version=f"kindcheck {__version__}", help=help_("version")
    )
    parser.add_argument(
        "--print-completion", choices=SHELLS, default=argparse.SUPPRESS, help=help_("completion")
    )
    common = Parser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        metavar=help_("folder"),
        help=help_("data_dir"),
    )
    common.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=help_("lang"))
    passphrase = Parser(add_help=False)
    passphrase.add_argument(
        "--passphrase-stdin", action="store_true", help=help_("passphrase_stdin")
    )
    for action in common._actions:
        if action.dest != "help":
            parser._add_action(action)
    commands = parser.add_subparsers(
        dest="command", title=help_("commands"), metavar=help_("command")
    )

    outcome = commands.add_parser("outcome", parents=[common], help=help_("outcome"))
    outcome.add_argument("answers", type=Path, metavar=help_("answers_file"))
    outcome.add_argument("--json", action="store_true", help=help_("outcome_json"))
    outcome.set_defaults(handler=cmd_outcome)

    check = commands.add_parser("check-questionnaire", parents=[common], help=help_("check"))
    check.add_argument("files", type=Path, nargs="+", metavar=help_("toml_file"))
    check.set_defaults(handler=cmd_check_questionnaire)

    demo = commands.add_parser("demo", parents=[common], help=help_("demo"))
    demo.set_defaults(handler=cmd_demo)

    _add_vault_commands(commands, help_, [common, passphrase])
    _add_record_commands(commands, help_, [common, passphrase])
    _add_report_commands(commands, help_, common, passphrase)
    return parser


def _add_output(
    command: argparse.ArgumentParser, help_: _Help, text: str, required: bool = False
) -> None:
    """``-o/--output FILE`` (``-`` for standard output where ``text`` says so) and ``--force``."""
    command.add_argument(
        "-o", "--output", type=Path, required=required, metavar=help_("file"), help=text
    )
    command.add_argument("--force", action="store_true", help=help_("force"))


def _add_vault_commands(
    commands: SubParsers, help_: _Help, parents: list[argparse.ArgumentParser]
) -> None:
    """The commands that open the vault to keep it (.vault) and to read its access log."""
    from kindcheck.passphrase import MIN_LENGTH

    init = commands.add_parser(
        "init",
        parents=parents,
        help=help_("init"),
        description=help_("init_description", minimum=MIN_LENGTH),
    )
    init.add_argument("--user", metavar=help_("name"), help=help_("init_user"))
    init.add_argument(
        "--professional-group",
        metavar="ID",
        help=help_("init_group", choices=", ".join(PROFESSIONAL_GROUPS)),
    )
    init.set_defaults(handler=cmd_init)

    record = commands.add_parser("record", parents=parents, help=help_("record"))
    record.add_argument("answers", type=Path, metavar=help_("answers_file"))
    record.set_defaults(handler=cmd_record)

    listing = commands.add_parser("list", parents=parents, help=help_("list"))
    listing.add_argument("--json", action="store_true", help=help_("list_json"))
    listing.set_defaults(handler=cmd_list)

    verify = commands.add_parser("verify", parents=parents, help=help_("verify"))
    verify.add_argument("--accept-older", action="store_true", help=help_("verify_accept_older"))
    verify.set_defaults(handler=cmd_verify)

    passwd = commands.add_parser(
        "passwd",
        parents=parents,
        help=help_("passwd"),
        description=help_("passwd_description"),
    )
    passwd.add_argument("--recovery", action="store_true", help=help_("passwd_recovery"))
    passwd.add_argument(
        "--new-recovery-key", action="store_true", help=help_("passwd_new_recovery_key")
    )
    passwd.set_defaults(handler=cmd_passwd)

    backup = commands.add_parser("backup", parents=parents, help=help_("backup"))
    # `backup FILE` is the old form, kept; `-o FILE` is the form every command shares.
    backup.add_argument(
        "file", type=Path, nargs="?", metavar=help_("file"), help=help_("backup_file")
    )
    _add_output(backup, help_, help_("backup_output"))
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser("restore", parents=parents, help=help_("restore"))
    restore.add_argument("file", type=Path, metavar=help_("file"), help=help_("restore_file"))
    restore.add_argument("--force", action="store_true", help=help_("restore_force"))
    restore.set_defaults(handler=cmd_restore)

    log = commands.add_parser(
        "log", parents=parents, help=help_("log"), description=help_("log_description")
    )
    log.add_argument("--client", metavar="REF", help=help_("log_client"))
    log.add_argument("--json", action="store_true", help=help_("log_json"))
    _add_output(log, help_, help_("log_output"))
    log.set_defaults(handler=cmd_log)


def _add_record_commands(
    commands: SubParsers, help_: _Help, parents: list[argparse.ArgumentParser]
) -> None:
    """The client record (.client_record): read a session back, correct or move it, hand it
    to the EPD; the client's rights (everything about them, deleting them)."""
    from kindcheck.service.client_record import HANDOFF_FORMATS

    show = commands.add_parser(
        "show", parents=parents, help=help_("show"), description=help_("show_description")
    )
    show.add_argument("key", metavar=help_("session_or_ref"))
    show.add_argument("--json", action="store_true", help=help_("show_json"))
    show.set_defaults(handler=cmd_show)

    amend = commands.add_parser(
        "amend", parents=parents, help=help_("amend"), description=help_("amend_description")
    )
    amend.add_argument("session_id", metavar=help_("session_id"))
    amend.add_argument(
        "--answer",
        action="append",
        required=True,
        metavar=help_("answer_metavar"),
        help=help_("amend_answer"),
    )
    amend.add_argument("--reason", required=True, metavar=help_("text"), help=help_("reason"))
    amend.set_defaults(handler=cmd_amend)

    move = commands.add_parser("move", parents=parents, help=help_("move"))
    move.add_argument("session_id", metavar=help_("session_id"))
    move.add_argument("--to", required=True, metavar="REF", help=help_("move_to"))
    move.add_argument("--reason", required=True, metavar=help_("text"), help=help_("reason"))
    move.set_defaults(handler=cmd_move)

    handoff = commands.add_parser(
        "handoff",
        parents=parents,
        help=help_("handoff"),
        description=help_("handoff_description"),
    )
    handoff.add_argument("session_id", metavar=help_("session_id"))
    handoff.add_argument(
        "--format", choices=HANDOFF_FORMATS, default="text", help=help_("handoff_format")
    )
    _add_output(handoff, help_, help_("handoff_output"), required=True)
    handoff.set_defaults(handler=cmd_handoff)

    dossier = commands.add_parser(
        "dossier", parents=parents, help=help_("dossier"), description=help_("dossier_description")
    )
    dossier.add_argument("reference", metavar="REF")
    dossier.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar=help_("folder"),
        help=help_("dossier_output"),
    )
    dossier.add_argument("--force", action="store_true", help=help_("force"))
    dossier.set_defaults(handler=cmd_dossier)

    delete = commands.add_parser(
        "delete-client",
        parents=parents,
        help=help_("delete_client"),
        description=help_("delete_client_description"),
    )
    delete.add_argument("reference", metavar="REF")
    delete.add_argument("--yes-i-typed", metavar="REF", help=help_("yes_i_typed"))
    delete.set_defaults(handler=cmd_delete_client)


def _add_report_commands(
    commands: SubParsers,
    help_: _Help,
    common: argparse.ArgumentParser,
    passphrase: argparse.ArgumentParser,
) -> None:
    """The report commands (.reports): due, export, team-key, merge."""
    whole_number = _whole_number(help_.lang)
    due = commands.add_parser("due", parents=[common, passphrase], help=help_("due"))
    due.add_argument("--all", action="store_true", help=help_("due_all"))
    due.add_argument("--json", action="store_true", help=help_("due_json"))
    # `--ics FILE` is the old form, kept; `--ics -o FILE` (or `-o -`) the shared one.
    due.add_argument(
        "--ics", type=Path, nargs="?", const=True, metavar=help_("file"), help=help_("due_ics")
    )
    _add_output(due, help_, help_("due_output"))
    due.set_defaults(handler=cmd_due)

    export = commands.add_parser("export", parents=[common, passphrase], help=help_("export"))
    export.add_argument(
        "--period", choices=("month", "quarter", "year"), default="quarter", help=help_("period")
    )
    export.add_argument(
        "--min-cell", type=whole_number, default=None, metavar="N", help=help_("min_cell")
    )
    export.add_argument(
        "--raise-min-cell",
        type=whole_number,
        default=None,
        metavar="N",
        help=help_("raise_min_cell"),
    )
    export.add_argument("--round", action="store_true", help=argparse.SUPPRESS)
    export.add_argument("--format", choices=("csv", "json"), default="csv", help=help_("format"))
    export.add_argument("--delimiter", choices=(",", ";"), default=",", help=help_("delimiter"))
    export.add_argument(
        "--team-key", type=Path, metavar=help_("public_key"), help=help_("team_key")
    )
    _add_output(export, help_, help_("output"), required=True)
    export.set_defaults(handler=cmd_export)

    team_key = commands.add_parser("team-key", parents=[common, passphrase], help=help_("keys"))
    team_key.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar=help_("folder"),
        help=help_("keys_output"),
    )
    team_key.add_argument("--force", action="store_true", help=help_("keys_force"))
    team_key.set_defaults(handler=cmd_team_key)

    merge = commands.add_parser("merge", parents=[common, passphrase], help=help_("merge"))
    merge.add_argument("team_files", type=Path, nargs="+", metavar=help_("team_file"))
    merge.add_argument(
        "--key", type=Path, required=True, metavar=help_("private_key"), help=help_("merge_key")
    )
    merge.add_argument(
        "--ledger", type=Path, default=None, metavar=help_("team_ledger"), help=help_("ledger")
    )
    merge.add_argument(
        "--period", choices=("month", "quarter", "year"), default="quarter", help=help_("period")
    )
    merge.add_argument(
        "--min-cell", type=whole_number, default=None, metavar="N", help=help_("min_cell")
    )
    merge.add_argument(
        "--raise-min-cell",
        type=whole_number,
        default=None,
        metavar="N",
        help=help_("raise_min_cell"),
    )
    merge.add_argument("--round", action="store_true", help=argparse.SUPPRESS)
    merge.add_argument("--format", choices=("csv", "json"), default="csv", help=help_("format"))
    merge.add_argument("--delimiter", choices=(",", ";"), default=",", help=help_("delimiter"))
    _add_output(merge, help_, help_("output"), required=True)
    merge.set_defaults(handler=cmd_merge)

    audit = commands.add_parser("audit", parents=[common], help=help_("audit"))
    audit.add_argument("files", type=Path, nargs="+", metavar=help_("export_file"))
    audit.set_defaults(handler=cmd_audit)
