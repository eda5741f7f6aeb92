"""Everything Kindcheck keeps about one client, for the client's right of access.

:func:`render_client_dossier` makes, from plain inputs, a readable PDF and a JSON document of:
the client (reference, name, since when), the follow-up plan, events, every session with its
corrections (each as :mod:`kindcheck.record.blocks` renders a session, with Meldcode steps and
hand-offs), and the access-log entries about the client. The caller (the service layer) reads
these from the vault and logs the export; nothing here reads or writes anything. Both are
built in memory.

The JSON is versioned (``format`` "kindcheck-client-dossier", ``format_version`` 1) and
described by ``client_dossier.schema.json``; each session in it is a session-record document
(``session_record.schema.json``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, Final

from kindcheck.accesslog import AccessEntry
from kindcheck.i18n import t
from kindcheck.questionnaire import Localized
from kindcheck.text import one_line

from .blocks import (
    BLANK,
    Block,
    heading,
    line,
    moment,
    plan_blocks,
    session_blocks,
    subheading,
    title,
)
from .build import PlanInput, plan_section
from .json_doc import plain, record_document
from .model import SessionRecord

FORMAT_NAME: Final = "kindcheck-client-dossier"
FORMAT_VERSION: Final = 1
SCHEMA_FILE: Final = "client_dossier.schema.json"


@dataclass(frozen=True)
class DossierClient:
    reference: str
    name: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class DossierEvent:
    """An event recorded for the client (an admission, a crisis), with its name."""

    event: str
    name: Localized
    on: date


@dataclass(frozen=True)
class Dossier:
    pdf: bytes
    json: str


def _entry_line(entry: AccessEntry, lang: str) -> str:
    when = moment(datetime.fromisoformat(entry.at), lang)
    action = t(f"record.dossier.action.{entry.action}", lang)
    outcome = "" if entry.outcome == "done" else " (" + t("record.dossier.refused", lang) + ")"
    return f"{when} · {action}{outcome} · {one_line(entry.user)} · {one_line(entry.detail)}"


def dossier_blocks(
    client: DossierClient,
    sessions: Sequence[SessionRecord],
    access_log: Sequence[AccessEntry],
    *,
    plan: PlanInput | None,
    events: Sequence[DossierEvent],
    lang: str,
    produced_at: datetime,
    produced_by: str,
) -> list[list[Block]]:
    """The dossier as sections of blocks; each section starts on a new page in the PDF."""
    cover = [
        title(t("record.dossier.title", lang)),
        line(t("record.confidential_line", lang), style="strong"),
        line(t("record.client", lang, reference=one_line(client.reference))),
    ]
    if client.name:
        cover.append(line(t("record.dossier.name", lang, name=one_line(client.name))))
    if client.created_at is not None:
        cover.append(line(t("record.dossier.since", lang, when=moment(client.created_at, lang))))
    cover.append(
        line(
            t(
                "record.dossier.produced",
                lang,
                when=moment(produced_at, lang),
                who=one_line(produced_by) or t("record.unknown_user", lang),
            )
        )
    )
    cover += [BLANK, line(t("record.dossier.explained", lang))]
    cover += [BLANK, heading(t("record.dossier.contents", lang))]
    cover.append(line(t("record.dossier.session_count", lang, count=len(sessions)), 1, bullet=True))
    cover.append(line(t("record.dossier.log_count", lang, count=len(access_log)), 1, bullet=True))
    cover += [BLANK, heading(t("record.heading.followup", lang))]
    if plan is not None:
        cover += plan_blocks(plan_section(plan), lang)
    else:
        cover.append(line(t("record.dossier.no_plan", lang)))
    if events:
        cover.append(subheading(t("record.dossier.events", lang)))
        cover += [
            line(f"{event.on.isoformat()}: {event.name.get(lang)}", 1, bullet=True)
            for event in events
        ]
    sections = [cover]
    for record in sessions:
        sections.append(session_blocks(record, lang))
    log = [
        title(t("record.dossier.log_title", lang)),
        line(t("record.dossier.log_explained", lang)),
    ]
    if not access_log:
        log.append(line(t("record.dossier.log_empty", lang)))
    log += [line(_entry_line(entry, lang), bullet=True) for entry in access_log]
    sections.append(log)
    return sections


def dossier_document(
    client: DossierClient,
    sessions: Sequence[SessionRecord],
    access_log: Sequence[AccessEntry],
    *,
    plan: PlanInput | None,
    events: Sequence[DossierEvent],
    produced_at: datetime,
    produced_by: str,
) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "produced_at": produced_at.isoformat(),
        "produced_by": produced_by,
        "client": {
            "reference": client.reference,
            "name": client.name,
            "created_at": plain(client.created_at),
        },
        "plan": plain(plan_section(plan)) if plan is not None else None,
        "events": [
            {"event": event.event, "name": plain(event.name), "date": event.on.isoformat()}
            for event in events
        ],
        "sessions": [record_document(record) for record in sessions],
        "access_log": [entry.to_dict() for entry in access_log],
    }


def render_client_dossier(
    client: DossierClient,
    sessions: Sequence[SessionRecord],
    access_log: Sequence[AccessEntry],
    *,
    plan: PlanInput | None = None,
    events: Sequence[DossierEvent] = (),
    lang: str = "nl",
    produced_at: datetime,
    produced_by: str,
) -> Dossier:
    """The client's dossier as a PDF and a JSON document (both in memory)."""
    from .pdf import draw_blocks, new_pdf, pdf_bytes

    reference = one_line(client.reference)
    document = new_pdf(
        t("record.dossier.header", lang, reference=reference),
        lang,
        t("record.dossier.title_for", lang, reference=reference),
    )
    for section in dossier_blocks(
        client,
        sessions,
        access_log,
        plan=plan,
        events=events,
        lang=lang,
        produced_at=produced_at,
        produced_by=produced_by,
    ):
        document.add_page()
        draw_blocks(document, section)
    data = dossier_document(
        client,
        sessions,
        access_log,
        plan=plan,
        events=events,
        produced_at=produced_at,
        produced_by=produced_by,
    )
    return Dossier(
        pdf=pdf_bytes(document), json=json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    )


@cache
def dossier_schema() -> dict[str, Any]:
    """The JSON Schema of the dossier document (draft 2020-12)."""
    text = resources.files("kindcheck.record").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
