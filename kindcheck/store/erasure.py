"""Deleting a client leaves the fact, not the client: the access log pseudonymised.

The access log must be kept (NEN 7513: five years), but after a client is deleted (AVG art. 17)
it must not keep their reference: that is client data. So in the transaction that deletes the
client, every entry about them gets a pseudonym instead of the reference (``deleted-`` and 16
hex digits, :meth:`.keys._BlindIndex.pseudonym`: the same for all of the client's entries, and
findable again only with the vault's key and the reference), and the reference and the name
are removed from the entries' details wherever they appear; an export's detail loses its file
name (a file is often named after the client). What stays is who did what, when, and that it
was one client.

An entry's hash covers its content, so changing one breaks the hash chain after it: the chain
is linked again from the first entry changed, and the state record's head follows. The
deletion's own entry, written after this, says how many entries were changed and from which
one, with the head the chain had before, so an auditor holding an earlier export of the log
can see why its hashes differ from there on. An entry that cannot be read is left exactly as
it is (verify keeps naming it); the entry after it keeps pointing at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Final

from kindcheck.accesslog import AccessEntry
from kindcheck.errors import RecordDamaged
from kindcheck.store.audit import VaultState, _open_entry
from kindcheck.store.envelope import RECORD_FORMAT, seal_json
from kindcheck.store.keys import normalise_reference
from kindcheck.store.sqlite import Connection, Row
from kindcheck.vault import RecordCipher

_CHUNK: Final = 500
NAME_REMOVED: Final = "(name removed)"
FILE_REMOVED: Final = "a file (its name was removed with the client)"


@dataclass(frozen=True)
class Pseudonymised:
    """What :func:`pseudonymise_log` changed."""

    entries: int  # entries about the client (or naming them) that were changed
    relinked_from: int | None  # the first entry whose content or link changed
    head_before: str | None  # the chain's head before


_LOG_AFTER: Final = (
    "SELECT id, position, format_version, data FROM access_log WHERE position > ? "
    "ORDER BY position LIMIT ?"
)


def _rows(conn: Connection) -> Iterator[Row]:
    last = -1
    while True:
        rows = conn.execute(_LOG_AFTER, (last, _CHUNK)).all()
        if not rows:
            return
        last = rows[-1].position
        yield from rows


def _scrubbed(text: str, words: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in words:
        text = pattern.sub(replacement, text)
    return text


def pseudonymise_log(
    conn: Connection,
    cipher: RecordCipher,
    state: VaultState,
    generation: int,
    reference: str,
    name: str | None,
    pseudonym: str,
) -> Pseudonymised:
    """Replace the client's reference (and name) in the access log by ``pseudonym``, link the
    chain again and move the state's head (see the module docstring)."""
    wanted = normalise_reference(reference)
    everywhere = [(re.compile(re.escape(reference.strip()), re.IGNORECASE), pseudonym)]
    about = list(everywhere)
    if name and name.strip():
        about.append((re.compile(re.escape(name.strip()), re.IGNORECASE), NAME_REMOVED))
    changed = 0
    relinked_from: int | None = None
    previous_hash: str | None = None  # the previous entry's hash as it is now; None: unknown
    last: AccessEntry | None = None
    for row in _rows(conn):
        try:
            entry, _generation = _open_entry(cipher, row)
        except RecordDamaged:
            previous_hash, last = None, None
            continue
        new = entry
        if entry.client_reference is not None and (
            normalise_reference(entry.client_reference) == wanted
        ):
            detail = _scrubbed(entry.detail, about)
            if entry.action == "export" and " to " in detail:
                detail = detail.split(" to ", 1)[0] + " to " + FILE_REMOVED
            new = replace(entry, client_reference=pseudonym, detail=detail)
        elif reference.strip().casefold() in entry.detail.casefold():
            new = replace(entry, detail=_scrubbed(entry.detail, everywhere))
        if new != entry:
            changed += 1
        if relinked_from is not None or new != entry:
            if relinked_from is None:
                relinked_from = entry.sequence
            if previous_hash is not None:
                new = replace(new, previous_hash=previous_hash)
        if new != entry:
            blob = seal_json(cipher, "access_log", row.id, new.to_dict(), generation)
            conn.execute(
                "UPDATE access_log SET format_version = ?, data = ? WHERE id = ?",
                (RECORD_FORMAT, blob, row.id),
            )
        previous_hash, last = new.hash, new
    head_before = state.log_hash
    if relinked_from is not None and last is not None and last.sequence == state.log_sequence:
        state.log_hash = last.hash
    return Pseudonymised(changed, relinked_from, head_before)
