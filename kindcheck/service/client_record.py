"""The client record in the application layer: read a session back, correct it, move it, hand
it to the EPD, and the client's rights (everything about them; deleting them).

What ``kindcheck show/amend/move/handoff/dossier/delete-client`` and the app's session view
and client page call. The store keeps plain data; the record package (:mod:`kindcheck.record`)
renders it; here the two meet, with the access log's rules:

- showing a session is one "read" entry (the store's ``get_session``); showing a client's
  sessions is one "read" of the client's file;
- a correction or a move is one "change" entry (the store writes it with the amendment, in
  the same transaction); the follow-up plan that follows it is stored inside that
  transaction and logs nothing of its own;
- every hand-off (a file, standard output, the clipboard) and the dossier is one "export"
  entry, written where the clinician chose, through :mod:`kindcheck.paths` (no symbolic
  links, no overwrite without asking, atomic); a refused path is logged refused;
- deleting a client is the store's (:meth:`kindcheck.store.Store.delete_client`), after the
  reference was typed again.

After a correction the outcome, the client's plan and the export follow the corrected answers:
the outcome is recomputed (:func:`kindcheck.record.recompute_outcome`) and stored with the
amendment, the session's list header follows it (the store does that), the plan is revised by
the same rule as after a new session (:func:`kindcheck.followup.plan_after_session`: a more
frequent rhythm or a later end date is taken over; a less frequent one is the clinician's
decision, so the result says when the plan is now more frequent than the answers ask), and
the export reads the corrected answers and outcome (:func:`corrected`).

Functions that take a :class:`~.vault_service.VaultService` are the screens' (blocking: call
them from thread workers); the others take the open store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kindcheck.errors import KindcheckError, VaultError

from .amended import corrected

if TYPE_CHECKING:
    from kindcheck.outcome import Outcome
    from kindcheck.record import Amendment, NewAnswer, SessionRecord
    from kindcheck.store import Client, Store, StoredSession

    from .vault_service import VaultService

__all__ = [
    "HANDOFF_FORMATS",
    "Amended",
    "DossierFiles",
    "HandoffOverwrite",
    "amend_session",
    "answer_from_text",
    "client_records",
    "correct_session",
    "corrected",
    "delete_client",
    "delete_client_of_page",
    "dossier_names",
    "export_dossier",
    "find_session_or_client",
    "handoff_bytes",
    "handoff_to_clipboard",
    "load_record",
    "move_session",
    "open_session",
    "record_blocks",
    "references_match",
    "save_client_dossier",
    "save_handoff",
    "typed_answer",
]

HANDOFF_FORMATS: Final = ("text", "pdf", "fhir")
"""The hand-offs to the EPD: the plain-text summary, the PDF, the HL7 FHIR R4 Bundle."""
HANDOFF_SUFFIX: Final = {"text": "txt", "pdf": "pdf", "fhir": "fhir.json"}
SESSION_ID: Final = re.compile(r"[0-9a-f]{32}")


class HandoffOverwrite(KindcheckError):
    """The chosen file exists: ask before writing over it (not an error to show)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def _no_session(session_id: str) -> VaultError:
    from kindcheck.text import one_line

    return VaultError.from_catalog("error.record.no_session", id=one_line(session_id)[:80])


def _no_client(reference: str) -> VaultError:
    from kindcheck.text import one_line

    return VaultError.from_catalog("error.record.no_client", reference=one_line(reference)[:80])


# ---------------------------------------------------------------------------------------------
# Reading


def _amendments(store: Store, session_id: str) -> list[Amendment]:
    from kindcheck.record import amendment_from_dict

    return [amendment_from_dict(a.amendment) for a in store.session_amendments(session_id)]


def _recorded_by(store: Store, stored: StoredSession, reference: str) -> str | None:
    """Who recorded the session: kept with it since this version; for an older session, the
    user of the access log's "create" entry that names it."""
    if stored.recorded_by:
        return stored.recorded_by
    marker = f"session {stored.id}"
    for entry in store.access_log(reference, damaged=[]):
        if entry.action == "create" and entry.detail.startswith(marker):
            return entry.user
    return None


def _plan_input(store: Store, client_id: str, today: date) -> Any:
    from kindcheck.record import PlanInput

    from .plans import get_plan

    stored_plan = get_plan(store, client_id)
    if stored_plan is None:
        return None
    rhythm = stored_plan.rhythm.value if stored_plan.rhythm is not None else None
    return PlanInput(stored_plan.plan.to_dict(), rhythm, today)


def _build(store: Store, stored: StoredSession, today: date, client: Client) -> SessionRecord:
    from kindcheck.record import build_session_record

    amendments = _amendments(store, stored.id)
    return build_session_record(
        stored.answers,
        stored.outcome,
        session_id=stored.id,
        recorded_at=stored.summary.saved_at,
        recorded_by=_recorded_by(store, stored, client.reference),
        meldcode_steps=store.meldcode_steps(stored.id).values(),
        amendments=amendments,
        plan=_plan_input(store, stored.summary.client_id, today),
    )


def load_record(store: Store, session_id: str, today: date, *, log: bool = True) -> SessionRecord:
    """One stored session as a record. ``log``: this is *opening the session*, one "read"
    entry (the store's); False when the caller logs what it does with it (an export)."""
    stored = store.get_session(session_id, log=log)
    if stored is None:
        raise _no_session(session_id)
    client = store.get_client(stored.summary.client_id)
    if client is None:
        raise _no_session(session_id)
    return _build(store, stored, today, client)


def client_records(
    store: Store, client_id: str, today: date, *, log: bool = True
) -> list[SessionRecord]:
    """Every session of a client as a record, oldest first. ``log``: one "read" entry for the
    client's file (the store's ``list_sessions``), none per session."""
    client = store.get_client(client_id)
    if client is None:
        raise VaultError("no such client")
    records = []
    for summary in store.list_sessions(client_id, log=log):
        stored = store.get_session(summary.id, log=False)
        if stored is not None:
            records.append(_build(store, stored, today, client))
    return records


def find_session_or_client(store: Store, key: str) -> tuple[str | None, Client | None]:
    """What ``kindcheck show KEY`` names: a session id (32 hex digits of a stored session)
    or a client reference. (session id, None) or (None, client); VaultError naming ``key``
    when it is neither. A reference searched and not found is logged as a search."""
    if SESSION_ID.fullmatch(key):
        found = store.get_session(key, log=False)
        if found is not None:
            return key, None
    client = store.find_client(key, log=False)
    if client is None:
        store.log_access("search", key, "reference search: no match")
        raise _no_client(key)
    return None, client


# ---------------------------------------------------------------------------------------------
# Correcting and moving


@dataclass(frozen=True)
class Amended:
    """What a correction or a move did: the amendment, the record after it, and the plan."""

    amendment: Amendment
    record: SessionRecord
    plan_change: str  # "new", "more_frequent", "unchanged", "none" or "removed"
    client_id: str
    # The corrected answers call for a less frequent rhythm than the plan has: the plan stays
    # (loosening it is the clinician's decision), and the screens say so.
    plan_more_frequent_than_needed: bool = False


def _context(stored: StoredSession) -> Any:
    from kindcheck.record import OutcomeContext

    group = stored.outcome.get("professional_group")
    return OutcomeContext(group=group if isinstance(group, str) else None)


def _revise_plan(
    store: Store, client_id: str, outcome: Outcome, session_date: date
) -> tuple[str, bool]:
    """The client's plan after a session's answers changed, by the rule after a new session;
    stored without an access-log entry of its own (the amendment's entry covers it)."""
    from kindcheck.followup import plan_after_session
    from kindcheck.followup.policy import rhythm_rank

    from .plans import get_plan, save_plan

    with store.unlogged():
        existing = get_plan(store, client_id)
        planned = plan_after_session(existing, outcome, session_date)
        if planned is None:
            return ("none" if existing is None else "unchanged"), False
        plan, rhythm, change = planned
        if existing is None or plan != existing.plan or rhythm != existing.rhythm:
            save_plan(store, client_id, plan, rhythm)
        looser = (
            existing is not None
            and existing.rhythm is not None
            and rhythm_rank(outcome.followup_rhythm) < rhythm_rank(existing.rhythm)
        )
        return change, looser


def answer_from_text(record: SessionRecord, key: str, text: str) -> NewAnswer:
    """One new answer as a person names and types it: ``key`` is a question id, or
    ``group[item].question`` for one asked per child (item from 0), either optionally after
    ``questionnaire:``; ``text`` as typed (kindcheck.questionnaire.parse_user_input: "ja",
    a number, an option id, ...), empty for "no answer". AmendmentError names what is wrong."""
    from kindcheck.record import AmendmentError, parse_answer_path
    from kindcheck.text import one_line

    wanted, _, path = key.rpartition(":")
    question_id, item = parse_answer_path(path.strip())
    parts = [
        part
        for part in record.parts
        if (not wanted or part.questionnaire_id == wanted.strip())
        and part.questionnaire.has_question(question_id)
    ]
    if not parts:
        raise AmendmentError(f"'{one_line(key)[:80]}' is not a question of this session")
    if len(parts) > 1:
        names = ", ".join(part.questionnaire_id for part in parts)
        raise AmendmentError(
            f"'{question_id}' is asked in {names}: name one, as questionnaire:{question_id}"
        )
    return typed_answer(record, parts[0].questionnaire_id, question_id, item, text)


def typed_answer(
    record: SessionRecord, questionnaire_id: str, question_id: str, item: int | None, text: str
) -> NewAnswer:
    """A new answer as typed for one question of the session (empty: no answer), checked by
    the question's own rules (kindcheck.questionnaire.parse_user_input); AmendmentError says
    what does not fit. The app's correction dialog and ``kindcheck amend`` both use it."""
    from kindcheck.errors import AnswersError
    from kindcheck.questionnaire import parse_user_input
    from kindcheck.record import AmendmentError, NewAnswer

    part = next((p for p in record.parts if p.questionnaire_id == questionnaire_id), None)
    if part is None or not part.questionnaire.has_question(question_id):
        raise AmendmentError(f"'{question_id}' is not a question of this session")
    if not text.strip():
        return NewAnswer(questionnaire_id, question_id, None, item)
    try:
        value = parse_user_input(part.questionnaire.question(question_id), text)
    except AnswersError as error:
        raise AmendmentError(str(error)) from None
    return NewAnswer(questionnaire_id, question_id, value, item)


def amend_session(
    store: Store,
    session_id: str,
    new_answers: Sequence[NewAnswer],
    reason: str,
    today: date,
    lang: str = "nl",
) -> Amended:
    """Correct answers of a stored session (one "change" entry): the amendment by the vault's
    user, now, with ``reason``; the outcome recomputed and the plan revised, in one
    transaction. AmendmentError (nothing stored) when the correction does not fit."""
    from kindcheck.outcome import outcome_to_json
    from kindcheck.record import correct, current_answers, recompute_outcome

    from .facts import facts_record
    from .followthrough import refresh_reasks

    with store.batch():
        stored = store.get_session(session_id, log=False)
        if stored is None:
            raise _no_session(session_id)
        earlier = _amendments(store, session_id)
        amendment = correct(
            current_answers(stored.answers, earlier),
            new_answers,
            session_id=session_id,
            reason=reason,
            by=store.user_name or "unknown",
        )
        every = [*earlier, amendment]
        outcome = recompute_outcome(stored.answers, every, _context(stored))
        after = current_answers(stored.answers, every)
        saved = outcome_to_json(outcome, lang)
        # The facts record follows the corrected answers: the export counts those.
        store.amend_session(
            session_id, amendment.to_dict(), after, saved, facts_record(after, saved)
        )
        change, looser = _revise_plan(
            store, stored.summary.client_id, outcome, stored.summary.session_date
        )
        # A corrected "don't know" takes its re-ask along (and a new one puts one on the list).
        refresh_reasks(store, stored.summary.client_id)
        record = load_record(store, session_id, today, log=False)
    return Amended(amendment, record, change, stored.summary.client_id, looser)


def move_session(
    store: Store, session_id: str, to_reference: str, reason: str, today: date, lang: str = "nl"
) -> Amended:
    """File a session under another client reference (a typo), with a "move" amendment, in
    one transaction: the client of that reference is found or added, the session re-parented
    (with its Meldcode steps and corrections), the new client's plan revised by the session's
    outcome; the old client keeps its other sessions, and loses its plan when none is left."""
    from kindcheck.outcome import outcome_to_json
    from kindcheck.record import current_answers, move, recompute_outcome

    from .facts import facts_record
    from .followthrough import refresh_reasks

    with store.batch():
        stored = store.get_session(session_id, log=False)
        if stored is None:
            raise _no_session(session_id)
        earlier = _amendments(store, session_id)
        current = current_answers(stored.answers, earlier)
        amendment = move(
            current,
            to_reference,
            session_id=session_id,
            reason=reason,
            by=store.user_name or "unknown",
        )
        every = [*earlier, amendment]
        after = current_answers(stored.answers, every)
        target = store.find_client(to_reference, log=False)
        if target is None:
            client = after.get("client")
            name = client.get("name") if isinstance(client, dict) else None
            target = store.add_client(
                amendment.moved_to or to_reference, name if isinstance(name, str) else None
            )
        outcome = recompute_outcome(stored.answers, every, _context(stored))
        source = stored.summary.client_id
        saved = outcome_to_json(outcome, lang)
        store.move_session(
            session_id, target.id, amendment.to_dict(), after, saved, facts_record(after, saved)
        )
        change, looser = _revise_plan(store, target.id, outcome, stored.summary.session_date)
        if not store.list_sessions(source, log=False) and store.get_plan(source) is not None:
            store.delete_plan(source)  # a plan for a reference with no session left
        for client_id in (source, target.id):  # the session's re-asks move with it
            refresh_reasks(store, client_id)
        record = load_record(store, session_id, today, log=False)
    return Amended(amendment, record, change, target.id, looser)


# ---------------------------------------------------------------------------------------------
# Hand-offs to the EPD


def handoff_bytes(record: SessionRecord, file_format: str, lang: str) -> bytes:
    """One rendering of the session as the bytes of its hand-off (all built in memory)."""
    from kindcheck.record import render_fhir, render_pdf, render_text

    if file_format == "text":
        return render_text(record, lang).encode("utf-8")
    if file_format == "pdf":
        return render_pdf(record, lang)
    if file_format == "fhir":
        return (json.dumps(render_fhir(record), ensure_ascii=False, indent=2) + "\n").encode()
    raise KindcheckError(f"unknown hand-off format {file_format!r}")


def handoff_detail(session_id: str, file_format: str, lang: str) -> str:
    """What a hand-off is called in the access log (English, as every entry's detail)."""
    return f"session {session_id} as {file_format} ({lang})"


def write_logged(
    store: Store, path: str | Path, data: bytes, force: bool, reference: str, what: str
) -> Path:
    """Write a file the clinician chose (kindcheck.paths: checked, atomic) and log it as one
    "export" entry; a refused path is logged refused. An existing file raises
    HandoffOverwrite unless ``force`` (the screens ask; the CLI says to use --force)."""
    from kindcheck.paths import OutputPathError, check_output_path, write_output

    try:
        check_output_path(path, force)
        written = write_output(path, data, force)
    except OutputPathError as error:
        if not force and _exists_plainly(path):
            raise HandoffOverwrite(Path(path)) from None
        store.log_access("export", reference, f"{what} to {path}: {error}", "refused")
        raise
    store.log_access("export", reference, f"{what} to {written}")
    return written


def _exists_plainly(path: str | Path) -> bool:
    from kindcheck.paths import OutputPathError, check_output_path

    try:
        check_output_path(path, force=True)
    except OutputPathError:
        return False
    return True


def save_handoff(
    service: VaultService,
    session_id: str,
    file_format: str,
    lang: str,
    path: str | Path,
    force: bool = False,
) -> Path:
    """The session's hand-off written to ``path`` (one "export" entry)."""
    with service.store() as store:
        record = load_record(store, session_id, service.clock(), log=False)
        data = handoff_bytes(record, file_format, lang)
        return write_logged(
            store,
            path,
            data,
            force,
            record.client_reference,
            handoff_detail(session_id, file_format, lang),
        )


def handoff_to_clipboard(service: VaultService, session_id: str, lang: str) -> str:
    """The plain-text summary for the clipboard, logged as one "export" entry first (if the
    entry cannot be written, nothing is handed out)."""
    from kindcheck.record import render_text

    with service.store() as store:
        record = load_record(store, session_id, service.clock(), log=False)
        text = render_text(record, lang)
        store.log_access(
            "export",
            record.client_reference,
            handoff_detail(session_id, "text", lang) + " to the clipboard",
        )
        return text


# ---------------------------------------------------------------------------------------------
# The client's rights


@dataclass(frozen=True)
class DossierFiles:
    pdf: Path
    json: Path
    sessions: int
    log_entries: int


def dossier_names(reference: str, today: date) -> tuple[str, str]:
    """The dossier's two file names in the chosen folder."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", reference).strip("_")[:40] or "client"
    stem = f"kindcheck-dossier-{safe}-{today.isoformat()}"
    return f"{stem}.pdf", f"{stem}.json"


def export_dossier(
    store: Store, client: Client, folder: str | Path, today: date, lang: str, force: bool = False
) -> DossierFiles:
    """Everything about one client (AVG art. 15) as a PDF and a JSON file in ``folder``:
    their sessions with corrections, Meldcode steps and hand-offs, the plan, and the access
    log about them. One "export" entry; both paths are checked before either is written."""
    from kindcheck.paths import OutputPathError, check_output_path, write_output
    from kindcheck.record import DossierClient, render_client_dossier

    target = Path(folder).expanduser()
    if not target.is_dir() or target.is_symlink():
        raise KindcheckError.from_catalog("error.record.no_folder", folder=str(folder))
    pdf_name, json_name = dossier_names(client.reference, today)
    paths = (target / pdf_name, target / json_name)
    what = "client dossier (pdf, json)"
    with store.batch():
        records = client_records(store, client.id, today, log=False)
        entries = store.access_log(client.reference)
        dossier = render_client_dossier(
            DossierClient(client.reference, client.name, client.created_at),
            records,
            entries,
            plan=_plan_input(store, client.id, today),
            lang=lang,
            produced_at=datetime.now(UTC).replace(microsecond=0),
            produced_by=store.user_name or "",
        )
        try:
            for path in paths:
                check_output_path(path, force)
            write_output(paths[0], dossier.pdf, force)
            write_output(paths[1], dossier.json.encode("utf-8"), force)
        except OutputPathError as error:
            if not force and all(_exists_plainly(path) for path in paths):
                raise HandoffOverwrite(paths[0]) from None
            store.log_access("export", client.reference, f"{what} to {target}: {error}", "refused")
            raise
        store.log_access("export", client.reference, f"{what} to {target}")
    return DossierFiles(paths[0], paths[1], len(records), len(entries))


def delete_client(store: Store, reference: str, typed: str) -> int:
    """Delete the client with ``reference`` and everything of theirs, when ``typed`` is that
    reference typed again (compared as the vault finds references). Returns how many access-log
    entries now carry the client's pseudonym."""
    from kindcheck.store import normalise_reference

    client = store.find_client(reference, log=False)
    if client is None:
        raise _no_client(reference)
    if normalise_reference(typed) != normalise_reference(client.reference):
        raise KindcheckError.from_catalog("error.record.not_confirmed")
    return store.delete_client(client.id)


# ---------------------------------------------------------------------------------------------
# The screens' calls (blocking: thread workers)


def open_session(service: VaultService, session_id: str) -> SessionRecord:
    """The session view: the record, as *opening the session* (one "read" entry)."""
    with service.store() as store:
        return load_record(store, session_id, service.clock())


def record_blocks(record: SessionRecord, lang: str) -> list[Any]:
    """The one rendering of the record (kindcheck.record.blocks) that the session view draws,
    as the summary and the PDF do."""
    from kindcheck.record.blocks import session_blocks

    return list(session_blocks(record, lang))


def correct_session(
    service: VaultService, session_id: str, new_answers: Sequence[NewAnswer], reason: str
) -> Amended:
    """:func:`amend_session` from the session view."""
    with service.store() as store:
        return amend_session(store, session_id, new_answers, reason, service.clock(), service.lang)


def save_client_dossier(
    service: VaultService, client_id: str, folder: str | Path, lang: str, force: bool = False
) -> DossierFiles:
    """:func:`export_dossier` from the client page."""
    with service.store() as store:
        client = store.get_client(client_id)
        if client is None:
            raise VaultError("that client is no longer in the vault")
        return export_dossier(store, client, folder, service.clock(), lang, force)


def references_match(typed: str, reference: str) -> bool:
    """Whether ``typed`` is ``reference`` as the vault compares references."""
    from kindcheck.store import normalise_reference

    return bool(typed.strip()) and normalise_reference(typed) == normalise_reference(reference)


def delete_client_of_page(service: VaultService, client_id: str, typed: str) -> int:
    """:func:`delete_client` from the client page (the reference typed in its dialog)."""
    with service.store() as store:
        client = store.get_client(client_id)
        if client is None:
            raise VaultError("that client is no longer in the vault")
        return delete_client(store, client.reference, typed)
