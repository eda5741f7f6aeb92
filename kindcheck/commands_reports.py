"""Report commands: follow-ups due (and a calendar file), the anonymised export, team files.

Like kindcheck.commands, nothing heavy is imported at the top: ``kindcheck --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kindcheck.errors import KindcheckError


def _say(key: str, lang: str, **values: Any) -> str:
    from kindcheck.i18n import t

    return t(f"cli.reports.{key}", lang, **values)


def add_report_commands(
    commands: Any, common: argparse.ArgumentParser, passphrase: argparse.ArgumentParser
) -> None:
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


def _open(args: argparse.Namespace) -> Any:
    from kindcheck.commands import _unlock

    return _unlock(args)


def _lang(args: argparse.Namespace) -> str:
    from kindcheck.commands import _lang as lang_of

    return lang_of(args)


def _read(path: Path, what: str, limit: int = 16 * 1024 * 1024) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise KindcheckError(f"{path}: too large for {what}")
        return path.read_bytes()
    except FileNotFoundError:
        raise KindcheckError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise KindcheckError(f"{path}: is a folder, not {what}") from None
    except OSError as error:
        raise KindcheckError(f"{path}: cannot be read ({error.strerror})") from None


def _warn_damaged(damaged: list[str], lang: str) -> None:
    if damaged:
        print(_say("damaged", lang, count=len(set(damaged))), file=sys.stderr)


def cmd_due(args: argparse.Namespace) -> int:
    from kindcheck.commands import _one_line
    from kindcheck.followup import CalendarEntry, FollowUpState, plans_to_ics
    from kindcheck.paths import check_output_path, write_output
    from kindcheck.reporting import followup_statuses

    lang = _lang(args)
    if args.ics is not None:
        check_output_path(args.ics, args.force)  # before asking for the passphrase
    damaged: list[str] = []
    with _open(args) as store:
        items = followup_statuses(store, damaged=damaged)
        shown = [
            item
            for item in items
            if args.all or item.status.state in (FollowUpState.OVERDUE, FollowUpState.DUE)
        ]
        store.log_access("read", None, f"follow-ups due ({len(shown)} clients)")
        if shown:
            print(_say("due_header", lang))
            for item in shown:
                when = item.status.occurrence.date().isoformat() if item.status.occurrence else "-"
                late = str(item.status.days_overdue) if item.status.days_overdue else ""
                state = item.status.state.value
                label = _say(state, lang)
                print(
                    f"{label}|{when}|{late}|{_one_line(item.client.reference)}|{item.calendar_code}"
                )
        else:
            print(_say("nothing_due", lang))
        if args.ics is not None:
            # Ended plans too: their end cuts the series a calendar imported before.
            entries = [
                CalendarEntry(
                    item.calendar_code, item.plan.plan, item.plan.revision, item.plan.updated_at
                )
                for item in items
            ]
            summary, name = (
                ("Vervolggesprek kinderen {ref}", "Kindcheck vervolggesprekken")
                if lang == "nl"
                else ("Follow-up about the children {ref}", "Kindcheck follow-ups")
            )
            calendar = plans_to_ics(entries, summary, calendar_name=name)
            path = write_output(args.ics, calendar, args.force)
            store.log_access("export", None, f"calendar file ({len(entries)} plans)")
            print(_say("ics_done", lang, path=path, count=len(entries)))
    _warn_damaged(damaged, lang)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kindcheck import export
    from kindcheck.paths import check_output_path, write_output
    from kindcheck.reporting import plan_facts, session_facts

    lang = _lang(args)
    check_output_path(args.output, args.force)
    public_key = _read(args.team_key, "a public key") if args.team_key else None
    if public_key is None:
        export.suppress(export.aggregate([]), args.min_cell)  # refuse a bad --min-cell early
    damaged: list[str] = []
    with _open(args) as store:
        versions: dict[str, set[int]] = {}  # filled while the facts are read
        counts = export.aggregate(
            session_facts(store, damaged, versions),
            plan_facts(store, damaged=damaged),
            period=args.period,
            questionnaires=versions,
        )
        if public_key is not None:
            data = export.seal_team_file(counts, public_key, store.vault_id)
            path = write_output(args.output, data, args.force)
            store.log_access("export", None, f"team file ({args.period})")
            print(_say("team_done", lang, path=path))
        else:
            table = export.suppress(counts, args.min_cell, rounding=args.round)
            rendered = render_export(export, table, args.format, args.delimiter)
            path = write_output(args.output, rendered, args.force)
            store.log_access("export", None, f"anonymised counts ({args.period}, {args.format})")
            print(_say("export_done", lang, path=path, threshold=args.min_cell))
    _warn_damaged(damaged, lang)
    return 0


def render_export(export: Any, table: Any, file_format: str, delimiter: str = ",") -> bytes:
    if file_format == "json":
        return (json.dumps(export.to_json(table), ensure_ascii=False, indent=2) + "\n").encode()
    return export.to_csv(table, delimiter).encode("utf-8")


def cmd_team_key(args: argparse.Namespace) -> int:
    from kindcheck import export
    from kindcheck.paths import check_output_path, write_output

    lang = _lang(args)
    folder: Path = args.output
    if not folder.is_dir():
        raise KindcheckError(
            f"{folder}: is a file, not a folder"
            if folder.exists()
            else f"{folder}: the folder does not exist"
        )
    private_path, public_path = folder / "team-private.pem", folder / "team-public.pem"
    for path in (private_path, public_path):
        check_output_path(path, args.force)
    private_pem, public_pem = export.make_team_keypair()
    write_output(private_path, private_pem, args.force)
    write_output(public_path, public_pem, args.force)
    print(_say("keys_done", lang, public=public_path, private=private_path))
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from kindcheck import export
    from kindcheck.paths import check_output_path, write_output

    check_output_path(args.output, args.force)
    private_pem = _read(args.key, "a private key")
    files = [(str(path), _read(path, "a team file")) for path in args.team_files]
    counts = export.merge(files, private_pem)
    table = export.suppress(counts, args.min_cell, rounding=args.round)
    rendered = render_export(export, table, args.format, args.delimiter)
    path = write_output(args.output, rendered, args.force)
    print(_say("export_done", _lang(args), path=path, threshold=args.min_cell))
    return 0
