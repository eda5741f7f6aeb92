"""What verify reports beyond damaged records: the rows against the vault's ledger.

:class:`Seen` is what verify's pass over every row found readable (each record's generation,
each client's manifest); :func:`ledger_problems` compares it with the state record
(:mod:`.ledger`) and names every record that was removed, added, or put back older (or newer)
than the ledger says, and a state record older than the records (an older state put back, the
access log cut after it). Every id comes from the file and goes through
:func:`kindcheck.text.one_line`.

What no check inside the file can see is a *consistent* older copy (the whole file, or the
state, the clients and every record written since, put back together): only the rollback
counter outside the file can (:mod:`.rollback`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kindcheck.accesslog import AccessEntry
from kindcheck.store.audit import VaultState
from kindcheck.store.facts import StoredFacts
from kindcheck.store.ledger import amendments_of, manifest_of
from kindcheck.store.records import StoredAmendment
from kindcheck.text import one_line


@dataclass(frozen=True)
class Problem:
    """One line of verify's report. ``code`` says what kind (the app and the CLI may word it
    in their language by it), ``message`` is English and safe for a terminal, ``record``
    names the record as it is in the file (``table/id``), when it is about one."""

    code: str
    message: str
    record: str | None = None


@dataclass
class Seen:
    """What verify read. Generations are None for a record of format 1 (no generation)."""

    client_rows: set[str] = field(default_factory=set)
    clients: dict[str, tuple[int | None, dict[str, Any]]] = field(default_factory=dict)
    session_rows: dict[str, str] = field(default_factory=dict)  # id -> client id
    sessions: dict[str, tuple[int | None, int | None, int | None]] = field(default_factory=dict)
    plan_rows: dict[str, str] = field(default_factory=dict)  # id -> client id
    plans: dict[str, int | None] = field(default_factory=dict)
    amendment_rows: dict[str, str] = field(default_factory=dict)  # id -> session id
    amendments: dict[str, int | None] = field(default_factory=dict)  # the readable ones
    amendment_records: list[StoredAmendment] = field(default_factory=list)
    draft_rows: set[str] = field(default_factory=set)
    drafts: dict[str, int | None] = field(default_factory=dict)
    profile: int | None = None
    profile_row: bool = False
    profile_readable: bool = False
    caseload: int | None = None  # the caseload summary's generation, when it opens
    caseload_row: bool = False
    caseload_readable: bool = False
    caseload_due: int | None = None  # the generation of its due part, when there is one
    state_row: bool = False
    newest: list[tuple[str, int]] = field(default_factory=list)  # (record, generation)
    facts_rows: dict[str, str] = field(default_factory=dict)  # session id -> client id
    facts: dict[str, StoredFacts] = field(default_factory=dict)  # the readable ones
    facts_matched: set[str] = field(default_factory=set)  # compared with their session
    log_entries: list[tuple[int, AccessEntry]] = field(default_factory=list)  # by position
    _by_session: dict[str, list[StoredAmendment]] | None = None
    _unreadable: set[str] = field(default_factory=set)

    def amendments_of(self, session_id: str) -> list[StoredAmendment] | None:
        """A session's readable amendments in order; None when one of its rows could not be
        read (then what the session's answers are now cannot be told)."""
        if self._by_session is None:
            self._by_session = {}
            for stored in self.amendment_records:
                self._by_session.setdefault(stored.session_id, []).append(stored)
            for listed in self._by_session.values():
                listed.sort(key=lambda stored: stored.number)
            self._unreadable = {
                session_id
                for amendment_id, session_id in self.amendment_rows.items()
                if amendment_id not in self.amendments
            }
        if session_id in self._unreadable:
            return None
        return self._by_session.get(session_id, [])

    def written(self, record: str, generation: int | None) -> None:
        if generation is not None:
            self.newest.append((record, generation))


def _name(table: str, record_id: str) -> str:
    return f"{table}/{one_line(record_id)}"


def _age(found: int | None, expected: int) -> str:
    if found is None:
        return f"older than the vault's ledger says (no generation; expected {expected})"
    side = "older" if found < expected else "newer"
    return f"{side} than the vault's ledger says (generation {found}, expected {expected})"


def ledger_problems(seen: Seen, state: VaultState) -> list[Problem]:
    newer = sorted(
        (
            (record, generation)
            for record, generation in seen.newest
            if generation > state.generation
        ),
        key=lambda item: -item[1],
    )
    if newer:
        names = ", ".join(one_line(record) for record, _ in newer[:5])
        more = f" and {len(newer) - 5} more" if len(newer) > 5 else ""
        after = "" if state.log_sequence is None else f" after entry {state.log_sequence}"
        return [
            Problem(
                "state.older",
                f"access log: the vault's state record is older than {len(newer)} record(s) "
                f"(its generation {state.generation}, the newest record's {newer[0][1]}): it was "
                f"replaced by an older copy, and the access log may have been cut off{after}. "
                f"Written since: {names}{more}",
            )
        ]
    if state.clients is None:
        return [
            Problem(
                "state.no_ledger",
                "the vault's state record is from before storage schema 3: an older copy was "
                "put back, so removed or older records cannot be checked",
            )
        ]
    problems: list[Problem] = []
    problems += _directory(seen, state.clients)
    # Each client's rows, found once (not by going through every row for every client).
    sessions_of, plans_of = _by_owner(seen.session_rows), _by_owner(seen.plan_rows)
    for client_id, (generation, data) in seen.clients.items():
        if client_id in state.clients and generation == state.clients[client_id]:
            rows = sessions_of.get(client_id, set())
            plans = sorted(plans_of.get(client_id, ()))
            problems += _manifest(seen, client_id, data, rows, plans)
    problems += orphan_amendments(seen)
    problems += _drafts(seen, state.drafts)
    if state.profile is not None and seen.profile_readable and seen.profile != state.profile:
        problems.append(
            Problem(
                "record.older",
                f"record meta/profile is {_age(seen.profile, state.profile)}",
                "meta/profile",
            )
        )
    if state.caseload is not None and not seen.caseload_row:
        problems.append(
            Problem(
                "record.missing",
                "record meta/caseload (the caseload summary) is missing: it was deleted outside "
                "Kindcheck; it is made again from the records",
                "meta/caseload",
            )
        )
    elif state.caseload is not None and seen.caseload_readable and seen.caseload != state.caseload:
        problems.append(
            Problem(
                "record.older",
                f"record meta/caseload (the caseload summary) is "
                f"{_age(seen.caseload, state.caseload)}: it is not used, and made again from "
                "the records",
                "meta/caseload",
            )
        )
    if seen.caseload_due is not None and seen.caseload_due != state.caseload:
        problems.append(
            Problem(
                "record.older",
                "record meta/caseload_due (the due part of the caseload summary) is not the one "
                "written with the summary: it is not used, and made again from the summary",
                "meta/caseload_due",
            )
        )
    return problems


def _directory(seen: Seen, directory: dict[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    for client_id in sorted(set(directory) - seen.client_rows):
        problems.append(
            Problem(
                "record.missing",
                f"record {_name('client', client_id)} is missing: the client and its records "
                "were deleted outside Kindcheck (the vault's directory lists it)",
                f"client/{client_id}",
            )
        )
    for client_id, (generation, data) in sorted(seen.clients.items()):
        record = f"client/{client_id}"
        if client_id not in directory:
            reference = one_line(data.get("reference"))
            problems.append(
                Problem(
                    "record.added",
                    f"record {_name('client', client_id)} (client {reference}) is not in the "
                    "vault's directory: it was added outside Kindcheck, or put back from an "
                    "older copy after it was deleted",
                    record,
                )
            )
        elif generation != directory[client_id]:
            problems.append(
                Problem(
                    "record.older",
                    f"record {_name('client', client_id)} is "
                    f"{_age(generation, directory[client_id])}: an older copy was put back",
                    record,
                )
            )
    return problems


def _by_owner(rows: dict[str, str]) -> dict[str, set[str]]:
    """Row ids by the client id they are filed under."""
    owned: dict[str, set[str]] = {}
    for row_id, owner in rows.items():
        owned.setdefault(owner, set()).add(row_id)
    return owned


def _manifest(
    seen: Seen, client_id: str, data: dict[str, Any], rows: set[str], plans: list[str]
) -> list[Problem]:
    """A client's manifest against its rows (``rows``: its sessions, ``plans``: its plans)."""
    manifest = manifest_of(data)
    if manifest is None:
        return []
    listed, plan = manifest
    client = _name("client", client_id)
    problems: list[Problem] = []
    # A row under another client was moved there: its blobs name this client, so it is
    # damaged and named as such; only rows gone from the file are missing.
    for session_id in sorted(sid for sid in listed if sid not in seen.session_rows):
        problems.append(
            Problem(
                "record.missing",
                f"record {_name('session', session_id)} is missing: it was deleted outside "
                f"Kindcheck (its client's record, {client}, lists it)",
                f"session/{session_id}",
            )
        )
    for session_id in sorted({sid for sid in rows if sid in seen.sessions} - set(listed)):
        problems.append(
            Problem(
                "record.added",
                f"record {_name('session', session_id)} is not listed by its client's record "
                f"({client}): it was added outside Kindcheck, or put back from an older copy",
                f"session/{session_id}",
            )
        )
    for session_id in sorted(rows & set(listed)):
        if session_id not in seen.sessions:
            continue  # damaged: named already
        content, meldcode = listed[session_id]
        header, body, steps = seen.sessions[session_id]
        if (not content or (header == content and body == content)) and (
            not meldcode or steps == meldcode
        ):
            continue  # as the ledger says (the names below are made only for a problem)
        record, name = f"session/{session_id}", _name("session", session_id)
        if content and (header != content or body != content):
            found = header if header != content else body
            problems.append(
                Problem(
                    "record.older",
                    f"record {name} (its answers) is {_age(found, content)}: an older copy was "
                    "put back",
                    record,
                )
            )
        if meldcode and steps != meldcode:
            problems.append(
                Problem(
                    "record.older",
                    f"record {name} (its Meldcode steps) is {_age(steps, meldcode)}: an older "
                    "copy was put back",
                    record,
                )
            )
    problems += _plan(seen, client_id, plan, plans)
    problems += _amendments(seen, client_id, data, rows)
    return problems


def _amendments(
    seen: Seen, client_id: str, data: dict[str, Any], sessions: set[str]
) -> list[Problem]:
    """The amendments of the client's sessions against its manifest: one listed but gone is
    a deleted correction (the session's answers would read as before it), one not listed was
    added or put back (replayed), one of another generation is an older copy."""
    listed = amendments_of(data)
    if listed is None:
        return []
    client = _name("client", client_id)
    expected: dict[str, tuple[str, int]] = {
        amendment_id: (session_id, generation)
        for session_id, items in listed.items()
        for amendment_id, generation in items
    }
    problems: list[Problem] = []
    for amendment_id, (session_id, _generation) in sorted(expected.items()):
        if amendment_id not in seen.amendment_rows:
            problems.append(
                Problem(
                    "record.missing",
                    f"record {_name('amendment', amendment_id)} (a correction of session "
                    f"{one_line(session_id)}) is missing: it was deleted outside Kindcheck "
                    f"(its client's record, {client}, lists it)",
                    f"amendment/{amendment_id}",
                )
            )
    for amendment_id, session_id in sorted(seen.amendment_rows.items()):
        if session_id not in sessions or amendment_id not in seen.amendments:
            continue  # another client's, or damaged (named already)
        record, name = f"amendment/{amendment_id}", _name("amendment", amendment_id)
        if amendment_id not in expected or expected[amendment_id][0] != session_id:
            problems.append(
                Problem(
                    "record.added",
                    f"record {name} is not listed by its client's record ({client}): it was "
                    "added outside Kindcheck, or put back from an older copy",
                    record,
                )
            )
        elif seen.amendments[amendment_id] != expected[amendment_id][1]:
            problems.append(
                Problem(
                    "record.older",
                    f"record {name} is "
                    f"{_age(seen.amendments[amendment_id], expected[amendment_id][1])}: an "
                    "older copy was put back",
                    record,
                )
            )
    return problems


def orphan_amendments(seen: Seen) -> list[Problem]:
    """Amendments whose session is not in the file (put back after their session was
    deleted, with the foreign keys switched off)."""
    return [
        Problem(
            "record.added",
            f"record {_name('amendment', amendment_id)} belongs to no session in the vault: it "
            "was added outside Kindcheck, or put back from an older copy after its session "
            "was deleted",
            f"amendment/{amendment_id}",
        )
        for amendment_id, session_id in sorted(seen.amendment_rows.items())
        if session_id not in seen.session_rows
    ]


def _plan(seen: Seen, client_id: str, plan: list[Any] | None, rows: list[str]) -> list[Problem]:
    client = _name("client", client_id)
    problems: list[Problem] = []
    listed_id = None if plan is None else str(plan[0])
    for plan_id in rows:
        if plan_id != listed_id and plan_id in seen.plans:
            problems.append(
                Problem(
                    "record.added",
                    f"record {_name('followup_plan', plan_id)} is not listed by its client's "
                    f"record ({client}): it was added outside Kindcheck, or put back from an "
                    "older copy",
                    f"followup_plan/{plan_id}",
                )
            )
    if plan is None or listed_id is None:
        return problems
    record, name = f"followup_plan/{listed_id}", _name("followup_plan", listed_id)
    if listed_id not in seen.plan_rows:
        problems.append(
            Problem(
                "record.missing",
                f"record {name} is missing: it was deleted outside Kindcheck (its client's "
                f"record, {client}, lists it)",
                record,
            )
        )
    elif listed_id in seen.plans and plan[1] and seen.plans[listed_id] != plan[1]:
        problems.append(
            Problem(
                "record.older",
                f"record {name} is {_age(seen.plans[listed_id], plan[1])}: an older copy was "
                "put back",
                record,
            )
        )
    return problems


def _drafts(seen: Seen, drafts: dict[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    for draft_id in sorted(set(drafts) - seen.draft_rows):
        problems.append(
            Problem(
                "record.missing",
                f"record {_name('draft', draft_id)} is missing: it was deleted outside Kindcheck",
                f"draft/{draft_id}",
            )
        )
    for draft_id, generation in sorted(seen.drafts.items()):
        record, name = f"draft/{draft_id}", _name("draft", draft_id)
        if draft_id not in drafts:
            problems.append(
                Problem(
                    "record.added",
                    f"record {name} is not in the vault's ledger: it was added outside "
                    "Kindcheck, or put back from an older copy",
                    record,
                )
            )
        elif generation != drafts[draft_id]:
            problems.append(
                Problem(
                    "record.older",
                    f"record {name} is {_age(generation, drafts[draft_id])}: an older copy "
                    "was put back",
                    record,
                )
            )
    return problems


def facts_problems(seen: Seen) -> list[Problem]:
    """Facts records without their session, filed under another client than their session,
    and sessions without a facts record (storage schema 4). One that differs from its session
    was named by the session's check; one whose session its client's record lists is named
    with that session's absence, not twice."""
    listed = {
        session_id
        for _generation, data in seen.clients.values()
        for session_id in (manifest_of(data) or ({}, None))[0]
    }
    problems: list[Problem] = []
    for session_id in sorted(set(seen.facts_rows) - set(seen.session_rows) - listed):
        problems.append(
            Problem(
                "record.added",
                f"record {_name('session_facts', session_id)} has no session: it was added "
                "outside Kindcheck, or its session was deleted outside Kindcheck",
                f"session_facts/{session_id}",
            )
        )
    for session_id in sorted(set(seen.facts_rows) & set(seen.session_rows)):
        filed, owner = seen.facts_rows[session_id], seen.session_rows[session_id]
        # (A session row moved outside Kindcheck no longer decrypts: named as damaged already.)
        if filed != owner and session_id in seen.sessions:
            # A session moved to another client takes its facts record along (one
            # transaction); one left behind, or put back from before the move, is counted
            # under the wrong client.
            problems.append(
                Problem(
                    "record.damaged",
                    f"record {_name('session_facts', session_id)} is filed under "
                    f"{_name('client', filed)}, its session under {_name('client', owner)}: "
                    "it was moved outside Kindcheck or put back from an older copy; reports "
                    "would count it under the wrong client",
                    f"session_facts/{session_id}",
                )
            )
    for session_id in sorted(set(seen.session_rows) - set(seen.facts_rows)):
        problems.append(
            Problem(
                "record.missing",
                f"record {_name('session_facts', session_id)} is missing: it was deleted "
                f"outside Kindcheck, and reports do not count {_name('session', session_id)}",
                f"session_facts/{session_id}",
            )
        )
    return problems
