"""The outcome of a follow-up conversation, safety first.

1. Signals of unsafety. A signal the previous session did not have is new: the Meldcode steps
   come with a fresh checklist, stored with this session. Signals already known continue the
   Meldcode process of the session that opened it (its checklist is on the client page).
2. Per child: how the child is doing, whether the child knows what is going on and has an
   adult to turn to outside the home, and what changed.
3. The parent: strain in parenting, the wish for support, referrals made.
4. If the problem scan was repeated: the domain count now against the previous scan
   ("4 → 2 (-2)"), the answers behind it, and the flag.
5. The plan once saved: the next conversation (a new signal or stacking makes the rhythm more
   frequent; kindcheck.followup.policy decides that, as for any session).

Saving (Ctrl+S) records the session (kind "followup"); the plan's next date moves on because
a plan's status counts from the latest session held (kindcheck.service.caseload).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from textual import work
from textual.app import SystemCommand
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from kindcheck.dates import format_day
from kindcheck.i18n import t
from kindcheck.outcome import Outcome
from kindcheck.service.views import FollowUpPreview

from .outcome import OutcomeScreen, SessionSaved
from .widgets.safe import literal

WORRYING = {
    "child_wellbeing": {"worried"},
    "child_knows": {"no"},
    "child_trusted_adult": {"no"},
    "parent_strain": {"high"},
}


class PreviewLoaded(Message):
    def __init__(self, preview: FollowUpPreview) -> None:
        super().__init__()
        self.preview = preview


def domain_change(before: int, now: int) -> str:
    """How the domain count moved: "4 → 2 (-2)", "2 → 2 (±0)"."""
    delta = now - before
    return f"{before} → {now} ({'±0' if delta == 0 else f'{delta:+d}'})"


class FollowUpOutcomeScreen(OutcomeScreen):
    TITLE_KEY = "followup.outcome_title"
    SAVED_KEY = "followup.saved"

    def _after_mount(self, outcome: Outcome) -> None:
        self.load_preview()

    # -- the sections ---------------------------------------------------------------------

    def _sections(self, outcome: Outcome) -> list[Widget]:
        widgets: list[Widget] = self._lead_boxes(outcome)
        if outcome.meldcode:
            widgets.append(self._followup_safety(outcome))
        widgets += self._worry_boxes(outcome)
        widgets.append(self._children_box())
        widgets.append(self._parent_box())
        widgets.append(self._scan_section(outcome))
        widgets += self._tail_boxes(outcome)
        widgets.append(
            Vertical(
                Static(self.tr("outcome.followup"), classes="box-title"),
                Static(self.tr("followup.preview_loading"), id="next-dates", markup=False),
                Static(self.tr("followup.plan_on_client_page"), classes="muted", markup=False),
                id="followup",
                classes="box",
            )
        )
        widgets.append(Button(self.tr("outcome.save"), id="save", variant="success"))
        return widgets

    def _followup_safety(self, outcome: Outcome) -> Vertical:
        previous = self.intake.previous
        known = set(previous.signals) if previous else set()
        new = [signal.id for signal in outcome.safety_signals if signal.id not in known]
        notes = {
            signal.id: self.tr(
                "followup.signal_new" if signal.id in new else "followup.signal_known"
            )
            for signal in outcome.safety_signals
        }
        if new:
            return self._safety_box(outcome, notes)
        since = previous.meldcode_since if previous else None
        lead = [
            Static(
                literal(self.tr("followup.meldcode_continues", day=format_day(since, self.lang))),
                classes="subtitle",
                id="meldcode-continues",
                markup=False,
            )
        ]
        return self._safety_box(outcome, notes, checklist=False, lead=lead)

    def _answers(self) -> dict[str, Any]:
        return self.intake.main.visible_answers()

    def _label(self, question_id: str, value: Any) -> Content:
        question = self.intake.main_questionnaire.question(question_id)
        text = literal(question.answer_label(value, self.lang))
        if value in WORRYING.get(question_id, ()):
            return text.stylize("bold $warning")
        return text

    def _children_box(self) -> Vertical:
        answers = self._answers()
        items = answers.get("children") or []
        lines: list[Widget] = [
            Static(self.tr("followup.children", count=len(items)), classes="box-title")
        ]
        if not items:
            lines.append(Static(self.tr("followup.no_children"), markup=False))
        for number, item in enumerate(items, 1):
            age = item.get("child_age")
            head = self.tr("followup.child_head", number=number, age="-" if age is None else age)
            lines.append(
                Static(
                    Content.assemble(
                        (head + " ", "bold"),
                        self._label("child_wellbeing", item.get("child_wellbeing")),
                    ),
                    classes="child-line",
                    markup=False,
                )
            )
            # Version 1 asked for one trusted adult outside the home; version 2 for the
            # adults who are there, and whether someone spoke with the child.
            if self.intake.main_questionnaire.has_question("child_trusted_adult"):
                adults = ("followup.trusted_adult", "child_trusted_adult")
            else:
                adults = ("followup.stable_adults", "child_stable_adults")
            parts: list[str | Content] = [
                "  ",
                self.tr("followup.knows") + " ",
                self._label("child_knows", item.get("child_knows")),
                " · ",
                self.tr(adults[0]) + " ",
                self._label(adults[1], item.get(adults[1])),
            ]
            if self.intake.main_questionnaire.has_question("child_spoken_with"):
                parts += [
                    " · ",
                    self.tr("followup.spoken_with") + " ",
                    self._label("child_spoken_with", item.get("child_spoken_with")),
                ]
            lines.append(Static(Content.assemble(*parts), markup=False))
            changes = item.get("child_changes")
            if changes:
                lines.append(
                    Static(
                        Content.assemble("  ", literal(changes, "italic")),
                        classes="muted",
                        markup=False,
                    )
                )
        return Vertical(*lines, id="children", classes="box")

    def _parent_box(self) -> Vertical:
        answers = self._answers()
        lines: list[Widget] = [Static(self.tr("followup.parent"), classes="box-title")]
        lines.append(
            Static(
                Content.assemble(
                    self.tr("followup.strain") + " ",
                    self._label("parent_strain", answers.get("parent_strain")),
                    " · ",
                    self.tr("followup.wants_support") + " ",
                    self._label("wants_support", answers.get("wants_support")),
                ),
                markup=False,
            )
        )
        referrals = answers.get("referrals")
        lines.append(
            Static(
                Content.assemble(
                    self.tr("followup.referrals") + " ", self._label("referrals", referrals)
                ),
                markup=False,
                id="referrals",
            )
        )
        for key in ("referrals_note", "clinician_note"):
            if answers.get(key):
                lines.append(
                    Static(
                        Content.assemble(literal(answers[key], "italic")),
                        classes="muted",
                        markup=False,
                    )
                )
        return Vertical(*lines, id="parent", classes="box")

    def _scan_section(self, outcome: Outcome) -> Vertical:
        previous = self.intake.previous
        before = previous.scan_count if previous else None
        if outcome.scan_done:
            if before is not None and previous is not None:
                comparison = self.tr(
                    "followup.change",
                    change=domain_change(before, outcome.problem_domain_count),
                    day=format_day(previous.scan_on, self.lang),
                )
            else:
                comparison = self.tr("followup.first_scan")
            return self._scan_box(outcome, comparison)
        if before is not None and previous is not None:
            text = self.tr(
                "followup.scan_not_repeated",
                domains=t(
                    "outcome.summary.domains_"
                    + ("none" if before == 0 else "one" if before == 1 else "many"),
                    self.lang,
                    count=before,
                ),
                day=format_day(previous.scan_on, self.lang),
            )
        else:
            text = self.tr("followup.no_scan")
        return Vertical(
            Static(literal(text), id="domain-count", markup=False), id="scan", classes="box"
        )

    # -- the plan once saved ------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def load_preview(self) -> None:
        self.post_message(PreviewLoaded(self.service.followup_preview(self.intake.session())))

    def on_preview_loaded(self, message: PreviewLoaded) -> None:
        preview = message.preview
        label = self.query_one("#next-dates", Static)
        if preview.next_conversation is None:
            label.update(self.tr("outcome.no_plan"))
            return
        text = self.tr(
            "followup.next_after_save", day=format_day(preview.next_conversation.date(), self.lang)
        )
        if preview.rhythm:
            text += " " + self.tr("followup.in_rhythm", rhythm=self.tr(f"rhythm.{preview.rhythm}"))
        if preview.change == "more_frequent":
            text += "\n" + self.tr("followup.more_frequent")
        label.update(literal(text))

    def after_unlock(self) -> None:
        # A lock may have cut the preview short: the key was gone. Work it out again.
        self.load_preview()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "preview" and event.state == WorkerState.ERROR:
            event.stop()  # the outcome stands without it; the client page shows the plan
            self.query_one("#next-dates", Static).update(self.tr("followup.preview_failed"))
            return
        super().on_worker_state_changed(event)

    # -- saving -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def save_session(self, steps: dict[str, date | None], rhythm: str, changed: bool) -> None:
        session = self.intake.session()
        client_id = self.service.save_followup(
            session, steps, self.intake.draft_id, outcome=self.outcome
        )
        self.post_message(SessionSaved(client_id))

    def palette_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand(
            self.tr("cmd.save_followup"), self.tr("cmd.save_followup_help"), self.action_save
        )
        yield SystemCommand(
            self.tr("cmd.back_to_questions"), self.tr("cmd.back_help"), self.action_back
        )
