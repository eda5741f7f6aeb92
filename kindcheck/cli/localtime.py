"""Times of the access log as a person at this computer reads them: in local time, saying
which.

The log stores UTC (ISO 8601); ``kindcheck log`` shows each time in the computer's local time
and says which zone that is and its offset from UTC for the times shown (``Europe/Amsterdam,
UTC+01:00 and UTC+02:00`` when the table crosses a clock change). The app's log screen shows
Dutch time instead: it is a tool for Dutch teams. ``--json`` and ``-o`` keep UTC.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from kindcheck.dates import format_machine_time
from kindcheck.text import one_line

from .common import text


def _parsed(moment: str) -> datetime | None:
    try:
        return datetime.fromisoformat(moment).astimezone()
    except ValueError:
        return None


def local_time(moment: str) -> str:
    """A stored UTC time as ``YYYY-MM-DD HH:MM:SS`` in local time (as stored when unreadable);
    kindcheck.dates is the one home of that format."""
    return format_machine_time(moment)


def utc_offset(offset: timedelta | None) -> str:
    """``UTC+01:00``, ``UTC-03:30``, ``UTC+00:00``."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_name() -> str:
    """The local time zone's IANA name where the system tells it (``TZ``, /etc/localtime,
    /etc/timezone), else the abbreviation the C library gives (Windows: its zone's name)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    candidates: list[str] = []
    configured = os.environ.get("TZ", "").lstrip(":")
    if configured:
        candidates.append(configured)
    try:
        link = os.readlink("/etc/localtime")
    except OSError:
        link = ""
    if "zoneinfo/" in link:
        candidates.append(link.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates.append(Path("/etc/timezone").read_text("utf-8").strip())
    for candidate in candidates:
        if not candidate or candidate.startswith(("/", ".")) or ".." in candidate:
            continue
        try:
            ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return candidate
    return one_line(time.tzname[time.localtime().tm_isdst > 0]) or "?"


def zone_note(moments: Iterable[str], lang: str) -> str:
    """Which local time the shown times are in, with each UTC offset among them."""
    offsets: list[str] = []
    for moment in moments:
        parsed = _parsed(moment)
        if parsed is not None and (offset := utc_offset(parsed.utcoffset())) not in offsets:
            offsets.append(offset)
    if not offsets:
        offsets.append(utc_offset(datetime.now().astimezone().utcoffset()))
    joined = text("log.offsets_and", lang).join(sorted(offsets))
    return text("log.local_time", lang, zone=zone_name(), offsets=joined)
