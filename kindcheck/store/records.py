"""What the store hands out: plain frozen dataclasses, and how each is sealed and read back.

Every record is JSON inside AES-256-GCM ciphertext whose associated data binds the table, the
row id, the parent row id and the record format (a blob copied to another row fails to
decrypt); format 2 puts the JSON in an envelope with the write generation and pads it
(:mod:`.envelope`). The ``*_data`` functions give the JSON of a record, the ``_decode_*``
functions decrypt a row and check its shape; a record that does not decrypt, or whose JSON has
the wrong shape, raises :class:`~kindcheck.errors.RecordDamaged` naming ``table/id`` (the id
made safe for a terminal with :func:`kindcheck.text.one_line`: it comes from the file).

Only plain values cross this boundary: answers and outcomes as the dicts the layer above made
of them, a follow-up plan as its ``to_dict`` form and its rhythm as a name
(:class:`StoredPlan`). The store never knows the domain classes behind them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, Protocol, TypeAlias, TypeVar, runtime_checkable

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.client_lists import ClientEvent, HandoffEntry, ReaskEntry, parse_lists
from kindcheck.store.columns import (
    AmendmentColumns,
    ClientColumns,
    DraftColumns,
    Identified,
    MeldcodeColumns,
    PlanColumns,
    SessionColumns,
    SessionHeaderColumns,
)
from kindcheck.store.envelope import RECORD_FORMAT, Opened, open_json
from kindcheck.text import one_line
from kindcheck.vault import RecordCipher

T = TypeVar("T")
PlanT = TypeVar("PlanT")
RhythmT = TypeVar("RhythmT", bound=str)


# --------------------------------------------------------------------------------------------
# Plain results


@dataclass(frozen=True)
class Client:
    """A client as the app shows it."""

    id: str
    reference: str
    name: str | None
    created_at: datetime
    # Kept in the client's record (kindcheck.store.client_lists); empty for older records.
    events: tuple[ClientEvent, ...] = ()
    handoffs: tuple[HandoffEntry, ...] = ()
    reasks: tuple[ReaskEntry, ...] = ()


@dataclass(frozen=True)
class SessionSummary:
    """What lists need of a session, from its small encrypted header."""

    id: str
    client_id: str
    kind: str  # intake / followup
    session_date: date
    setting: str
    questionnaires: tuple[tuple[str, int], ...]
    scan_done: bool
    problem_domain_count: int | None  # None when no problem scan was done
    safety_signal: bool
    parenting_support_flag: bool
    followup_rhythm: str | None
    saved_at: datetime


@dataclass(frozen=True)
class StoredSession:
    """A session with its answers (Session.to_dict shape) and outcome (outcome_to_json), as
    first stored (amendments are :class:`StoredAmendment`; the header in ``summary`` follows
    them). ``recorded_by``: the vault's user who saved it (None for a session saved before
    Kindcheck kept it; the access log's "create" entry says it too)."""

    summary: SessionSummary
    answers: dict[str, Any]
    outcome: dict[str, Any]
    recorded_by: str | None = None

    @property
    def id(self) -> str:
        return self.summary.id


@dataclass(frozen=True)
class ClientOverview:
    """A client with the number of sessions, the last one (by session date) and the last one
    with a problem scan (a follow-up need not repeat the scan)."""

    client: Client
    session_count: int
    last_session: SessionSummary | None
    latest_scan: SessionSummary | None = None


@dataclass(frozen=True)
class Draft:
    """An unfinished form."""

    id: str
    reference: str | None
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredPlan(Generic[PlanT, RhythmT]):
    """A client's follow-up plan; ``rhythm`` is None for a plan edited by hand.

    The store reads and writes the plain form, :data:`PlainPlan`: the plan as the dict its
    ``to_dict`` gave and the rhythm's name. The layer above turns that into its own types
    (``StoredPlan[FollowUpPlan, Rhythm]``, see kindcheck.service.plans), with the same fields.
    """

    id: str
    client_id: str
    plan: PlanT
    rhythm: RhythmT | None
    updated_at: datetime


PlainPlan: TypeAlias = StoredPlan[dict[str, Any], str]


@runtime_checkable
class SerialisablePlan(Protocol):
    """What :meth:`Store.save_plan` takes: a plan that checked itself when it was made and
    gives its JSON form (kindcheck.followup.FollowUpPlan is one)."""

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class MeldcodeStepRecord:
    """One Meldcode step of one session: when it was done, and a note."""

    step_id: str
    done_on: date | None
    note: str
    updated_at: datetime


@dataclass(frozen=True)
class StoredAmendment:
    """An amendment of a session as the layer above made it (``amendment``: its JSON), with
    the outcome of the session's answers after it (``outcome``, outcome_to_json). ``number``
    is its place among the session's amendments, from 1; they are applied in that order."""

    id: str
    session_id: str
    number: int
    amendment: dict[str, Any]
    outcome: dict[str, Any]
    saved_at: datetime


# --------------------------------------------------------------------------------------------
# Small helpers


def _new_id() -> str:
    return uuid.uuid4().hex


_RECORDED_AS_OF: ContextVar[datetime | None] = ContextVar("kindcheck_recorded_as_of", default=None)


def _now() -> datetime:
    moment = _RECORDED_AS_OF.get()
    return moment if moment is not None else datetime.now(UTC)


@contextmanager
def recorded_as_of(moment: datetime) -> Iterator[None]:
    """Records written inside are stamped ``moment`` instead of now: for the demo's synthetic
    caseload, whose sessions are recorded as on their own day (a session's recorded date
    picks its period in the export)."""
    token = _RECORDED_AS_OF.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _RECORDED_AS_OF.reset(token)


def _iso_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    return datetime.fromisoformat(value)


def _iso_date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("not a date")
    return date.fromisoformat(value)


class DamagedNote(str):
    """What a ``damaged`` list holds for one damaged record: the message (a ``str``, as the
    command line prints it) that also says which record it is about, for the app to name it
    and look it up: ``record`` is ``table/id`` with the id as it is in the file (None when it
    is not about one record), ``client_id`` the client the row belongs to, where the row
    says so (a plain column)."""

    record: str | None
    client_id: str | None

    def __new__(
        cls, message: str, record: str | None = None, client_id: str | None = None
    ) -> DamagedNote:
        note = super().__new__(cls, message)
        note.record = record
        note.client_id = client_id
        return note

    @classmethod
    def of(cls, error: RecordDamaged, client_id: str | None = None) -> DamagedNote:
        return cls(str(error), error.record, client_id)


def _collect(
    damaged: list[str] | None, load: Callable[[], T], client_id: str | None = None
) -> T | None:
    """Run ``load``; with a ``damaged`` list, note a damaged record there (a
    :class:`DamagedNote`; ``client_id``: the client its row belongs to) and return None."""
    if damaged is None:
        return load()
    try:
        return load()
    except RecordDamaged as error:
        damaged.append(DamagedNote.of(error, client_id))
        return None


def _session_order(summary: SessionSummary) -> tuple[date, datetime]:
    return summary.session_date, summary.saved_at


def _damaged(name: str, what: str = "is damaged or was moved") -> RecordDamaged:
    """RecordDamaged for the record ``name`` (``table/id`` as in the file), its id cleaned."""
    return RecordDamaged(f"record {one_line(name)} {what}", record=name)


def _open_sealed(
    cipher: RecordCipher,
    name: str,
    label: str,
    record_id: str,
    blob: bytes,
    format_version: int,
) -> Opened:
    """Decrypt one record of either format with its generation; RecordDamaged naming
    ``name`` if it does not decrypt."""
    if not isinstance(format_version, int) or format_version not in (1, RECORD_FORMAT):
        raise _damaged(
            name,
            f"has format {one_line(format_version)}, which this version of Kindcheck does not read",
        )
    try:
        return open_json(cipher, label, record_id, bytes(blob), format_version)
    except RecordDamaged:
        raise _damaged(name) from None


def _open_record(
    cipher: RecordCipher,
    name: str,
    label: str,
    record_id: str,
    blob: bytes,
    format_version: int,
) -> dict[str, Any]:
    """Decrypt one JSON record; RecordDamaged naming ``name`` if it does not decrypt."""
    return _open_sealed(cipher, name, label, record_id, blob, format_version).value


# --------------------------------------------------------------------------------------------
# Records as JSON


def _client_data(client: Client) -> dict[str, Any]:
    return {
        "reference": client.reference,
        "name": client.name,
        "created_at": client.created_at.isoformat(),
    }


def _summary_for(
    session_id: str, client_id: str, answers: dict[str, Any], outcome: dict[str, Any]
) -> SessionSummary:
    if not isinstance(answers, dict) or not isinstance(outcome, dict):
        raise VaultError("a session needs its answers and outcome as tables")
    kind = answers.get("kind")
    if kind not in ("intake", "followup"):
        raise VaultError("a session needs a kind (intake or followup)")
    try:
        session_date = _iso_date(answers.get("date"))
    except ValueError:
        raise VaultError("a session needs a date (YYYY-MM-DD)") from None
    questionnaires = tuple(
        (str(item.get("id")), int(item.get("version", 0)))
        for item in answers.get("questionnaires", [])
        if isinstance(item, dict)
    )
    scan_done = bool(outcome.get("scan_done"))
    count = outcome.get("problem_domain_count")
    rhythm = outcome.get("followup_rhythm")
    return SessionSummary(
        id=session_id,
        client_id=client_id,
        kind=kind,
        session_date=session_date,
        setting=str(answers.get("setting", "")),
        questionnaires=questionnaires,
        scan_done=scan_done,
        problem_domain_count=int(count) if scan_done and isinstance(count, int) else None,
        safety_signal=bool(outcome.get("safety_signals")),
        parenting_support_flag=bool(outcome.get("parenting_support_flag")),
        followup_rhythm=rhythm if isinstance(rhythm, str) else None,
        saved_at=_now(),
    )


def _summary_data(summary: SessionSummary) -> dict[str, Any]:
    return {
        "kind": summary.kind,
        "date": summary.session_date.isoformat(),
        "setting": summary.setting,
        "questionnaires": [list(item) for item in summary.questionnaires],
        "scan_done": summary.scan_done,
        "problem_domain_count": summary.problem_domain_count,
        "safety_signal": summary.safety_signal,
        "parenting_support_flag": summary.parenting_support_flag,
        "followup_rhythm": summary.followup_rhythm,
        "saved_at": summary.saved_at.isoformat(),
    }


def _summary_from_data(session_id: str, client_id: str, data: dict[str, Any]) -> SessionSummary:
    count = data["problem_domain_count"]
    return SessionSummary(
        id=session_id,
        client_id=client_id,
        kind=str(data["kind"]),
        session_date=_iso_date(data["date"]),
        setting=str(data["setting"]),
        questionnaires=tuple((str(q), int(v)) for q, v in data["questionnaires"]),
        scan_done=bool(data["scan_done"]),
        problem_domain_count=None if count is None else int(count),
        safety_signal=bool(data["safety_signal"]),
        parenting_support_flag=bool(data["parenting_support_flag"]),
        followup_rhythm=data["followup_rhythm"],
        saved_at=_iso_datetime(data["saved_at"]),
    )


def _steps_data(steps: dict[str, MeldcodeStepRecord]) -> dict[str, Any]:
    return {
        "steps": {
            key: {
                "done_on": None if value.done_on is None else value.done_on.isoformat(),
                "note": value.note,
                "updated_at": value.updated_at.isoformat(),
            }
            for key, value in steps.items()
        }
    }


def _plan_data(stored: PlainPlan) -> dict[str, Any]:
    return {
        "rhythm": stored.rhythm,
        "plan": stored.plan,
        "updated_at": stored.updated_at.isoformat(),
    }


def _amendment_data(stored: StoredAmendment) -> dict[str, Any]:
    return {
        "number": stored.number,
        "amendment": stored.amendment,
        "outcome": stored.outcome,
        "saved_at": stored.saved_at.isoformat(),
    }


def _draft_data(draft: Draft) -> dict[str, Any]:
    return {
        "reference": draft.reference,
        "payload": draft.payload,
        "created_at": draft.created_at.isoformat(),
        "updated_at": draft.updated_at.isoformat(),
    }


# --------------------------------------------------------------------------------------------
# Rows back into records. Each kind in two steps: ``_open_*`` decrypts (with the generation,
# which verify compares with the vault's ledger), ``*_from`` checks the JSON's shape.


def _session_parent(row: SessionHeaderColumns | MeldcodeColumns) -> str:
    return f"{row.id}/{row.client_id}"


def _open_client(cipher: RecordCipher, row: ClientColumns) -> Opened:
    return _open_sealed(cipher, f"client/{row.id}", "client", row.id, row.data, row.format_version)


def _client_from(row: Identified, data: dict[str, Any]) -> Client:
    try:
        name = data["name"]
        if not (name is None or isinstance(name, str)):
            raise TypeError
        events, handoffs, reasks = parse_lists(data)
        return Client(
            id=row.id,
            reference=str(data["reference"]),
            name=name,
            created_at=_iso_datetime(data["created_at"]),
            events=events,
            handoffs=handoffs,
            reasks=reasks,
        )
    except (KeyError, TypeError, ValueError):
        raise _damaged(f"client/{row.id}") from None


def _decode_client(cipher: RecordCipher, row: ClientColumns) -> Client:
    return _client_from(row, _open_client(cipher, row).value)


def _open_header(cipher: RecordCipher, row: SessionHeaderColumns) -> Opened:
    return _open_sealed(
        cipher,
        f"session/{row.id}",
        "session.header",
        _session_parent(row),
        row.header,
        row.format_version,
    )


def _summary_from(row: SessionHeaderColumns, data: dict[str, Any]) -> SessionSummary:
    try:
        return _summary_from_data(row.id, row.client_id, data)
    except (KeyError, TypeError, ValueError):
        raise _damaged(f"session/{row.id}") from None


def _decode_summary(cipher: RecordCipher, row: SessionHeaderColumns) -> SessionSummary:
    return _summary_from(row, _open_header(cipher, row).value)


def _decode_summary_values(
    cipher: RecordCipher, session_id: str, client_id: str, format_version: int, header: bytes
) -> SessionSummary:
    """:func:`_decode_summary` for the columns as plain values (the long reads)."""
    name = f"session/{session_id}"
    value = _open_sealed(
        cipher, name, "session.header", f"{session_id}/{client_id}", header, format_version
    ).value
    try:
        return _summary_from_data(session_id, client_id, value)
    except (KeyError, TypeError, ValueError):
        raise _damaged(name) from None


def _open_body(cipher: RecordCipher, row: SessionColumns) -> Opened:
    return _open_sealed(
        cipher,
        f"session/{row.id}",
        "session.body",
        _session_parent(row),
        row.body,
        row.format_version,
    )


def _session_from(
    row: SessionColumns, header: dict[str, Any], body: dict[str, Any]
) -> StoredSession:
    summary = _summary_from(row, header)
    answers, outcome = body.get("answers"), body.get("outcome")
    recorded_by = body.get("recorded_by")
    if not isinstance(answers, dict) or not isinstance(outcome, dict):
        raise _damaged(f"session/{row.id}")
    return StoredSession(
        summary, answers, outcome, recorded_by if isinstance(recorded_by, str) else None
    )


def _decode_session(cipher: RecordCipher, row: SessionColumns) -> StoredSession:
    header = _open_header(cipher, row).value
    return _session_from(row, header, _open_body(cipher, row).value)


def _decode_session_values(
    cipher: RecordCipher,
    session_id: str,
    client_id: str,
    format_version: int,
    header: bytes,
    body: bytes,
) -> StoredSession:
    """:func:`_decode_session` for the columns as plain values (the long reads, which skip
    making a row object per session)."""
    name, parent = f"session/{session_id}", f"{session_id}/{client_id}"
    head = _open_sealed(cipher, name, "session.header", parent, header, format_version).value
    data = _open_sealed(cipher, name, "session.body", parent, body, format_version).value
    try:
        summary = _summary_from_data(session_id, client_id, head)
    except (KeyError, TypeError, ValueError):
        raise _damaged(name) from None
    answers, outcome = data.get("answers"), data.get("outcome")
    if not isinstance(answers, dict) or not isinstance(outcome, dict):
        raise _damaged(name)
    return StoredSession(summary, answers, outcome)


def _open_steps(cipher: RecordCipher, row: MeldcodeColumns) -> Opened:
    return _open_sealed(
        cipher,
        f"session/{row.id}",
        "session.meldcode",
        _session_parent(row),
        row.meldcode,
        row.format_version,
    )


def _steps_from(row: MeldcodeColumns, data: dict[str, Any]) -> dict[str, MeldcodeStepRecord]:
    try:
        steps = data["steps"]
        return {
            step_id: MeldcodeStepRecord(
                step_id=step_id,
                done_on=None if value["done_on"] is None else _iso_date(value["done_on"]),
                note=str(value["note"]),
                updated_at=_iso_datetime(value["updated_at"]),
            )
            for step_id, value in steps.items()
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _damaged(f"session/{row.id}") from None


def _decode_steps(cipher: RecordCipher, row: MeldcodeColumns) -> dict[str, MeldcodeStepRecord]:
    return _steps_from(row, _open_steps(cipher, row).value)


def _open_plan(cipher: RecordCipher, row: PlanColumns) -> Opened:
    return _open_sealed(
        cipher,
        f"followup_plan/{row.id}",
        "followup_plan",
        f"{row.id}/{row.client_id}",
        row.data,
        row.format_version,
    )


def _plan_from(row: PlanColumns, data: dict[str, Any]) -> PlainPlan:
    return _plan_from_values(row.id, row.client_id, data)


def _plan_from_values(plan_id: str, client_id: str, data: dict[str, Any]) -> PlainPlan:
    try:
        plan, rhythm = data["plan"], data["rhythm"]
        if not isinstance(plan, dict) or not (rhythm is None or isinstance(rhythm, str)):
            raise TypeError
        updated_at = _iso_datetime(data["updated_at"])
    except (KeyError, TypeError, ValueError):
        raise _damaged(f"followup_plan/{plan_id}") from None
    # StoredPlan's fields as its __init__ sets them (a report reads every plan)
    stored: PlainPlan = _new_object(StoredPlan)
    _set_attribute(
        stored,
        "__dict__",
        {
            "id": plan_id,
            "client_id": client_id,
            "plan": plan,
            "rhythm": rhythm,
            "updated_at": updated_at,
        },
    )
    return stored


def _decode_plan(cipher: RecordCipher, row: PlanColumns) -> PlainPlan:
    return _plan_from(row, _open_plan(cipher, row).value)


def _decode_plan_values(
    cipher: RecordCipher, plan_id: str, client_id: str, format_version: int, data: bytes
) -> PlainPlan:
    """:func:`_decode_plan` for the columns as plain values (the long reads)."""
    value = _open_sealed(
        cipher,
        f"followup_plan/{plan_id}",
        "followup_plan",
        f"{plan_id}/{client_id}",
        data,
        format_version,
    ).value
    return _plan_from_values(plan_id, client_id, value)


_new_object = object.__new__
_set_attribute = object.__setattr__


def _open_draft(cipher: RecordCipher, row: DraftColumns) -> Opened:
    return _open_sealed(
        cipher,
        f"draft/{row.id}",
        "draft",
        f"{row.id}/{row.ref_index or '-'}",
        row.data,
        row.format_version,
    )


def _draft_from(row: DraftColumns, data: dict[str, Any]) -> Draft:
    try:
        payload, reference = data["payload"], data["reference"]
        if not isinstance(payload, dict) or not (reference is None or isinstance(reference, str)):
            raise TypeError
        return Draft(
            row.id,
            reference,
            payload,
            _iso_datetime(data["created_at"]),
            _iso_datetime(data["updated_at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise _damaged(f"draft/{row.id}") from None


def _decode_draft(cipher: RecordCipher, row: DraftColumns) -> Draft:
    return _draft_from(row, _open_draft(cipher, row).value)


def _amendment_parent(row: AmendmentColumns) -> str:
    return f"{row.id}/{row.session_id}"


def _open_amendment(cipher: RecordCipher, row: AmendmentColumns) -> Opened:
    return _open_sealed(
        cipher,
        f"amendment/{row.id}",
        "amendment",
        _amendment_parent(row),
        row.data,
        row.format_version,
    )


def _amendment_from(row: AmendmentColumns, data: dict[str, Any]) -> StoredAmendment:
    try:
        number, amendment, outcome = data["number"], data["amendment"], data["outcome"]
        if (
            not isinstance(number, int)
            or isinstance(number, bool)
            or number < 1
            or not isinstance(amendment, dict)
            or not isinstance(outcome, dict)
        ):
            raise TypeError
        return StoredAmendment(
            id=row.id,
            session_id=row.session_id,
            number=number,
            amendment=amendment,
            outcome=outcome,
            saved_at=_iso_datetime(data["saved_at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise _damaged(f"amendment/{row.id}") from None


def _decode_amendment(cipher: RecordCipher, row: AmendmentColumns) -> StoredAmendment:
    return _amendment_from(row, _open_amendment(cipher, row).value)
