"""Changing a client's follow-up plan on the client page, one typed dialog per change.

- skip one conversation, with a reason (required: it is kept with the plan);
- move one conversation to another day, with a reason;
- change the rhythm (the plan starts again one interval after the latest session held);
- end the treatment: no conversations after that day.

The dialog computes the new plan with kindcheck.service.plan_choices (skip, move, another
rhythm, end_treatment), shows what does not fit in words, and returns a :class:`PlanEdit`
through ``dismiss()``; the client page stores it (a thread worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from kindcheck.dates import format_day, parse_date_text
from kindcheck.errors import FollowUpError
from kindcheck.followup import FollowUpPlan, FollowUpState
from kindcheck.service.plan_choices import (
    RHYTHM_CHOICES,
    current_rhythm,
    end_treatment,
    move,
    next_dates,
    planned_dates,
    skip,
    with_rhythm,
)
from kindcheck.service.views import ClientDetail

from ..base import KindcheckModal
from ..widgets.safe import SafeInput, literal

ACTIONS = ("skip", "move", "rhythm", "end")
# FollowUpError speaks English to the CLI; the dialog says the same in the clinician's words.
_ERRORS = (
    ("already planned on the new date", "plan.error_taken"),
    ("after the end", "plan.error_after_end"),
    ("the new date is the date", "plan.error_same_day"),
    ("already skipped", "plan.error_skipped"),
    ("was moved", "plan.error_moved"),
    ("no follow-up conversation is planned", "plan.error_not_planned"),
)


@dataclass(frozen=True)
class PlanEdit:
    """A changed plan to store, the default rhythm it follows (None: set by hand), and what
    to tell the clinician once it is stored (a message key)."""

    plan: FollowUpPlan
    rhythm: str | None
    done_key: str


class PlanChangeDialog(KindcheckModal[PlanEdit | None]):
    CSS_PATH = "plan_change.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("ctrl+s", "save", "ui.key.save", priority=True),
    ]

    def __init__(self, action: str, detail: ClientDetail, today: date) -> None:
        if action not in ACTIONS or detail.plan is None:
            raise ValueError(action)
        super().__init__(classes="dialog")
        self.action = action
        self.detail = detail
        self.plan: FollowUpPlan = detail.plan
        self.today_is = today
        self.dates = planned_dates(detail)

    def compose(self) -> ComposeResult:
        action = self.action
        with Vertical(id="dialog-box"):
            yield Static(self.tr(f"plan.title_{action}"), id="dialog-title")
            if action in ("skip", "move"):
                yield Static(self.tr("plan.which"), classes="label")
                yield Select(
                    [(self._date_label(day), day.isoformat()) for day in self.dates],
                    allow_blank=False,
                    id="occurrence",
                )
            if action == "move":
                yield Static(self.tr("plan.new_date"), classes="label")
                yield SafeInput(
                    placeholder=self.tr("intake.date_hint"), id="new-date", max_length=10
                )
            if action == "rhythm":
                current = current_rhythm(self.plan, self.detail.plan_rhythm)
                yield Static(self.tr("plan.new_rhythm"), classes="label")
                yield Select(
                    [(self.tr(f"rhythm.{key}"), key) for key in RHYTHM_CHOICES],
                    allow_blank=False,
                    value=current,
                    id="rhythm",
                )
                yield Static("", id="rhythm-dates", classes="muted", markup=False)
            if action == "end":
                yield Static(self.tr("plan.end_date"), classes="label")
                yield SafeInput(
                    value=format_day(self.today_is, self.lang), id="end-date", max_length=10
                )
                yield Static(self.tr("plan.end_explained"), classes="muted")
            if action in ("skip", "move"):
                yield Static(self.tr("plan.reason"), classes="label")
                yield SafeInput(
                    placeholder=self.tr("plan.reason_hint"), id="reason", max_length=200
                )
            yield Static("", id="plan-error", classes="error-line", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(self.tr("plan.save"), id="save", variant="primary")
                yield Button(self.tr("common.cancel"), id="cancel")

    def _date_label(self, day: date) -> str:
        """A planned date, with "late" or "due now" for the one the due list shows."""
        label = format_day(day, self.lang)
        state = self.detail.summary.followup
        if state is not None and state.occurrence is not None and state.occurrence.date() == day:
            if state.state == FollowUpState.OVERDUE:
                label += "  (" + self.tr("home.overdue_days", days=state.days_overdue) + ")"
            elif state.state == FollowUpState.DUE:
                label += "  (" + self.tr("home.due") + ")"
        return label

    def on_mount(self) -> None:
        if self.action == "rhythm":
            self._show_rhythm_dates()
        first = self.query("Select, Input").first()
        first.focus()

    # -- the rhythm preview -------------------------------------------------------------

    @on(Select.Changed, "#rhythm")
    def _show_rhythm_dates(self) -> None:
        edit = self._rhythm_edit()
        label = self.query_one("#rhythm-dates", Static)
        if edit is None:
            label.update("")
            return
        dates = next_dates(edit.plan, self.today_is, self.detail.last_held)
        label.update(
            literal(
                self.tr(
                    "plan.rhythm_dates",
                    dates=", ".join(format_day(day, self.lang) for day in dates) or "-",
                )
            )
        )

    def _rhythm_edit(self) -> PlanEdit | None:
        value = self.query_one("#rhythm", Select).value
        if not isinstance(value, str):
            return None
        changed = with_rhythm(self.detail, self.plan, value, self.today_is)
        if changed is None:
            return None
        plan, rhythm = changed
        return PlanEdit(plan, rhythm, "plan.done_rhythm")

    # -- saving -------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = list(self.query("Input").results(Input))
        if event.input is fields[-1]:
            self.action_save()
        else:
            fields[fields.index(event.input) + 1].focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        error = self.query_one("#plan-error", Static)
        try:
            edit = self._edit()
        except _Refused as refused:
            error.update(self.tr(refused.key))
            return
        except FollowUpError as problem:
            key = next((key for text, key in _ERRORS if text in str(problem)), "plan.error_other")
            error.update(self.tr(key))
            return
        if edit is not None:
            self.dismiss(edit)

    def _edit(self) -> PlanEdit | None:
        action = self.action
        kept = self.detail.plan_rhythm
        if action == "rhythm":
            return self._rhythm_edit()
        if action == "end":
            day = self._date("#end-date")
            return PlanEdit(end_treatment(self.plan, day), kept, "plan.done_end")
        chosen = self.query_one("#occurrence", Select).value
        if not isinstance(chosen, str):
            raise _Refused("plan.error_pick")
        original = date.fromisoformat(chosen)
        reason = self.query_one("#reason", Input).value.strip()
        if action == "move":
            new_date = self._date("#new-date")
            if not reason:
                raise _Refused("plan.error_reason")
            return PlanEdit(move(self.plan, original, new_date, reason), kept, "plan.done_move")
        if not reason:
            raise _Refused("plan.error_reason")
        return PlanEdit(skip(self.plan, original, reason), kept, "plan.done_skip")

    def _date(self, selector: str) -> date:
        try:
            return date.fromisoformat(parse_date_text(self.query_one(selector, Input).value))
        except ValueError:
            raise _Refused("intake.need_date") from None

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class _Refused(Exception):
    """Something to fill in first; ``key`` is the message to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
