"""Dates and times as a person types or reads them: one place for every screen and command.

- :func:`parse_date_text` reads a day as a Dutch clinician types it (25-11-2026) or ISO.
- :func:`age_on`: a person's age in whole years on a day (the one rule for ages).
- :func:`format_day` writes a day: 25-11-2026 in Dutch, ISO in English; ``short_day`` without
  the year (chart labels).
- Stored times are UTC. A Dutch clinician reads them in Dutch time, whatever the laptop's zone
  says (:data:`AMSTERDAM`): :func:`format_moment` (the access log), :func:`format_saved_at`
  (when a draft was saved). ``kindcheck log`` prints the computer's own zone
  (:func:`format_machine_time`).

No Textual here: the core and the command line use these too.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from kindcheck.text import one_line

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# Day first (as Dutch clinicians write), ISO, and two-digit years.
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%y", "%d/%m/%y")


def parse_date_text(text: str) -> str:
    """A date as a Dutch clinician types it (25-11-2026) or ISO, as YYYY-MM-DD.

    Raises ValueError for anything that is not a real day (31-02-2026 included)."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(text)


def age_on(birth_date: date, day: date) -> int:
    """Whole years from ``birth_date`` to ``day`` (negative when ``day`` comes first).

    Someone born on 29 February has a birthday on 28 February in a common year, as
    kindcheck.followup's plan end counts the 18th birthday (relativedelta clamps to the
    month's last day)."""
    years = day.year - birth_date.year
    try:
        birthday = birth_date.replace(year=day.year)
    except ValueError:  # 29 February in a common year
        birthday = birth_date.replace(year=day.year, day=28)
    return years - 1 if day < birthday else years


def format_day(day: date | None, lang: str) -> str:
    """A date as the clinician reads and types it: 25-11-2026 in Dutch, ISO in English."""
    if day is None:
        return "-"
    return day.strftime("%d-%m-%Y") if lang == "nl" else day.isoformat()


def short_day(day: date, lang: str) -> str:
    """Day and month only: 25-11 in Dutch, 11-25 in English."""
    return day.strftime("%d-%m") if lang == "nl" else day.strftime("%m-%d")


def format_moment(moment: str, lang: str, seconds: bool = False) -> str:
    """A stored UTC time in Dutch time: 25-11-2026 10:30 (nl) or 2026-11-25 10:30 (en).

    A text that is not a time is shown as it is, on one line."""
    try:
        when = datetime.fromisoformat(moment).astimezone(AMSTERDAM)
    except ValueError:
        return one_line(moment)
    day = "%d-%m-%Y" if lang == "nl" else "%Y-%m-%d"
    return when.strftime(f"{day} %H:%M:%S" if seconds else f"{day} %H:%M")


def format_saved_at(moment: datetime | None, lang: str) -> str:
    """When a draft was saved, in Dutch time, the day as everywhere else: 25-11-2026 10:30
    (nl) or 2026-11-25 10:30 (en); "-" when unknown."""
    if moment is None:
        return "-"
    local = moment.astimezone(AMSTERDAM)
    return f"{format_day(local.date(), lang)} {local:%H:%M}"


def format_machine_time(moment: str) -> str:
    """A stored UTC time in the computer's own zone, ISO with seconds (``kindcheck log``).

    A text that is not a time is shown as it is, on one line."""
    try:
        return f"{datetime.fromisoformat(moment).astimezone():%Y-%m-%d %H:%M:%S}"
    except ValueError:
        return one_line(moment)
