"""The access log (NEN 7513): who saw or changed which client's data, and when.

Every create, read, change, delete, search, export, backup and print of client data is one
entry, written by the store in the same transaction as the action and encrypted like every
other record. Entries are append-only and hash-chained: each entry holds the hash of the one
before it, and the vault's encrypted meta record holds the hash and number of the newest one,
so a removed, reordered, edited or truncated log is detected by ``kindcheck verify``.

What the chain does not stop: someone who knows the passphrase can decrypt and rewrite the
whole log consistently. NEN 7513 asks that the log is protected against change; on a single
offline laptop the honest protection is encryption plus the chain, and exporting the log
regularly to the organisation (SECURITY.md says so).

Pure functions over plain data: the store persists entries; this module builds and checks them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ACTIONS = ("create", "read", "change", "delete", "search", "export", "backup", "restore", "print")
OUTCOMES = ("done", "refused")
GENESIS = "0" * 64
RETENTION_YEARS = 5


@dataclass(frozen=True)
class AccessEntry:
    """One entry. ``client_reference`` is None for actions over no single client."""

    sequence: int
    action: str
    at: str  # UTC, ISO 8601 with seconds
    user: str
    client_reference: str | None
    outcome: str
    detail: str  # what was touched, e.g. "session", "client list", "export (quarter)"
    previous_hash: str

    def to_dict(self) -> dict[str, Any]:
        # Every field is text, a number or None: a plain copy (asdict deep-copies, and
        # verify hashes every entry of the log).
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccessEntry:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})

    @property
    def hash(self) -> str:
        return entry_hash(self)


_FIELDS = tuple(AccessEntry.__dataclass_fields__)


def entry_hash(entry: AccessEntry) -> str:
    canonical = json.dumps(
        entry.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def new_entry(
    previous: AccessEntry | None,
    action: str,
    user: str,
    client_reference: str | None,
    detail: str,
    outcome: str = "done",
    now: datetime | None = None,
) -> AccessEntry:
    """The entry that follows ``previous`` (None for the first one)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown access-log outcome {outcome!r}")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return AccessEntry(
        sequence=0 if previous is None else previous.sequence + 1,
        action=action,
        at=moment.isoformat(),
        user=user,
        client_reference=client_reference,
        outcome=outcome,
        detail=detail,
        previous_hash=GENESIS if previous is None else previous.hash,
    )


def verify_chain(
    entries: Iterable[AccessEntry], head_sequence: int | None, head_hash: str | None
) -> list[str]:
    """Problems with the chain, in order of sequence; empty when it is whole.

    ``entries`` are in storage order (insertion order); the head is what the vault's meta
    record says the newest entry is.
    """
    problems: list[str] = []
    previous: AccessEntry | None = None
    expected_sequence = 0
    for entry in entries:
        if entry.sequence != expected_sequence:
            if entry.sequence > expected_sequence:
                problems.append(
                    f"access log: entries {expected_sequence} to {entry.sequence - 1} are missing"
                )
            else:
                problems.append(f"access log: entry {entry.sequence} is out of order")
        expected_hash = GENESIS if previous is None else previous.hash
        if entry.previous_hash != expected_hash and entry.sequence == expected_sequence:
            problems.append(
                f"access log: entry {entry.sequence} does not follow the entry "
                "before it (edited or reordered)"
            )
        previous = entry
        expected_sequence = entry.sequence + 1
    if head_sequence is None:
        if previous is not None:
            problems.append("access log: the vault records no newest entry")
        return problems
    if previous is None:
        problems.append(f"access log: all {head_sequence + 1} entries are missing")
    elif previous.sequence < head_sequence:
        problems.append(
            f"access log: entries {previous.sequence + 1} to {head_sequence} "
            "are missing (the end was cut off)"
        )
    elif previous.sequence > head_sequence or previous.hash != head_hash:
        problems.append("access log: the newest entry does not match the vault's record of it")
    return problems


# -- details in the reader's language ---------------------------------------------------------
#
# The stored detail is part of the hash chain, so it stays as written (English, terse); it is
# translated when shown. Each pattern is one kind of detail the store, the service or the
# command line writes; its named groups fill the catalog text ``accesslog.<key>``. A detail
# (or a part of one between "; ") that no pattern knows is shown as it is.
_DETAILS: tuple[tuple[str, str], ...] = (
    (r"session (?P<id>[0-9a-f]+)", "session"),
    (r"session \(already recorded\)", "session_duplicate"),
    (r"new client", "new_client"),
    (r"follow-up plan new", "plan_new"),
    (r"follow-up plan more frequent", "plan_more_frequent"),
    (r"follow-up plan \(new\)", "plan_created"),
    (r"follow-up plan", "plan"),
    (r"client file \((?P<count>\d+) sessions?\)", "client_file"),
    (r"client list \((?P<count>\d+) clients?\)", "client_list"),
    (r"follow-ups due \((?P<count>\d+) clients?\)", "due_list"),
    (r"client with its (?P<count>\d+) session\(s\), plan and drafts", "client_deleted"),
    (r"client \(the reference is already in use\)", "client_in_use"),
    (r"client name", "client_name"),
    (r"client", "client"),
    (r"reference search: found", "search_found"),
    (r"reference search: no match", "search_none"),
    (r"Meldcode step (?P<step>\S+) of session (?P<id>[0-9a-f]+)", "meldcode_step"),
    (r"draft (?P<id>\S+?)(?P<rest> \(.*\))?", "draft"),
    (r"access log", "access_log"),
    (r"access log \((?P<count>\d+) entr(?:y|ies)\) to (?P<path>.+)", "log_export"),
    (r"anonymised counts \((?P<period>\w+), (?P<format>\w+)\) to (?P<path>.+)", "counts"),
    (r"calendar file \((?P<count>\d+) plans?\) to (?P<path>.+)", "calendar"),
    (r"backup to (?P<path>.+)", "backup"),
    (r"passphrase changed", "passphrase_changed"),
    (r"passphrase reset with the recovery key", "passphrase_recovered"),
    (r"recovery key replaced", "recovery_replaced"),
)


def action_name(action: str, lang: str) -> str:
    """An entry's action for a person ("inzien" for "read"; an unknown one as it is)."""
    from kindcheck.i18n import t

    return t(f"accesslog.action.{action}", lang) if action in ACTIONS else action


def outcome_name(outcome: str, lang: str) -> str:
    """An entry's outcome for a person ("gedaan", "GEWEIGERD")."""
    from kindcheck.i18n import t

    return t(f"accesslog.outcome.{outcome}", lang) if outcome in OUTCOMES else outcome


def describe(detail: str, lang: str) -> str:
    """An entry's detail for a person reading ``lang`` (as stored for English, and for any
    detail this version does not know)."""
    import re

    from kindcheck.i18n import t

    if lang == "en" or not detail:
        return detail
    parts = []
    for part in detail.split("; "):
        for pattern, key in _DETAILS:
            found = re.fullmatch(pattern, part)
            if found is not None:
                values = {name: value or "" for name, value in found.groupdict().items()}
                part = t(f"accesslog.{key}", lang, **values)
                break
        parts.append(part)
    return "; ".join(parts)
