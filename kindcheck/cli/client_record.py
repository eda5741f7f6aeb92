"""The client record at the command line: show, amend, move, handoff, dossier, delete-client.

The work is the application layer's (kindcheck.service.client_record), shared with the app's
session view and client page; these commands read the command line, open the vault through the
service and print. What each writes to the access log is the service's: ``show`` one "read",
``amend`` and ``move`` one "change" (the plan that follows is part of it), ``handoff`` and
``dossier`` one "export" each (also for ``-o -``, written before the data), ``delete-client``
one "delete" under the client's pseudonym.

A path to write is checked before the passphrase is asked (a typo costs no key derivation),
and again when it is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kindcheck.text import one_line

from .common import (
    counted,
    echo,
    fail,
    is_stdout,
    is_terminal,
    text,
    unlock,
    usage_fail,
    write_stdout,
)
from .common import lang as lang_of

if TYPE_CHECKING:
    from kindcheck.service.client_record import Amended

RULE = "=" * 100


def _today() -> date:
    from kindcheck.service.caseload import today_in_amsterdam

    return today_in_amsterdam()


def cmd_show(args: argparse.Namespace) -> int:
    """``kindcheck show SESSION_ID|REF [--json]``: one session, or every session of a client
    (oldest first), as the plain-text summary or the session-record JSON."""
    from kindcheck.record import record_document, render_text
    from kindcheck.service.client_record import (
        client_records,
        find_session_or_client,
        load_record,
    )

    lang = lang_of(args)
    key = one_line(args.key)
    if not key:
        usage_fail("record.key_needed")
    today = _today()
    with unlock(args) as service, service.store() as store:
        session_id, client = find_session_or_client(store, key)
        if session_id is not None:
            records = [load_record(store, session_id, today)]
        else:
            assert client is not None
            records = client_records(store, client.id, today)
    if args.json:
        documents = [record_document(record) for record in records]
        # ASCII only: what a person typed reaches the terminal, and \u escapes cannot be
        # control codes. One session: its document; a client: a list of them.
        shown = documents[0] if session_id is not None else documents
        echo(json.dumps(shown, ensure_ascii=True, indent=2))
        return 0
    if not records:
        echo(text("record.no_sessions", lang))
        return 0
    for index, record in enumerate(records):
        if index:
            echo(RULE)
        echo(render_text(record, lang), end="")
    return 0


def _outcome_lines(amended: Amended, lang: str) -> list[str]:
    record = amended.record
    lines = [text("record.outcome_now", lang, summary=record.outcome.summary.get(lang))]
    if record.outcome_as_recorded is not None:
        lines.append(
            text("record.outcome_then", lang, summary=record.outcome_as_recorded.summary.get(lang))
        )
    return lines + _plan_lines(amended, lang)


def _plan_lines(amended: Amended, lang: str) -> list[str]:
    lines = []
    if amended.plan_change in ("new", "more_frequent"):
        lines.append(text(f"record.plan_{amended.plan_change}", lang))
    if amended.plan_more_frequent_than_needed:
        lines.append(text("record.plan_looser", lang))
    return lines


def cmd_amend(args: argparse.Namespace) -> int:
    """``kindcheck amend SESSION_ID --answer ID=VALUE ... --reason TEXT``: correct answers
    (the original stays readable); the outcome and the plan follow."""
    from kindcheck.record import AmendmentError
    from kindcheck.service.client_record import amend_session, answer_from_text, load_record

    lang = lang_of(args)
    pairs = []
    for given in args.answer:
        key, equals, value = given.partition("=")
        if not equals or not key.strip():
            usage_fail("record.answer_form", given=one_line(given)[:80])
        pairs.append((key.strip(), value))
    if not one_line(args.reason):
        usage_fail("record.reason_needed")
    today = _today()
    with unlock(args) as service, service.store() as store:
        record = load_record(store, args.session_id, today, log=False)
        try:
            new = [answer_from_text(record, key, value) for key, value in pairs]
            amended = amend_session(store, args.session_id, new, args.reason, today, service.lang)
        except AmendmentError as error:
            fail("record.amend_refused", reason=str(error))
    echo(
        counted(
            "record.amended",
            len(amended.amendment.changes),
            lang,
            id=amended.amendment.id,
            reference=one_line(amended.record.client_reference),
        )
    )
    for line in _outcome_lines(amended, lang):
        echo(line)
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    """``kindcheck move SESSION_ID --to REF --reason TEXT``: file the session under the right
    client (a typo in the reference); the move is an amendment, the original reference stays."""
    from kindcheck.record import AmendmentError
    from kindcheck.service.client_record import move_session

    lang = lang_of(args)
    if not one_line(args.to):
        usage_fail("record.to_needed")
    if not one_line(args.reason):
        usage_fail("record.reason_needed")
    with unlock(args) as service, service.store() as store:
        try:
            amended = move_session(
                store, args.session_id, args.to, args.reason, _today(), service.lang
            )
        except AmendmentError as error:
            fail("record.move_refused", reason=str(error))
    echo(
        text(
            "record.moved",
            lang,
            source=one_line(amended.amendment.moved_from),
            target=one_line(amended.amendment.moved_to),
        )
    )
    for line in _plan_lines(amended, lang):
        echo(line)
    return 0


def cmd_handoff(args: argparse.Namespace) -> int:
    """``kindcheck handoff SESSION_ID --format text|pdf|fhir -o FILE|-``: the session for the
    EPD, in the chosen language, from the one rendering of the record."""
    from kindcheck.paths import OutputPathError, check_output_path
    from kindcheck.service.client_record import (
        HandoffOverwrite,
        handoff_bytes,
        handoff_detail,
        load_record,
        write_logged,
    )

    lang = lang_of(args)
    to_stdout = is_stdout(args.output)
    if to_stdout and args.format == "pdf" and is_terminal(sys.stdout):
        fail("record.pdf_to_terminal")
    if not to_stdout:
        check_output_path(args.output, args.force)  # before the passphrase is asked
    detail = handoff_detail(args.session_id, args.format, lang)
    with unlock(args) as service, service.store() as store:
        record = load_record(store, args.session_id, _today(), log=False)
        data = handoff_bytes(record, args.format, lang)
        if to_stdout:
            store.log_access(
                "export", record.client_reference, detail + text("audit.to_stdout", "en")
            )
            write_stdout(data)
            return 0
        try:
            written = write_logged(
                store, args.output, data, args.force, record.client_reference, detail
            )
        except HandoffOverwrite as exists:
            raise OutputPathError.from_catalog("error.path.exists", path=exists.path) from None
    echo(text("record.handoff_written", lang, path=written))
    return 0


def cmd_dossier(args: argparse.Namespace) -> int:
    """``kindcheck dossier REF -o DIR``: everything about one client as PDF and JSON (the
    client's right of access), logged as one export."""
    from kindcheck.paths import OutputPathError
    from kindcheck.service.client_record import (
        HandoffOverwrite,
        export_dossier,
        find_session_or_client,
    )

    lang = lang_of(args)
    folder = Path(args.output).expanduser()
    if not folder.is_dir():
        fail("record.folder_needed", folder=args.output)
    with unlock(args) as service, service.store() as store:
        _session, client = find_session_or_client(store, args.reference)
        if client is None:
            fail("record.reference_needed")
        try:
            files = export_dossier(store, client, folder, _today(), lang, args.force)
        except HandoffOverwrite as exists:
            raise OutputPathError.from_catalog("error.path.exists", path=exists.path) from None
    echo(counted("record.dossier_written", files.sessions, lang, pdf=files.pdf, json=files.json))
    return 0


def _typed(lang: str, reference: str) -> str:
    """The reference typed again at the terminal (nothing else confirms a deletion)."""
    if not is_terminal(sys.stdin):
        fail("record.confirm_needed")
    echo(text("record.type_reference", lang, reference=one_line(reference)), end="")
    try:
        sys.stdout.flush()
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        answer = ""
    return answer.rstrip("\r\n")


def cmd_delete_client(args: argparse.Namespace) -> int:
    """``kindcheck delete-client REF [--yes-i-typed REF]``: delete a client and everything of
    theirs from the vault after the reference is typed again (AVG art. 17)."""
    from kindcheck.errors import KindcheckError
    from kindcheck.service.client_record import delete_client

    lang = lang_of(args)
    reference = one_line(args.reference)
    if not reference:
        usage_fail("record.key_needed")
    with unlock(args) as service, service.store() as store:
        client = store.find_client(reference, log=False)
        if client is None:
            store.log_access("search", reference, "reference search: no match")
            fail("record.no_such_client", reference=reference)
        sessions = len(store.list_sessions(client.id, log=False))
        warning = counted(
            "record.delete_warning", sessions, lang, reference=one_line(client.reference)
        )
        echo(warning, err=True)
        typed = args.yes_i_typed if args.yes_i_typed is not None else _typed(lang, reference)
        try:
            changed = delete_client(store, client.reference, typed)
        except KindcheckError:
            fail("record.not_deleted")
    echo(counted("record.deleted", changed, lang, reference=one_line(client.reference)))
    return 0
