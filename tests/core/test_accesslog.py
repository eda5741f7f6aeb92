"""The hash chain of the access log detects removed, reordered, edited and cut-off entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kindcheck.accesslog import AccessEntry, new_entry, verify_chain

MOMENT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def chain(length: int) -> list[AccessEntry]:
    entries: list[AccessEntry] = []
    for number in range(length):
        entries.append(
            new_entry(
                entries[-1] if entries else None,
                "read",
                "fatima",
                f"EPD-{number}",
                "session",
                now=MOMENT,
            )
        )
    return entries


def head(entries: list[AccessEntry]) -> tuple[int, str]:
    return entries[-1].sequence, entries[-1].hash


def test_a_whole_chain_verifies() -> None:
    entries = chain(5)
    assert verify_chain(entries, *head(entries)) == []
    assert [e.sequence for e in entries] == [0, 1, 2, 3, 4]


def test_a_removed_entry_is_detected() -> None:
    entries = chain(5)
    problems = verify_chain(entries[:2] + entries[3:], *head(entries))
    assert problems == ["access log: entries 2 to 2 are missing"]


def test_reordered_entries_are_detected() -> None:
    entries = chain(5)
    swapped = [entries[0], entries[2], entries[1], entries[3], entries[4]]
    assert verify_chain(swapped, *head(entries))


def test_an_edited_entry_is_detected() -> None:
    entries = chain(5)
    entries[2] = replace(entries[2], client_reference="EPD-other")
    problems = verify_chain(entries, *head(chain(5)))
    assert problems == [
        "access log: entry 3 does not follow the entry before it (edited or reordered)"
    ]


def test_a_cut_off_end_is_detected_through_the_head() -> None:
    entries = chain(5)
    assert verify_chain(entries[:3], *head(entries)) == [
        "access log: entries 3 to 4 are missing (the end was cut off)"
    ]
    assert verify_chain([], *head(entries)) == ["access log: all 5 entries are missing"]


def test_a_replaced_last_entry_is_detected_through_the_head() -> None:
    entries = chain(3)
    forged = [*entries[:2], replace(entries[2], action="change")]
    assert verify_chain(forged, *head(entries)) == [
        "access log: the newest entry does not match the vault's record of it"
    ]


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown access-log action"):
        new_entry(None, "peek", "u", None, "x")


def test_round_trip_through_a_dict() -> None:
    entry = chain(1)[0]
    assert AccessEntry.from_dict(entry.to_dict()) == entry
    assert entry.at == "2026-11-25T10:00:00+00:00"
