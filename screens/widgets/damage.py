"""How the app names a record that cannot be read, and says what to do about it.

The service never drops a damaged record silently (kindcheck.service.views.DamagedRecord);
every screen that leaves one out shows it here: by the client's reference where that can be
known, else by the record id's first 8 characters (ids come from the file: they are shown
through :func:`~kindcheck.text.one_line`, control characters dropped), with what to do:
restore a backup, and ``kindcheck verify`` for the full list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from textual.content import Content

from kindcheck.dates import format_day

from .safe import literal

if TYPE_CHECKING:
    from kindcheck.service.views import DamagedRecord

Translate = Callable[..., str]

MAX_NAMED = 5  # on one line; `kindcheck verify` lists every one
KINDS = ("client", "session", "plan", "draft", "log", "vault")


def damaged_name(item: DamagedRecord, tr: Translate, lang: str) -> str:
    """ "session e0b60bca of EPD-100 (16-03-2026)", "client 2f39665d", "a record"."""
    kind = item.kind if item.kind in KINDS else "record"
    name = tr(f"damaged.{kind}", id=item.short_id)
    if item.reference and kind != "client":
        name = tr("damaged.of", what=name, reference=item.reference)
    if item.held_on is not None:
        name = tr("damaged.held", what=name, day=format_day(item.held_on, lang))
    return name


def damaged_names(records: Sequence[DamagedRecord], tr: Translate, lang: str) -> str:
    """The first few records by name, and how many more."""
    names = [damaged_name(item, tr, lang) for item in records[:MAX_NAMED]]
    if len(records) > MAX_NAMED:
        names.append(tr("damaged.more", count=len(records) - MAX_NAMED))
    return ", ".join(names)


def damaged_notice(records: Sequence[DamagedRecord], tr: Translate, lang: str) -> Content:
    """One paragraph: which records cannot be read, and what to do (empty for none)."""
    if not records:
        return Content("")
    text = tr("damaged.summary", count=len(records), names=damaged_names(records, tr, lang))
    return literal(text + " " + tr("damaged.what_to_do"))
