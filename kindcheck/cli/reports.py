"""The report commands: follow-ups due (and a calendar file), the anonymised export, team files,
and the access log.

The work is the application layer's (kindcheck.service.caseload for the due list,
kindcheck.service.reports for the export pipeline and the access-log document), shared with the
screens; these commands read the command line, open the vault through the service and print.
Nothing heavy is imported at the top: ``kindcheck --help`` stays fast.

Where a command writes a file, ``-o -`` sends the same bytes to standard output instead (and
nothing else goes there: the confirmation is left out, so a pipe gets only the data). The
access log records that as an export "to standard output", written before the data, so an
export cut short by its reader is still on record.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.text import one_line

from .common import (
    counted,
    echo,
    fail,
    is_stdout,
    print_damaged,
    print_table,
    text,
    unlock,
    usage_fail,
    write_stdout,
)
from .common import lang as lang_of
from .localtime import local_time, zone_name, zone_note

if TYPE_CHECKING:
    from kindcheck.accesslog import AccessEntry
    from kindcheck.service.caseload import DueFollowUp, DueItem
    from kindcheck.store import Store

DUE_FORMAT = "kindcheck-due"
"""``kindcheck due --json``: schemas/due.schema.json (version 1)."""


def _read(path: Path, what: str, limit: int = 16 * 1024 * 1024) -> bytes:
    try:
        if path.stat().st_size > limit:
            fail("reports.too_large", path=path, what=text(f"reports.{what}", "en"))
        return path.read_bytes()
    except FileNotFoundError:
        fail("reports.not_found", path=path)
    except IsADirectoryError:
        fail("reports.is_folder", path=path, what=text(f"reports.{what}", "en"))
    except OSError as error:
        fail("reports.unreadable", path=path, reason=error.strerror)


def _warn_damaged(damaged: list[str], lang: str) -> None:
    if damaged:
        echo(counted("reports.damaged", len(set(damaged)), lang), err=True)


def _deliver(store: Store, target: Path, data: bytes, force: bool, detail: str) -> Path | None:
    """``data`` to the file ``target`` (None: to standard output), logged as one export."""
    from kindcheck.paths import write_output

    if is_stdout(target):
        store.log_access("export", None, detail + text("audit.to_stdout", "en"))
        write_stdout(data)
        return None
    path = write_output(target, data, force)
    store.log_access("export", None, detail)
    return path


# --------------------------------------------------------------------------------------------
# due


def _calendar_target(args: argparse.Namespace) -> Path | None:
    """Where the calendar goes: ``--ics FILE`` (the old form) or ``--ics -o FILE|-``."""
    if args.ics is None:
        if args.output is not None:
            usage_fail("reports.output_without_ics")
        return None
    if isinstance(args.ics, Path) and args.output is not None:
        usage_fail("reports.ics_twice")
    target: Path | None = args.ics if isinstance(args.ics, Path) else args.output
    if target is None:
        usage_fail("reports.ics_where")
    if args.json and is_stdout(target):
        usage_fail("reports.json_and_ics_stdout")
    return target


def cmd_due(args: argparse.Namespace) -> int:
    from kindcheck.followup import CalendarEntry, FollowUpState, plans_to_ics
    from kindcheck.paths import check_output_path
    from kindcheck.service.caseload import (
        due_list,
        merge_due,
        read_caseload,
        today_in_amsterdam,
    )

    lang = lang_of(args)
    target = _calendar_target(args)
    if target is not None and not is_stdout(target):
        check_output_path(target, args.force)  # before asking for the passphrase
    damaged: list[str] = []
    with unlock(args) as service, service.store() as store, _collector_paused():
        today = today_in_amsterdam()
        # The list from the caseload summary (one record, and the records of the clients
        # changed since it was made); the calendar needs the plans themselves.
        found = None if target is not None else _due_and_codes(store, today, damaged)
        items, codes = found if found is not None else (None, None)
        followups: list[DueFollowUp] = []
        if items is None:
            clients, plans, last_held, repeats = read_caseload(store, damaged)
            followups = due_list(clients, plans, last_held, today)
            items = merge_due(clients, followups, repeats, today)
        shown = [
            item
            for item in items
            if args.all or item.state in (FollowUpState.OVERDUE, FollowUpState.DUE)
        ]
        store.log_access("read", None, counted("audit.due_list", len(shown), "en"))
        if args.json:
            echo(json.dumps(_due_document(shown, today), ensure_ascii=True, indent=2))
        elif target is None or not is_stdout(target):
            _print_due(shown, lang, codes)
        _warn_unreadable_clients_due(store, today, damaged, lang)
        if target is not None:
            # Ended plans too: their end cuts the series a calendar imported before.
            entries = [
                CalendarEntry(
                    item.calendar_code, item.plan.plan, item.plan.revision, item.plan.updated_at
                )
                for item in followups
            ]
            # {ref} is filled in by plans_to_ics with each plan's calendar code.
            summary = text("reports.calendar_event", lang, ref="{ref}")
            name = text("reports.calendar_name", lang)
            calendar = plans_to_ics(entries, summary, calendar_name=name)
            detail = counted("audit.calendar", len(entries), "en")
            path = _deliver(store, target, calendar, args.force, detail)
            if path is not None:
                echo(counted("reports.ics_done", len(entries), lang, path=path))
    _warn_damaged(damaged, lang)
    return 0


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the list is made and printed: tens of thousands
    of small tuples, none in a cycle, made the collector walk everything the unlocked store
    holds again and again (a third of the list's time for 20,000 clients)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _due_from_summary(store: Store, today: date, damaged: list[str]) -> list[DueItem] | None:
    """The due list from the caseload summary, written back when it was made again (not on
    read-only media); None when the records must be read (a damaged one is named in
    ``damaged``, as is a summary that does not decrypt: it is then made again)."""
    found = _due_and_codes(store, today, damaged)
    return found[0] if found is not None else None


def _due_and_codes(
    store: Store, today: date, damaged: list[str]
) -> tuple[list[DueItem], dict[str, str]] | None:
    """:func:`_due_from_summary`, with the calendar code of each client (kept with the
    summary's due part: working 20,000 out took longer than printing them)."""
    from kindcheck.service.caseload_summary import current_summary, due_from_summary

    found = current_summary(store, damaged)
    if found is None:
        return None
    due, document = found
    try:
        listed = due_from_summary(due, today)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError):
        return None  # not what Kindcheck writes (a bug, not damage: it is authenticated)
    if document is not None and not store.read_only:
        store.write_caseload_summary(document, due)
    return listed


def _warn_unreadable_clients_due(store: Store, today: date, damaged: list[str], lang: str) -> None:
    """A follow-up due or overdue of a client whose own record cannot be read: it has no
    reference for the table, but an overdue safety follow-up must not vanish with it."""
    from kindcheck.followup import FollowUpState
    from kindcheck.service.caseload import plan_statuses
    from kindcheck.store import DamagedNote

    records = [note.record for note in damaged if isinstance(note, DamagedNote) and note.record]
    unreadable = {record.partition("/")[2] for record in records if record.startswith("client/")}
    if not unreadable:
        return
    for item in plan_statuses(store, today, damaged=[]):  # its damage is noted already
        state = item.status.state
        if item.client_id not in unreadable or state not in (
            FollowUpState.OVERDUE,
            FollowUpState.DUE,
        ):
            continue
        when = item.status.occurrence.date().isoformat() if item.status.occurrence else "-"
        echo(
            text(
                "reports.due_unreadable_client",
                lang,
                state=text(f"reports.{state.value}", lang),
                day=when,
                client=one_line(item.client_id)[:8],
            ),
            err=True,
        )


def _reason(item: DueItem, label: str) -> str:
    """The REASON column: followup, kindcheck:<event> or reask:<question> (ids as stored);
    ``label`` is the kind's (``reports.reason_<kind>``)."""
    return label if item.kind == "followup" else f"{label}:{one_line(item.detail)}"


def _print_due(shown: list[DueItem], lang: str, codes: Mapping[str, str] | None = None) -> None:
    """The due list as a table; ``codes``: the calendar codes by client id, where known."""
    from kindcheck.service.caseload import calendar_code

    code_of = codes or {}
    if not shown:
        echo(text("reports.nothing_due", lang))
        return
    # Each label looked up once, and each line's start (state, day, days late) made once:
    # a caseload's list is thousands of lines, on a few hundred days.
    labels = {state: text(f"reports.{state.value}", lang) for state in {i.state for i in shown}}
    kinds = {kind: text(f"reports.reason_{kind}", lang) for kind in {i.kind for i in shown}}
    reasons: dict[tuple[str, str], str] = {}
    heads: dict[tuple[Any, ...], str] = {}
    lines = [text("reports.due_header", lang)]
    append = lines.append
    for item in shown:
        kind, client_id, reference, when, state, late, detail = item
        head = heads.get((state, when, late))
        if head is None:
            day = when.isoformat() if when else "-"
            head = heads[state, when, late] = f"{labels[state]}|{day}|{late or ''}|"
        reason = reasons.get((kind, detail))
        if reason is None:
            reason = reasons[kind, detail] = _reason(item, kinds[kind])
        append(
            f"{head}{_cell(reference)}|{code_of.get(client_id) or calendar_code(client_id)}"
            f"|{reason}"
        )
    echo("\n".join(lines))


def _cell(value: str) -> str:
    """:func:`one_line`, at once for what it leaves as it is (printable ASCII, single spaces
    inside): most references."""
    if value.isascii() and value.isprintable() and "  " not in value and value.strip() == value:
        return value
    return one_line(value)


def _due_document(shown: list[DueItem], today: date) -> dict[str, Any]:
    """``due --json``: the table's columns and nothing more (schemas/due.schema.json)."""
    return {
        "format": DUE_FORMAT,
        "format_version": 1,
        "today": today.isoformat(),
        "items": [
            {
                "state": item.state.value,
                "date": item.when.isoformat() if item.when else None,
                "days_late": item.days_overdue or 0,
                "reference": item.reference,
                "calendar_code": item.calendar_code,
                "reason": item.reason,
            }
            for item in shown
        ],
    }


# --------------------------------------------------------------------------------------------
# export, team-key, merge


def _refuse_rounding(args: argparse.Namespace) -> None:
    if getattr(args, "round", False):
        usage_fail("reports.no_rounding")


def cmd_export(args: argparse.Namespace) -> int:
    from kindcheck import export
    from kindcheck.export.release import check_threshold
    from kindcheck.paths import check_output_path
    from kindcheck.service.caseload import today_in_amsterdam
    from kindcheck.service.reports import counts_detail, release_vault, render_release

    lang = lang_of(args)
    _refuse_rounding(args)
    if not is_stdout(args.output):
        check_output_path(args.output, args.force)
    public_key = _read(args.team_key, "a_public_key") if args.team_key else None
    for value in (args.min_cell, args.raise_min_cell):
        if value is not None:
            check_threshold(value)  # refuse a bad --min-cell early
    damaged: list[str] = []
    with unlock(args) as service, service.store() as store:
        ledger = release_vault(
            store,
            min_cell=None if public_key is not None else args.min_cell,
            raise_min_cell=args.raise_min_cell,
            damaged=damaged,
        )
        if public_key is not None:
            versions: dict[str, set[int]] = {}
            for found in ledger.questionnaires.values():
                for qid, numbers in found.items():
                    versions.setdefault(qid, set()).update(numbers)
            counts = export.Counts("month", {m: c for m, c in ledger.months.items() if c}, {})
            counts = export.Counts(
                "month",
                counts.periods,
                {q: tuple(sorted(v)) for q, v in sorted(versions.items())},
            )
            data = export.seal_team_file(
                counts,
                public_key,
                store.vault_id,
                months=list(ledger.months),
                exported_on=today_in_amsterdam().isoformat(),
                released={
                    row: (release.threshold, cells)
                    for row, (release, cells) in ledger.released_rows().items()
                },
            )
            path = _deliver(store, args.output, data, args.force, "team file (closed months)")
            if path is not None:
                echo(text("reports.team_done", lang, path=path))
        else:
            rendered = render_release(ledger, args.period, args.format, args.delimiter)
            detail = counts_detail(args.period, args.format)
            path = _deliver(store, args.output, rendered, args.force, detail)
            if path is not None:
                echo(text("reports.export_done", lang, path=path, threshold=ledger.threshold))
    _warn_damaged(damaged, lang)
    return 0


def cmd_team_key(args: argparse.Namespace) -> int:
    from kindcheck import export
    from kindcheck.paths import check_output_path, write_output

    from .common import SecretSource

    lang = lang_of(args)
    folder: Path = args.output
    if not folder.is_dir():
        if folder.exists():
            fail("reports.keys_folder_is_file", folder=folder)
        fail("reports.keys_no_folder", folder=folder)
    private_path, public_path = folder / "team-private.pem", folder / "team-public.pem"
    for path in (private_path, public_path):
        check_output_path(path, args.force)
    secrets = SecretSource(args)
    passphrase = secrets.read_new("the_team_key_passphrase")
    if not secrets.interactive:  # asked twice from a file or standard input too
        again = secrets.read("repeat_prompt", "the_team_key_passphrase")
        if again != passphrase:
            fail("secret.differ")
    private_pem, public_pem = export.make_team_keypair(passphrase)
    write_output(private_path, private_pem, args.force)
    write_output(public_path, public_pem, args.force)
    echo(text("reports.keys_done", lang, public=public_path, private=private_path))
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from datetime import datetime

    from kindcheck import __version__
    from kindcheck.export import SCAN_DOMAINS
    from kindcheck.export.release import (
        LaptopView,
        Ledger,
        all_domains,
        check_threshold,
        team_freeze,
    )
    from kindcheck.export.teamfile import (
        ledger_key,
        open_team_files,
        open_team_ledger,
        seal_team_ledger,
    )
    from kindcheck.followup import AMSTERDAM
    from kindcheck.paths import check_output_path, write_output
    from kindcheck.service.reports import render_release

    from .common import SecretSource

    _refuse_rounding(args)
    to_stdout = is_stdout(args.output)
    if not to_stdout:
        check_output_path(args.output, args.force)
    private_pem = _read(args.key, "a_private_key")
    if b"ENCRYPTED" not in private_pem:
        fail("reports.key_not_protected", path=args.key)
    files = [(str(path), _read(path, "a_team_file")) for path in args.team_files]
    passphrase = SecretSource(args).read("team_key_prompt", "the_team_key_passphrase")
    opened = open_team_files(files, private_pem, passphrase)
    key = ledger_key(private_pem, passphrase)
    ledger_path: Path = args.ledger or args.key.parent / "team-ledger.kcl"
    ledger = (
        Ledger.from_dict(
            open_team_ledger(_read(ledger_path, "a_team_ledger"), key, str(ledger_path))
        )
        if ledger_path.exists()
        else Ledger()
    )
    now = datetime.now(AMSTERDAM)
    if args.min_cell is not None:
        check_threshold(args.min_cell)
    ledger.settle_threshold(args.min_cell, args.raise_min_cell, now, what="team")
    versions: dict[str, set[int]] = {}
    for item in opened:
        for qid, numbers in item.counts.questionnaires.items():
            versions.setdefault(qid, set()).update(numbers)
    team_freeze(
        ledger,
        {item.laptop_id: (item.months or (), item.counts.periods) for item in opened},
        {q: sorted(v) for q, v in versions.items()},
    )
    laptops = {
        item.laptop_id: LaptopView(item.counts.periods, item.released or {}) for item in opened
    }
    ledger.release(now, __version__, all_domains(ledger, SCAN_DOMAINS), laptops)
    write_output(ledger_path, seal_team_ledger(ledger.to_dict(), key), True)
    rendered = render_release(ledger, args.period, args.format, args.delimiter, scope="team")
    if to_stdout:
        write_stdout(rendered)  # no vault, so no access log: team files hold counts only
        return 0
    path = write_output(args.output, rendered, args.force)
    echo(text("reports.export_done", lang_of(args), path=path, threshold=ledger.threshold))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Check that a set of export files keeps its promise together (no vault needed)."""
    from kindcheck.export.audit import audit_files

    lang = lang_of(args)
    files = [(str(path), _read(path, "an_export_file").decode("utf-8-sig")) for path in args.files]
    found = audit_files(files)
    if not found:
        echo(counted("reports.audit_ok", len(files), lang))
        return 0
    echo(counted("reports.audit_found", len(found), lang), err=True)
    for line in found[:50]:
        echo("  " + one_line(line), err=True)
    return 1


# --------------------------------------------------------------------------------------------
# The access log


def _log_table(entries: list[AccessEntry], lang: str) -> None:
    """The entries as a table: times in local time with the zone named in the header (the
    note on stderr adds the offsets), actions and details in ``lang``."""
    from kindcheck.accesslog import action_name, describe, outcome_name

    header = text("log.header", lang).split("|")
    header[0] += f" ({zone_name()})"
    rows = [header]
    for entry in entries:
        rows.append(
            [
                local_time(entry.at),
                one_line(entry.user) or "-",
                one_line(action_name(entry.action, lang)),
                one_line(entry.client_reference) or "-",
                one_line(describe(entry.detail, lang)) or "-",
                one_line(entry.outcome if lang == "en" else outcome_name(entry.outcome, lang)),
            ]
        )
    print_table(rows, [40, 24, 11, 30, 80, 10])


def cmd_log(args: argparse.Namespace) -> int:
    """``kindcheck log [--client REF] [--json]``: the access log at the terminal (itself a
    "read" entry), times in local time; ``-o FILE|- [--force]``: written as JSON with UTC times
    (an "export" entry, e.g. for a client's request to see who looked at their file)."""
    from kindcheck.paths import OutputPathError, check_output_path, write_output
    from kindcheck.service.access_log import log_document, log_file, read_access_log

    lang = lang_of(args)
    reference = args.client
    if reference is not None and not one_line(reference):
        fail("log.client_needed")
    to_stdout = is_stdout(args.output)
    if args.output is not None and not to_stdout:
        check_output_path(args.output, args.force)  # before the passphrase is asked
    damaged: list[str] = []
    written: Path | None = None
    with unlock(args) as service, service.store() as store:
        user = store.user_name
        if args.output is None:
            entries = read_access_log(store, reference, damaged)
        else:
            entries = store.access_log(reference, damaged)
            data = log_file(entries, reference, user)
            if to_stdout:
                where = text("audit.standard_output", "en")
                store.log_access(
                    "export", reference, counted("audit.log_export", len(entries), "en", path=where)
                )
                write_stdout(data)
            else:
                try:
                    written = write_output(args.output, data, args.force)
                except OutputPathError as error:
                    store.log_access(
                        "export", reference, f"access log to {args.output}: {error}", "refused"
                    )
                    raise
                store.log_access(
                    "export",
                    reference,
                    counted("audit.log_export", len(entries), "en", path=written),
                )
    if written is not None:
        echo(counted("log.written", len(entries), lang, path=written))
    elif to_stdout:
        pass  # the JSON went out already, and nothing else may join it
    elif args.json:
        # ASCII only: user text reaches the terminal, and \\u escapes cannot be control codes.
        echo(json.dumps(log_document(entries, reference, user), ensure_ascii=True, indent=2))
    elif not entries:
        which = text("log.for_client", lang, reference=one_line(reference)) if reference else ""
        echo(text("log.empty", lang, which=which))
    else:
        _log_table(entries, lang)
        # Said on stderr: the table on stdout stays the same to a script reading it.
        echo(zone_note([entry.at for entry in entries], lang), err=True)
    print_damaged(damaged)
    return 1 if damaged else 0
