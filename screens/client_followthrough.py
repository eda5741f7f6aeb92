"""The client page's version-2 follow-through (a part of :class:`~.client.ClientScreen`):
events that make the Kindcheck due again (g), the status of a warm hand-off (w), and the
Meldcode process after step 1: afwegingen (a), decisions (b) and closing it (c). Each is a
typed dialog (dialogs/followthrough.py), stored by a thread worker.
"""

from __future__ import annotations

from datetime import date

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from kindcheck.dates import format_day
from kindcheck.service.views import ClientDetail

from .base import KindcheckScreen
from .dialogs.followthrough import DatedChoice, DatedChoiceDialog
from .widgets.safe import literal


class PlanSaved(Message):
    """A change to the plan is stored; ``done_key`` says what, for the clinician."""

    def __init__(self, detail: ClientDetail, done_key: str, day: str = "") -> None:
        super().__init__()
        self.detail = detail
        self.done_key = done_key
        self.day = day


class ClientFollowThrough(KindcheckScreen):
    """Events, hand-offs and the Meldcode process on the client's page."""

    client_id: str
    detail: ClientDetail | None

    def _part(self, name: str) -> Static:
        raise NotImplementedError  # the page's blocks, made by ClientScreen.compose

    def action_record_event(self) -> None:
        """An admission, a crisis, a new child...: the Kindcheck is due again."""
        from kindcheck.service.followthrough import catalog

        choices = [(event.name.get(self.lang), event.id) for event in catalog().events]

        def chosen(result: object) -> None:
            if isinstance(result, DatedChoice):
                self.store_event(result.choice, result.on)

        self.app.push_screen(
            DatedChoiceDialog(self.tr("event.title"), choices, self.today()), chosen
        )

    def action_handoff_status(self) -> None:
        """Whether the help of an open warm hand-off started (or not, or is declined)."""
        from kindcheck.service.followthrough import catalog

        detail = self.detail
        if detail is None:
            return
        names = {h.id: h.name.get(self.lang) for h in catalog().handoffs}
        choices = [
            (
                f"{names.get(handoff.option, handoff.option)}: "
                + self.tr(f"handoff.status_{status}"),
                f"{handoff.id}:{status}",
            )
            for handoff in detail.handoffs
            if handoff.status == "open"
            for status in ("started", "not_started", "declined")
        ]
        if not choices:
            return

        def chosen(result: object) -> None:
            if isinstance(result, DatedChoice):
                handoff_id, status = result.choice.split(":")
                self.store_handoff_status(handoff_id, status, result.on)

        self.app.push_screen(
            DatedChoiceDialog(self.tr("handoff.title"), choices, self.today()), chosen
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-write")
    def store_handoff_status(self, handoff_id: str, status: str, on: date) -> None:
        self.service.set_handoff_status(self.client_id, handoff_id, status, on)
        self.post_message(PlanSaved(self.service.client(self.client_id), "handoff.status_saved"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-write")
    def store_event(self, event_id: str, on: date) -> None:
        due = self.service.record_event(self.client_id, event_id, on)
        self.post_message(
            PlanSaved(
                self.service.client(self.client_id), "event.saved", format_day(due, self.lang)
            )
        )

    def action_meldcode(self, what: str) -> None:
        """Step 5 of the Meldcode: an afweging (yes/no, dated), a decision, or closing the
        process with its reason and the rhythm from now on."""
        from kindcheck.service.followthrough import CLOSING_RHYTHMS, guide

        detail = self.detail
        if detail is None or detail.meldcode is None or not detail.meldcode.is_open:
            return
        meldcode = guide()
        lang = self.lang
        rhythms = [
            (self.tr(f"rhythm.{key}") if key != "keep" else self.tr("meldcode.keep"), key)
            for key in CLOSING_RHYTHMS
        ]
        if what == "afweging":
            # The guide's questions carry their number ("1. ...").
            choices = [
                (
                    f"{a.question.get(lang)} {self.tr(f'meldcode.answer_{answer}')}",
                    f"{a.id}:{answer}",
                )
                for a in meldcode.afwegingen
                for answer in ("yes", "no")
            ]
            dialog = DatedChoiceDialog(self.tr("meldcode.afwegingen"), choices, self.today())
        elif what == "decision":
            choices = [(d.name.get(lang), d.id) for d in meldcode.decisions]
            dialog = DatedChoiceDialog(
                self.tr("meldcode.decision"),
                choices,
                self.today(),
                needs_reason=frozenset(d.id for d in meldcode.decisions if d.needs_reason),
                rhythms=rhythms,
                needs_rhythm=frozenset(d.id for d in meldcode.decisions if d.closes_process),
            )
        else:
            dialog = DatedChoiceDialog(
                self.tr("meldcode.close"),
                [(self.tr("meldcode.close"), "close")],
                self.today(),
                rhythms=rhythms,
            )

        def chosen(result: object) -> None:
            if isinstance(result, DatedChoice):
                self.store_meldcode(what, result)

        self.app.push_screen(dialog, chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-write")
    def store_meldcode(self, what: str, result: DatedChoice) -> None:
        detail = self.detail
        assert detail is not None and detail.meldcode is not None
        session_id = detail.meldcode.session_id
        if what == "afweging":
            afweging, answer = result.choice.split(":")
            self.service.set_afweging(session_id, afweging, answer, result.on)
        elif what == "decision":
            self.service.add_meldcode_decision(
                self.client_id, session_id, result.choice, result.on, result.reason,
                result.next_rhythm,
            )  # fmt: skip
        else:
            self.service.close_meldcode(
                self.client_id, session_id, result.on, result.reason, result.next_rhythm or "keep"
            )
        self.post_message(PlanSaved(self.service.client(self.client_id), "meldcode.saved"))

    def _show_followthrough(self, detail: ClientDetail) -> None:
        """What is due besides the plan (the Kindcheck after an event, questions to ask
        again), the events recorded and the warm hand-offs with their status."""
        from kindcheck.service.followthrough import catalog, reask_label

        lang = self.lang
        known = catalog()
        lines: list[Content] = []
        for item in detail.due:
            day = format_day(item.when, lang) if item.when else "-"
            if item.kind == "kindcheck":
                name = (
                    known.event(item.detail).name.get(lang)
                    if known.has_event(item.detail)
                    else item.detail
                )
                text = self.tr("home.kindcheck_due", event=name, day=day)
            else:
                text = self.tr("home.reask_due", what=reask_label(item.detail, lang), day=day)
            lines.append(literal("!  " + text, "bold $warning"))
        for event in detail.events:
            name = (
                known.event(event.event).name.get(lang)
                if known.has_event(event.event)
                else event.event
            )
            lines.append(
                literal(f"   {self.tr('key.event')}: {name} ({format_day(event.on, lang)})")
            )
        for handoff in detail.handoffs:
            name = next(
                (h.name.get(lang) for h in known.handoffs if h.id == handoff.option), handoff.option
            )
            status = self.tr(f"handoff.status_{handoff.status}")
            lines.append(literal(f"   {self.tr('key.handoff')}: {name} · {status}"))
        if any(handoff.status == "open" for handoff in detail.handoffs):
            lines.append(literal(self.tr("client.handoff_keys"), "dim"))
        lines.append(literal(self.tr("client.event_keys"), "dim"))
        self._part("followthrough-view").update(Content("\n").join(lines))
