"""The outcome of an intake, safety first.

1. Signals of unsafety: the Meldcode steps with Veilig Thuis (0800-2000) and a checklist of the
   steps with dates, which is stored with the session.
2. The children in view, or the check closed (no minor children, no pregnancy), recorded.
3. The domain count with the answers that made each domain count.
4. The flag "hulp bij opvoeden" (3 or more), or the advice per domain (1-2).
5. The proposed follow-up rhythm, which the clinician can change.

Saving (Ctrl+S) stores session, Meldcode steps and plan encrypted and drops the draft.
The outcome of a follow-up conversation (followup_outcome.py) reuses the safety and
scan sections and the checklist handling from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Select, Static
from textual.worker import Worker, WorkerState

from kindcheck.answers import HandoffRecord
from kindcheck.dates import format_day, parse_date_text
from kindcheck.errors import AnswersError
from kindcheck.i18n import t
from kindcheck.outcome import MeldcodeGuide, MeldcodeGuideV2, Outcome
from kindcheck.service.intake import Intake, outcome_headline
from kindcheck.service.plan_choices import (
    NO_PLAN,
    RHYTHM_CHOICES,
    default_rhythm_choice,
    proposed_dates,
)

from .base import KindcheckScreen
from .dialogs.followthrough import HandoffChoice, HandoffDialog
from .messages import ClientOpened
from .widgets.safe import SafeInput, literal
from .widgets.toggles import TickBox


class SessionSaved(Message):
    """The intake is stored: session, outcome, Meldcode steps and plan."""

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.client_id = client_id


class OutcomeScreen(KindcheckScreen):
    CSS_PATH = "outcome.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "ui.key.save", priority=True),
        Binding("escape", "back", "ui.key.back_to_questions"),
        Binding("o", "handoff", "ui.key.handoff"),
    ]
    TITLE_KEY = "outcome.title"
    SAVED_KEY = "outcome.saved"

    def __init__(self, intake: Intake, autosave: Callable[[], None]) -> None:
        super().__init__()
        self.intake = intake
        self.autosave = autosave
        self.outcome: Outcome | None = None
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(self.tr(self.TITLE_KEY), " · ", literal(self.intake.reference)),
            classes="top-bar",
        )
        # The gist before the detail (signals, domains, the flag), outside the scroll so it
        # stays in view.
        # Version 2, with any signal of unsafety: "Bij acuut gevaar: bel 112" and Veilig
        # Thuis before anything else, above the summary and outside the scroll.
        yield Static("", id="acute", markup=False)
        yield Static("", id="summary", markup=False)
        yield VerticalScroll(id="outcome-body")
        yield Static("", id="save-status", classes="error-line", markup=False)
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        if not self.is_attached:
            return  # the app closed before this screen was shown: nothing to fill in
        self.intake.group = self.service.professional_group()
        try:
            self.outcome = self.intake.outcome()
        except AnswersError:
            self.app.pop_screen()
            return
        self._show_acute(self.outcome)
        self._show_summary(self.outcome)
        body = self.query_one("#outcome-body", VerticalScroll)
        await body.mount_all(list(self._sections(self.outcome)))
        if not self.is_attached:
            return  # the app closed while the sections were mounting (they are gone)
        self._after_mount(self.outcome)
        # Focus the page itself: arrows scroll, Tab reaches the checklist and the rhythm,
        # Ctrl+S saves. The safety box, if any, is at the top.
        body.focus()
        body.scroll_home(animate=False)

    def _show_acute(self, outcome: Outcome) -> None:
        acute = self.query_one("#acute", Static)
        lines = [literal("!! " + line.get(self.lang), "bold") for line in outcome.acute_lines]
        acute.update(Content("\n").join(lines))
        acute.display = bool(lines)

    def _show_summary(self, outcome: Outcome) -> None:
        summary = self.query_one("#summary", Static)
        summary.update(literal(outcome_headline(outcome, self.lang)))
        summary.set_class(bool(outcome.safety_signals), "-signal")
        summary.set_class(outcome.parenting_support_flag, "-flag")

    def _after_mount(self, outcome: Outcome) -> None:
        if self.intake.rhythm is None:
            self.intake.rhythm = default_rhythm_choice(outcome)
        self.query_one("#rhythm", Select).value = self.intake.rhythm
        self._show_dates()

    # -- the sections ---------------------------------------------------------------------

    def _sections(self, outcome: Outcome) -> list[Widget]:
        lang = self.lang
        widgets: list[Widget] = self._lead_boxes(outcome)
        if outcome.meldcode:
            widgets.append(self._safety_box(outcome))
        widgets += self._worry_boxes(outcome)

        kindcheck_lines: list[str] = []
        if outcome.check_closed:
            kindcheck_lines.append(t("outcome.check_closed_unsaved", lang))
        elif outcome.has_children == "unknown":
            # By when to ask again (version 1 says it in this line; version 2 also lists it
            # among the open items above).
            reask = next((item for item in outcome.open_items if item.reask_on), None)
            if reask is not None and outcome.version >= 2 and reask.reask_on is not None:
                day = format_day(reask.reask_on, lang)
                kindcheck_lines.append(t("outcome.children_unknown", lang, day=day))
            else:
                kindcheck_lines.append(reask.text.get(lang) if reask else "")
        if outcome.children:
            kindcheck_lines.append(t("outcome.children_in_view", lang, count=len(outcome.children)))
            for child in outcome.children:
                living = t(f"living.{child.living}", lang) if child.living else "-"
                age = "-" if child.age is None else str(child.age)
                kindcheck_lines.append(
                    "  "
                    + t("outcome.child_line", lang, number=child.number, age=age, living=living)
                )
        if outcome.pregnancy == "yes":
            kindcheck_lines.append(t("outcome.pregnancy", lang))
        widgets.append(
            Vertical(
                Static(self.tr("outcome.kindcheck"), classes="box-title"),
                Static(literal("\n".join(kindcheck_lines)), markup=False),
                id="children",
                classes="box",
            )
        )

        if outcome.scan_done:
            widgets.append(self._scan_box(outcome))
        widgets += self._tail_boxes(outcome)

        options = [(self.tr(f"rhythm.{key}"), key) for key in RHYTHM_CHOICES]
        options.append((self.tr("rhythm.none"), NO_PLAN))
        proposed = default_rhythm_choice(outcome)
        widgets.append(
            Vertical(
                Static(self.tr("outcome.followup"), classes="box-title"),
                Static(
                    literal(self.tr("outcome.proposed", rhythm=self.tr(f"rhythm.{proposed}"))),
                    markup=False,
                ),
                Select(options, allow_blank=False, value=proposed, id="rhythm"),
                Static("", id="next-dates", classes="muted", markup=False),
                id="followup",
                classes="box",
            )
        )
        widgets.append(Button(self.tr("outcome.save"), id="save", variant="success"))
        return widgets

    # -- what version 2 adds, in the order of kindcheck.outcome.present ---------------------

    def _lead_boxes(self, outcome: Outcome) -> list[Widget]:
        """What stands first in the scrolling body: nothing since the acute lines and the
        summary stand above it (:meth:`_show_acute`, :meth:`_show_summary`)."""
        return []

    def _worry_boxes(self, outcome: Outcome) -> list[Widget]:
        """Concerns, each with its next steps, and the open items (with the day to ask again):
        no worry and no "don't know" ends nowhere."""
        lang = self.lang
        widgets: list[Widget] = []
        if outcome.concerns:
            lines: list[Widget] = [
                Static(self.tr_outcome("outcome.concerns_title"), classes="box-title")
            ]
            for concern in outcome.concerns:
                lines.append(Static(literal("• " + concern.name.get(lang), "bold"), markup=False))
                lines += [
                    Static(literal("    > " + step.get(lang)), classes="concern-step", markup=False)
                    for step in concern.steps
                ]
            widgets.append(Vertical(*lines, id="concerns", classes="box"))
        if outcome.open_items:
            lines = [Static(self.tr_outcome("outcome.open_items_title"), classes="box-title")]
            for item in outcome.open_items:
                text = item.text.get(lang)
                if item.item is not None:
                    text = t("outcome.open_item_child", lang, number=item.item + 1, text=text)
                if item.reask_on is not None:
                    text += (
                        " (" + t("outcome.reask", lang, day=format_day(item.reask_on, lang)) + ")"
                    )
                lines.append(Static(literal("• " + text), classes="open-item", markup=False))
            widgets.append(Vertical(*lines, id="open-items", classes="box"))
        return widgets

    def _tail_boxes(self, outcome: Outcome) -> list[Widget]:
        """Help to offer (a warm hand-off), and the events this session recorded."""
        lang = self.lang
        widgets: list[Widget] = []
        if outcome.handoffs_offered:
            lines: list[Widget] = [
                Static(self.tr_outcome("outcome.handoffs_title"), classes="box-title")
            ]
            for handoff in outcome.handoffs_offered:
                lines.append(
                    Static(
                        Content.assemble(
                            literal("• " + handoff.name.get(lang), "bold"),
                            ": ",
                            literal(handoff.what.get(lang)),
                        ),
                        classes="handoff",
                        markup=False,
                    )
                )
            agreed = [
                self.tr("handoff.agreed", option=self._handoff_name(outcome, h.option))
                for h in self.intake.handoffs
            ]
            lines.append(Static(literal("\n".join(agreed)), id="handoffs-agreed", markup=False))
            lines.append(Static(self.tr("handoff.key_hint"), classes="muted", markup=False))
            widgets.append(Vertical(*lines, id="handoffs", classes="box"))
        if outcome.events:
            names = ", ".join(event.name.get(lang) for event in outcome.events)
            widgets.append(
                Static(
                    literal(t("outcome.events", lang, events=names)),
                    id="events",
                    classes="box",
                    markup=False,
                )
            )
        return widgets

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "handoff":
            return self.outcome is not None and bool(self.outcome.handoffs_offered)
        return True

    def action_handoff(self) -> None:
        """Record a warm hand-off to one of the help offered (stored with the session)."""
        outcome = self.outcome
        if outcome is None or not outcome.handoffs_offered:
            return
        options = [(h.name.get(self.lang), h.id) for h in outcome.handoffs_offered]

        def chosen(result: object) -> None:
            if isinstance(result, HandoffChoice):
                self.intake.handoffs.append(
                    HandoffRecord(
                        result.option,
                        result.consent_asked,
                        result.consent_given,
                        result.contact,
                        result.contact_on,
                        result.organisation,
                    )
                )
                self.autosave()
                agreed = [
                    self.tr("handoff.agreed", option=self._handoff_name(outcome, h.option))
                    for h in self.intake.handoffs
                ]
                self.query_one("#handoffs-agreed", Static).update(literal("\n".join(agreed)))
                self.notify(self.tr("handoff.saved"), markup=False)

        self.app.push_screen(HandoffDialog(options, self.today()), chosen)

    def _handoff_name(self, outcome: Outcome, option: str) -> str:
        found = next((h for h in outcome.handoffs_offered if h.id == option), None)
        return found.name.get(self.lang) if found else option

    def tr_outcome(self, key: str) -> Content:
        return literal(t(key, self.lang))

    def _safety_box(
        self,
        outcome: Outcome,
        notes: dict[str, str] | None = None,
        checklist: bool = True,
        lead: Sequence[Widget] = (),
    ) -> Vertical:
        """Signals of unsafety with Veilig Thuis and the Meldcode steps: always first.

        ``notes`` adds a word per signal (a follow-up says which are new). Without
        ``checklist`` the widgets in ``lead`` stand where the checkboxes would (a follow-up
        that finds only signals known before continues the checklist already open)."""
        lang = self.lang
        guide = outcome.meldcode
        assert guide is not None
        children: list[Widget] = [
            Static(literal("!! " + guide.title.get(lang)), classes="box-title", markup=False),
        ]
        for signal in outcome.safety_signals:
            line = literal("• " + signal.name.get(lang))
            note = (notes or {}).get(signal.id)
            if note:
                line = Content.assemble(line, "  ", literal(note, "bold"))
            children.append(Static(line, markup=False, classes="signal"))
        children.append(
            Static(
                Content.assemble(
                    (self.tr("outcome.veilig_thuis") + " ", "bold"), (guide.phone, "bold reverse")
                ),
                classes="phone",
                markup=False,
            )
        )
        if isinstance(guide, MeldcodeGuide):  # version 2 says it in the acute lines, above
            children.append(
                Static(literal(guide.advice_anytime.get(lang)), classes="muted", markup=False)
            )
        children.extend(lead)
        if checklist:
            children.append(Static(self.tr("outcome.checklist"), classes="subtitle"))
            for step in guide.steps:
                stored = self.intake.meldcode_steps.get(step.id)
                row = Horizontal(
                    TickBox(
                        step.title.get(lang),
                        value=stored is not None,
                        id=f"check-{step.id}",
                        classes="meldcode-check",
                    ),
                    SafeInput(
                        value=format_day(date.fromisoformat(stored), lang) if stored else "",
                        placeholder=self.tr("intake.date_hint"),
                        id=f"date-{step.id}",
                        classes="meldcode-date",
                        max_length=10,
                    ),
                    classes="meldcode-row",
                )
                children.append(row)
                children.append(
                    Static(
                        literal(step.detail.get(lang)), classes="muted step-detail", markup=False
                    )
                )
        if isinstance(guide, MeldcodeGuideV2):
            group = outcome.professional_group
            framework = (
                t("outcome.afwegingskader", lang, text=group.afwegingskader.get(lang))
                if group is not None
                else t("outcome.no_group", lang)
            )
            children.append(Static(literal(framework), id="afwegingskader", markup=False))
        children.append(
            Static(literal(guide.not_a_decision.get(lang)), classes="muted", markup=False)
        )
        return Vertical(*children, id="safety", classes="box")

    def _scan_box(self, outcome: Outcome, comparison: str | None = None) -> Vertical:
        """The domain count with the answers behind each domain, the flag and the advice.
        ``comparison`` (in a follow-up) says how the count changed since the previous scan."""
        lang = self.lang
        scan: list[Widget] = [
            Static(
                literal(t("outcome.domain_count", lang, count=outcome.problem_domain_count)),
                classes="box-title",
                id="domain-count",
                markup=False,
            )
        ]
        if comparison:
            scan.append(Static(literal(comparison), id="domain-change", markup=False))
        questionnaire = self.intake.scan_questionnaire
        for domain in outcome.problem_domains:
            scan.append(
                Static(literal("• " + domain.name.get(lang)), classes="domain-name", markup=False)
            )
            for reason in domain.reasons:
                answer = questionnaire.question(reason.question_id).answer_label(
                    reason.answer, lang
                )
                scan.append(
                    Static(
                        Content.assemble(
                            "    ",
                            literal(reason.question_text.get(lang)),
                            " ",
                            literal(f"({answer})", "dim"),
                        ),
                        classes="reason",
                        markup=False,
                    )
                )
        if outcome.parenting_support_flag:
            scan.append(
                Static(
                    literal(t("outcome.flag", lang, threshold=outcome.stacking_threshold)),
                    id="flag",
                    markup=False,
                )
            )
        elif outcome.problem_domains:
            scan.append(
                Static(literal(t("outcome.tackle_each", lang)), classes="subtitle", markup=False)
            )
        else:
            scan.append(Static(literal(t("outcome.no_stacking", lang)), markup=False))
        if outcome.parenting_support_flag and outcome.problem_domains:
            scan.append(
                Static(literal(t("outcome.tackle_each", lang)), classes="subtitle", markup=False)
            )
        for domain in outcome.problem_domains:
            scan.append(
                Static(
                    Content.assemble(
                        literal(domain.name.get(lang), "bold"),
                        ": ",
                        literal(" ".join(item.text.get(lang) for item in domain.advice)),
                    ),
                    classes="advice",
                    markup=False,
                )
            )
        return Vertical(*scan, id="scan", classes="box")

    # -- changes ------------------------------------------------------------------------

    @on(Checkbox.Changed, ".meldcode-check")
    def _step_checked(self, event: Checkbox.Changed) -> None:
        step_id = (event.checkbox.id or "").removeprefix("check-")
        field = self.query_one(f"#date-{step_id}", Input)
        if event.value:
            if not field.value.strip():
                field.value = format_day(self.today(), self.lang)
            self._store_step(step_id, field.value)
        else:
            self.intake.meldcode_steps.pop(step_id, None)
            self.autosave()

    @on(Input.Changed, ".meldcode-date")
    def _step_date(self, event: Input.Changed) -> None:
        step_id = (event.input.id or "").removeprefix("date-")
        if self.query_one(f"#check-{step_id}", Checkbox).value:
            self._store_step(step_id, event.value)

    def _store_step(self, step_id: str, text: str) -> None:
        status = self.query_one("#save-status", Static)
        try:
            day = parse_date_text(text)
        except ValueError:
            status.update(self.tr("intake.need_date"))
            return
        status.update("")
        if self.intake.meldcode_steps.get(step_id) != day:
            self.intake.meldcode_steps[step_id] = day
            self.autosave()

    @on(Select.Changed, "#rhythm")
    def _rhythm_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.intake.rhythm:
            self.intake.rhythm = event.value
            self.intake.rhythm_changed = (
                self.outcome is not None and event.value != default_rhythm_choice(self.outcome)
            )
            self.autosave()
        self._show_dates()

    def _show_dates(self) -> None:
        label = self.query_one("#next-dates", Static)
        if self.outcome is None or not self.intake.rhythm or self.intake.rhythm == NO_PLAN:
            if self.outcome is not None and self.outcome.has_open_items:
                # Never "no follow-up needed" while something is still to find out.
                label.update(literal(t("outcome.no_plan_yet", self.lang)))
            else:
                label.update(self.tr("outcome.no_plan"))
            return
        proposed = proposed_dates(
            self.intake.session(), self.outcome, self.intake.rhythm, self.intake.started
        )
        if proposed is None:
            label.update(self.tr("outcome.no_plan"))
            return
        dates, ends_on = proposed
        text = ", ".join(format_day(day, self.lang) for day in dates)
        if ends_on:
            text += " … " + self.tr("outcome.plan_until", day=format_day(ends_on, self.lang))
        label.update(literal(self.tr("outcome.next_dates", dates=text)))

    # -- saving -------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        steps: dict[str, date | None] = {}
        for step_id, value in self.intake.meldcode_steps.items():
            steps[step_id] = date.fromisoformat(value) if value else None
        if self.outcome and self.outcome.meldcode:
            for checkbox in self.query(".meldcode-check").results(Checkbox):
                step_id = (checkbox.id or "").removeprefix("check-")
                if checkbox.value and step_id not in self.intake.meldcode_steps:
                    self.query_one("#save-status", Static).update(self.tr("intake.need_date"))
                    return
        self.saving = True
        self.query_one("#save-status", Static).update(self.tr("outcome.saving"))
        self.save_session(steps, self.intake.rhythm or NO_PLAN, self.intake.rhythm_changed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def save_session(self, steps: dict[str, date | None], rhythm: str, changed: bool) -> None:
        session = self.intake.session()
        client_id = self.service.save_intake(
            session, steps, rhythm, changed, self.intake.draft_id, outcome=self.outcome
        )
        self.post_message(SessionSaved(client_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "save" and event.state == WorkerState.ERROR:
            self.saving = False
            self.query_one("#save-status", Static).update(self.tr("outcome.save_failed"))

    def on_session_saved(self, message: SessionSaved) -> None:
        self.intake.phase = "saved"
        self.notify(self.tr(self.SAVED_KEY), markup=False)
        self.post_message(ClientOpened(message.client_id, from_home=True))

    def action_back(self) -> None:
        if not self.saving:
            self.app.pop_screen()

    def draft_for_lock(self) -> None:
        return None  # the intake screen underneath keeps the draft

    def palette_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand(self.tr("cmd.save"), self.tr("cmd.save_help"), self.action_save)
        yield SystemCommand(
            self.tr("cmd.back_to_questions"), self.tr("cmd.back_help"), self.action_back
        )
