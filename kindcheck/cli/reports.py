"""The report commands: follow-ups due (and a calendar file), the anonymised export, team files,
and the access log.

The work is the application layer's (kindcheck.service.caseload for the due list,
kindcheck.service.reports for the export pipeline and the access-log document), shared with the
screens; these commands read the command line, open the vault through the service and print.
Nothing heavy is imported at the top: ``kindcheck --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.dates import format_machine_time
from kindcheck.errors import KindcheckError
from kindcheck.text import one_line

from .common import Texts, print_damaged, say, table_lines, unlock
from .common import lang as lang_of

if TYPE_CHECKING:
    from kindcheck.accesslog import AccessEntry


def _say(key: str, lang: str, **values: Any) -> str:
    from kindcheck.i18n import t

    return t(f"cli.reports.{key}", lang, **values)


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
    from kindcheck.followup import CalendarEntry, FollowUpState, plans_to_ics
    from kindcheck.paths import check_output_path, write_output
    from kindcheck.service.caseload import followup_statuses

    lang = lang_of(args)
    if args.ics is not None:
        check_output_path(args.ics, args.force)  # before asking for the passphrase
    damaged: list[str] = []
    with unlock(args) as service, service.store() as store:
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
                    f"{label}|{when}|{late}|{one_line(item.client.reference)}|{item.calendar_code}"
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
    from kindcheck.service.reports import count_vault, counts_detail, render_table

    lang = lang_of(args)
    check_output_path(args.output, args.force)
    public_key = _read(args.team_key, "a public key") if args.team_key else None
    if public_key is None:
        export.suppress(export.aggregate([]), args.min_cell)  # refuse a bad --min-cell early
    damaged: list[str] = []
    with unlock(args) as service, service.store() as store:
        counts = count_vault(store, args.period, damaged=damaged)
        if public_key is not None:
            data = export.seal_team_file(counts, public_key, store.vault_id)
            path = write_output(args.output, data, args.force)
            store.log_access("export", None, f"team file ({args.period})")
            print(_say("team_done", lang, path=path))
        else:
            table = export.suppress(counts, args.min_cell, rounding=args.round)
            rendered = render_table(table, args.format, args.delimiter)
            path = write_output(args.output, rendered, args.force)
            store.log_access("export", None, counts_detail(args.period, args.format))
            print(_say("export_done", lang, path=path, threshold=args.min_cell))
    _warn_damaged(damaged, lang)
    return 0


def cmd_team_key(args: argparse.Namespace) -> int:
    from kindcheck import export
    from kindcheck.paths import check_output_path, write_output

    lang = lang_of(args)
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
    from kindcheck.service.reports import render_table

    check_output_path(args.output, args.force)
    private_pem = _read(args.key, "a private key")
    files = [(str(path), _read(path, "a team file")) for path in args.team_files]
    counts = export.merge(files, private_pem)
    table = export.suppress(counts, args.min_cell, rounding=args.round)
    rendered = render_table(table, args.format, args.delimiter)
    path = write_output(args.output, rendered, args.force)
    print(_say("export_done", lang_of(args), path=path, threshold=args.min_cell))
    return 0


# --------------------------------------------------------------------------------------------
# The access log

_LOG_TEXT: Texts = {
    "log_header": {
        "nl": "WANNEER|GEBRUIKER|ACTIE|CLIËNT|DETAIL|UITKOMST",
        "en": "WHEN|USER|ACTION|CLIENT|DETAIL|OUTCOME",
    },
    "log_empty": {
        "nl": "Het toegangslog heeft (nog) geen regels{which}.",
        "en": "The access log has no entries{which} (yet).",
    },
    "log_for": {"nl": " voor cliënt {reference}", "en": " for client {reference}"},
    "log_written": {
        "nl": "Toegangslog ({count} regels) geschreven naar {path}.",
        "en": "Access log ({count} entries) written to {path}.",
    },
}


def _log_table(entries: list[AccessEntry], lang: str) -> list[str]:
    rows = [say(_LOG_TEXT, "log_header", lang).split("|")]
    for entry in entries:
        rows.append(
            [
                format_machine_time(entry.at),
                one_line(entry.user) or "-",
                one_line(entry.action),
                one_line(entry.client_reference) or "-",
                one_line(entry.detail) or "-",
                one_line(entry.outcome),
            ]
        )
    return table_lines(rows, [19, 24, 8, 30, 80, 8])


def cmd_log(args: argparse.Namespace) -> int:
    """``kindcheck log [--client REF] [--json]``: the access log at the terminal (itself a
    "read" entry); ``-o FILE [--force]``: written as JSON (an "export" entry, e.g. for a
    client's request to see who looked at their file)."""
    from kindcheck.paths import OutputPathError, check_output_path, write_output
    from kindcheck.service.reports import log_document, log_file, read_access_log

    lang = lang_of(args)
    reference = args.client
    if reference is not None and not one_line(reference):
        raise KindcheckError("--client needs a client reference")
    if args.output is not None:
        check_output_path(args.output, args.force)  # before the passphrase is asked
    damaged: list[str] = []
    with unlock(args) as service, service.store() as store:
        user = store.user_name
        if args.output is None:
            entries = read_access_log(store, reference, damaged)
        else:
            entries = store.access_log(reference, damaged)
            data = log_file(entries, reference, user)
            try:
                written = write_output(args.output, data, args.force)
            except OutputPathError as error:
                store.log_access(
                    "export", reference, f"access log to {args.output}: {error}", "refused"
                )
                raise
            store.log_access(
                "export", reference, f"access log ({len(entries)} entries) to {written}"
            )
    if args.output is not None:
        print(say(_LOG_TEXT, "log_written", lang, count=len(entries), path=written))
    elif args.json:
        # ASCII only: user text reaches the terminal, and \u escapes cannot be control codes.
        print(json.dumps(log_document(entries, reference, user), ensure_ascii=True, indent=2))
    elif not entries:
        which = say(_LOG_TEXT, "log_for", lang, reference=one_line(reference)) if reference else ""
        print(say(_LOG_TEXT, "log_empty", lang, which=which))
    else:
        for line in _log_table(entries, lang):
            print(line)
    print_damaged(damaged)
    return 1 if damaged else 0
