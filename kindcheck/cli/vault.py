"""The commands that keep the vault: init, record, list, verify, passwd, backup, restore.

Each opens the vault through the service layer (kindcheck.cli.common.unlock, a
:class:`~kindcheck.service.vault_service.VaultService`). Nothing heavy is imported at the top:
the store (SQLModel, SQLAlchemy, cryptography) is imported when a command runs, and
``kindcheck --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.text import one_line

from .common import (
    SecretSource,
    counted,
    echo,
    fail,
    is_stdout,
    login_name,
    print_damaged,
    print_table,
    text,
    unlock,
    usage_fail,
    vault_service,
    warn_rollback,
)
from .common import lang as lang_of

if TYPE_CHECKING:
    from kindcheck.answers import EventRecord
    from kindcheck.service.recording import Recorded
    from kindcheck.store import ClientOverview

CLIENTS_FORMAT = "kindcheck-clients"
"""``kindcheck list --json``: schemas/clients.schema.json (version 1)."""


# The professional groups of the Meldcode guide (meldcode-v2.toml), named here so that
# `kindcheck --help` does not read the guide; a test keeps the two the same.
PROFESSIONAL_GROUPS = ("arts", "psycholoog", "verpleegkundige", "maatschappelijk_werker", "anders")


def _kind_label(kind: str, lang: str) -> str:
    return text(f"vault.kind_{kind}", lang) if kind in ("intake", "followup") else kind


def cmd_init(args: argparse.Namespace) -> int:
    service, lang = vault_service(args), lang_of(args)
    group = getattr(args, "professional_group", None)
    if group is not None and group not in PROFESSIONAL_GROUPS:
        usage_fail(
            "vault.unknown_group", group=one_line(group), choices=", ".join(PROFESSIONAL_GROUPS)
        )
    if service.exists():
        fail("vault.exists", folder=service.data_dir)
    passphrase = SecretSource(args).read_new()
    user = one_line(args.user) if args.user else login_name()
    with service:
        recovery_key = service.create(passphrase, user)
        if group is not None:
            service.set_professional_group(group)
    echo(text("vault.created", lang, path=service.data_dir))
    echo()
    echo(text("vault.recovery", lang))
    echo()
    echo(f"    {recovery_key}")
    echo()
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from kindcheck.answers import Session, read_record_file
    from kindcheck.outcome import outcome_lines

    lang = lang_of(args)
    # Validate before asking for the passphrase: a bad file costs no key derivation.
    session = read_record_file(args.answers)
    if not isinstance(session, Session):
        return _record_event(args, session, lang)
    with unlock(args) as service:
        # The outcome with what the vault knows (an open Meldcode process, hand-offs not yet
        # confirmed, the professional group), computed once and stored as printed.
        outcome = service.outcome_for(session)
        result = service.record(session, outcome)
    echo("\n".join(outcome_lines(outcome, lang)))
    for line in _plan_lines(result, lang):
        echo(line)
    echo()
    echo(
        text(
            "vault.saved",
            lang,
            kind=_kind_label(result.session.kind, lang),
            date=result.session.session_date.isoformat(),
            reference=one_line(result.client.reference),
            new=text("vault.new_client", lang) if result.client_created else "",
        )
    )
    return 0


def _record_event(args: argparse.Namespace, event: EventRecord, lang: str) -> int:
    """``kindcheck record EVENT.json``: an event for a client already in the vault."""
    with unlock(args) as service:
        due = service.record_event_for(event.client_reference, event.event, event.on)
    if due is None:
        fail("vault.event_no_client", reference=one_line(event.client_reference))
    echo(
        text(
            "vault.event_saved",
            lang,
            event=event.event,
            date=event.on.isoformat(),
            reference=one_line(event.client_reference),
            due=due.isoformat(),
        )
    )
    return 0


def _plan_lines(result: Recorded, lang: str) -> list[str]:
    from kindcheck.followup import AMSTERDAM, next_occurrence
    from kindcheck.i18n import t

    if result.plan is None:
        return []
    end_of_session_day = datetime.combine(result.session.session_date, time.max, AMSTERDAM)
    after = max(datetime.now(AMSTERDAM), end_of_session_day)
    upcoming = next_occurrence(result.plan.plan, after)
    if upcoming is None:
        return [text("vault.plan_ended", lang)]
    when = f"{upcoming:%Y-%m-%d %H:%M}"
    if result.plan_change == "new":
        return [text("vault.plan_new", lang, when=when)]
    if result.plan_change == "more_frequent" and result.plan.rhythm is not None:
        rhythm = t(f"rhythm.{result.plan.rhythm.value}", lang)
        return [text("vault.plan_more_frequent", lang, rhythm=rhythm, when=when)]
    return [text("vault.plan_unchanged", lang, when=when)]


def cmd_list(args: argparse.Namespace) -> int:
    lang = lang_of(args)
    damaged: list[str] = []
    # Every client's reference and name: one "read" entry, in the same transaction. The
    # entry's detail is English whatever the language (one log for every reader).
    with unlock(args) as service, service.store() as store, store.batch():
        overviews = store.list_clients(damaged)
        store.log_access("read", None, counted("audit.client_list", len(overviews), "en"))
    if args.json:
        echo(json.dumps(_clients_document(overviews), ensure_ascii=True, indent=2))
    elif not overviews:
        echo(text("vault.no_clients", lang))
    else:
        rows = [text("vault.list_header", lang).split("|")]
        for overview in overviews:
            last = overview.last_session
            domains = "-"
            if last is not None and last.problem_domain_count is not None:
                domains = str(last.problem_domain_count)
            rows.append(
                [
                    one_line(overview.client.reference),
                    one_line(overview.client.name) or "-",
                    str(overview.session_count),
                    last.session_date.isoformat() if last else "-",
                    _kind_label(last.kind, lang) if last else "-",
                    domains,
                ]
            )
        print_table(rows, [40] * len(rows[0]))
    print_damaged(damaged)
    return 1 if damaged else 0


def _clients_document(overviews: list[ClientOverview]) -> dict[str, Any]:
    """``list --json``: the table's columns and nothing more (schemas/clients.schema.json).
    ASCII only: names reach the terminal, and ``\\u`` escapes cannot be control codes."""
    return {
        "format": CLIENTS_FORMAT,
        "format_version": 1,
        "clients": [
            {
                "reference": overview.client.reference,
                "name": overview.client.name,
                "session_count": overview.session_count,
                "last_session": None
                if overview.last_session is None
                else {
                    "date": overview.last_session.session_date.isoformat(),
                    "kind": overview.last_session.kind,
                    "problem_domains": overview.last_session.problem_domain_count,
                },
            }
            for overview in overviews
        ],
    }


def cmd_verify(args: argparse.Namespace) -> int:
    from kindcheck.service.plans import verify_vault

    lang = lang_of(args)
    # inspect: read-only and never refused, so every problem of the file can be listed.
    with unlock(args, inspect=not args.accept_older) as service, service.store() as store:
        if args.accept_older:
            store.acknowledge_rollback()
        problems = verify_vault(store)
        if store.rollback_warning:
            problems.append(text("vault.verify_older", lang))
        count = sum(store.count_records().values()) if not problems else 0
    for problem in problems:
        echo(problem)
    if problems:
        echo(counted("vault.verify_bad", len(problems), lang), err=True)
        return 1
    echo(counted("vault.verify_ok", count, lang))
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    service, lang = vault_service(args), lang_of(args)
    if not service.exists():
        fail("vault.no_vault", folder=service.data_dir)
    secrets = SecretSource(args)
    if args.new_recovery_key:
        current = secrets.read("passphrase_prompt", "the_passphrase")
        with service:
            service.unlock(current)
            warn_rollback(service, lang)
            recovery_key = service.new_recovery_key(current)
        echo(text("vault.new_recovery", lang))
        echo()
        echo(f"    {recovery_key}")
        echo()
        return 0
    if args.recovery:
        recovery_key = secrets.read("recovery_prompt", "the_recovery_key")
        new = secrets.read_new()
        with service:
            service.unlock_with_recovery(recovery_key, new)
            warn_rollback(service, lang)
        echo(text("vault.recovered", lang))
        return 0
    old = secrets.read("current_prompt", "the_current_passphrase")
    new = secrets.read_new()
    with service:
        service.unlock(old)
        warn_rollback(service, lang)
        service.change_passphrase(old, new)
    echo(text("vault.passwd_done", lang))
    return 0


def backup_target(args: argparse.Namespace) -> Path:
    """The backup file: ``-o FILE``, or the old positional ``FILE``; exactly one of them."""
    if args.file is not None and args.output is not None:
        usage_fail("vault.backup_twice")
    target: Path | None = args.output if args.output is not None else args.file
    if target is None:
        usage_fail("vault.backup_where")
    if is_stdout(target):
        usage_fail("vault.backup_stdout")  # SQLite's backup API writes a file, not a stream
    return target


def cmd_backup(args: argparse.Namespace) -> int:
    from kindcheck.paths import check_output_path

    target = backup_target(args)
    # Checked before the passphrase is asked (and again by the store, which logs a refusal):
    # an existing FILE needs --force, a symbolic link is refused even with it.
    check_output_path(target, args.force)
    with unlock(args) as service, service.store() as store:
        written = store.backup(target, force=args.force)
    echo(text("vault.backup_done", lang_of(args), path=written))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    service = vault_service(args)
    if service.exists() and not args.force:
        fail("vault.exists_use_force", folder=service.data_dir)
    passphrase = SecretSource(args).read("backup_prompt", "the_backup_passphrase")
    service.restore(args.file, passphrase, force=args.force)
    echo(text("vault.restore_done", lang_of(args), path=service.data_dir))
    return 0
