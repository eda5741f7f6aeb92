"""A client's page: the children, the domain count over time as a small chart, the timeline
of sessions, the follow-up plan with its next dates, and the open Meldcode steps.

From here the clinician holds a follow-up conversation now (h) and changes the plan: skip
(s) or move (m) one conversation with a reason, change the rhythm (r), end the treatment (e).
Each change is a typed dialog (dialogs/plan_change.py), stored by a thread worker. Enter opens
a session (the session view); d saves the client's dossier, Delete deletes the client
(client_record.py).

A record of the client that cannot be read is named at the top, with what to do, and the rest
of the page is shown: a session that cannot be read is a row of the timeline (it does not
open); Meldcode steps that cannot be read say so. When the client's own record cannot be read
(its reference is unknown), nothing can be added or changed until a backup is restored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable, Static

from kindcheck.answers import FOLLOWUP
from kindcheck.dates import format_day
from kindcheck.followup import FollowUpPlan, FollowUpState
from kindcheck.i18n import t
from kindcheck.questionnaire import MeldcodeGuideV2
from kindcheck.service.plan_choices import planned_dates, rhythm_choice_of
from kindcheck.service.views import ClientDetail, SessionView
from kindcheck.text import one_line

from .client_followthrough import ClientFollowThrough, PlanSaved
from .client_record import ClientRecordActions
from .dialogs.plan_change import PlanChangeDialog, PlanEdit
from .followup import HoldsFollowUps
from .widgets.damage import damaged_notice
from .widgets.domain_chart import DomainChart
from .widgets.keys_footer import KeysFooter
from .widgets.safe import literal

# How many layouts the page makes at once as it first shows (two in practice: see _on_idle).
SETTLE_AT_ONCE = 3


# The timeline's columns: (label, width). With each cell's padding of 1 on both sides they
# are 74 wide.
TIMELINE_COLUMNS = (
    ("client.col.date", 10),
    ("client.col.kind", 14),
    ("client.col.domains", 8),
    ("client.col.result", 34),
)


class ClientLoaded(Message):
    def __init__(self, detail: ClientDetail) -> None:
        super().__init__()
        self.detail = detail


def chart_points(detail: ClientDetail) -> list[tuple[date, int | None]]:
    """(date, domain count) per session, oldest first; None where no scan was done."""
    return [
        (
            view.session.session_date,
            view.outcome.problem_domain_count if view.outcome.scan_done else None,
        )
        for view in reversed(detail.sessions)
    ]


def worried_children(view: SessionView) -> int:
    """In a follow-up: how many children the parent is worried about."""
    part = view.session.part(FOLLOWUP)
    items = part.answers.get("children") if part is not None else None
    if not isinstance(items, list):
        return 0
    return sum(
        1 for item in items if isinstance(item, dict) and item.get("child_wellbeing") == "worried"
    )


class ClientScreen(ClientRecordActions, ClientFollowThrough, HoldsFollowUps):
    CSS_PATH = "client.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key.back"),
        Binding("enter", "open_session", "ui.key.open_session"),
        Binding("d", "export_dossier", "ui.key.dossier", show=False),
        Binding("delete", "delete_client", "ui.key.delete_client", show=False),
        # The page's own keys are written beside what they change (h and the plan's keys under
        # the plan, g under the events, 1-5 under the Meldcode steps) and are in F1; d is in F1
        # and the command palette: the footer keeps room for the keys that work everywhere,
        # whole at 80 columns in Dutch and English.
        Binding("h", "hold_followup", "ui.key.hold_now", show=False),
        Binding("s", "change_plan('skip')", "ui.key.plan_skip", show=False),
        Binding("m", "change_plan('move')", "ui.key.plan_move", show=False),
        Binding("r", "change_plan('rhythm')", "ui.key.plan_rhythm", show=False),
        Binding("e", "change_plan('end')", "ui.key.plan_end", show=False),
        Binding("g", "record_event", "ui.key.event", show=False),
        # Warm hand-offs and step 5 of the Meldcode: written under them (and in F1).
        Binding("w", "handoff_status", "ui.key.handoff_status", show=False),
        Binding("a", "meldcode('afweging')", "ui.key.afweging", show=False),
        Binding("b", "meldcode('decision')", "ui.key.decision", show=False),
        Binding("c", "meldcode('close')", "ui.key.close_meldcode", show=False),
        Binding("1", "toggle_step(1)", "ui.key.meldcode_step", key_display="1-5", show=False),
        *[Binding(str(n), f"toggle_step({n})", show=False) for n in range(2, 6)],
    ]

    # The blocks of the scrolling body, in order (the sessions' table follows them).
    BODY = (
        "client-damaged",
        "children-view",
        "meldcode-view",
        "followthrough-view",
        "plan-view",
        "domain-chart",
        "sessions-heading",
    )

    def __init__(self, client_id: str, detail: ClientDetail | None = None) -> None:
        """``detail``: the page as read just before it opens (then it is shown as it is
        composed, not read again); without it the page reads itself."""
        super().__init__()
        self.client_id = client_id
        self.detail: ClientDetail | None = detail
        self._resumed = False
        # Layouts the page may still make at once (not at the next frame) as it first shows.
        self._settling = SETTLE_AT_ONCE

    def compose(self) -> ComposeResult:
        # Each block of the page is one widget (a heading is the first line of its block) and
        # is made with what it shows when the page was read before it opens: the page is
        # composed, styled and laid out once with its content, not filled after its mount.
        parts: dict[str, Static] = {
            "client-title": Static(
                self.tr("client.loading"), classes="top-bar", id="client-title", markup=False
            ),
            "client-damaged": Static("", id="client-damaged", classes="notice", markup=False),
            "children-view": Static("", id="children-view", markup=False),
            "meldcode-view": Static("", id="meldcode-view", markup=False),
            "followthrough-view": Static("", id="followthrough-view", markup=False),
            "plan-view": Static("", id="plan-view", markup=False),
            "domain-chart": DomainChart(self.lang, id="domain-chart"),
            "sessions-heading": Static(self.tr("client.sessions"), classes="heading"),
        }
        self._parts = parts
        table: DataTable[Text] = DataTable(id="sessions", cursor_type="row")
        self._table = table
        # 74 columns with each cell's padding: the width the timeline has at 80 columns when
        # both the page and the timeline scroll (else a horizontal scrollbar appears, and the
        # page is laid out once more for it). "Gebieden" and "11 (+10)" are 8 wide.
        for label, width in TIMELINE_COLUMNS:
            table.add_column(self.tr(label), width=width)
        parts["client-damaged"].display = False
        if self.detail is not None:
            self._show(self.detail)
        yield parts["client-title"]
        # Safety first: an open Meldcode process right under the children, then the plan,
        # the domain count over time, and the sessions.
        with VerticalScroll(id="client-body"):
            yield from (parts[name] for name in self.BODY)
            yield table
        # Its keys at once: check_action reads only self.detail, set before the page shows.
        yield KeysFooter(compact=True, keys_at_once=True)

    def _part(self, name: str) -> Static:
        """One block of the page (made in compose, so also before it is mounted)."""
        return self._parts[name]

    def on_mount(self) -> None:
        # The page scrolls with the arrow keys; Tab reaches the timeline, whose rows open
        # with Enter (Enter on the page opens the highlighted one, the newest at first).
        self.query_one("#client-body").focus()
        if self.detail is None:
            self.load()

    def _screen_resized(self, size: Size) -> None:
        # Textual lays a new screen out when it resumes, and again, at the same size, when
        # the Resize that first layout sends the screen arrives: the page's whole layout
        # twice for nothing. What changed since is laid out by the next refresh anyway.
        if size == self._compositor.size:
            return
        super()._screen_resized(size)

    async def _on_idle(self, event: events.Idle) -> None:
        # As it first shows, the page is laid out, then at once again as its widgets learn
        # their sizes (each asks for a layout as its size is first set; a scrollbar that
        # appears asks once more). Textual waits for the next frame (up to 1/60 s) for each
        # of these: here they are made at once, a few times at most, until the page is still.
        # Afterwards the screen's own idle handling (one layout per frame) is untouched.
        if self._settling and self.is_current and not self.app._batch_count:
            if (
                self._layout_required
                or self._scroll_required
                or self._repaint_required
                or self._recompose_required
                or self._dirty_widgets
            ):
                self._settling -= 1
                event.prevent_default()
                self._on_timer_update()
                return
            self._settling = 0  # still: from here on, frame by frame as any screen

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual styles a screen again whenever it resumes (a theme may have changed while
        # it was covered); the first time it was styled as it was composed, just now. (This
        # runs before Screen's own handler: Textual calls the subclass's first.)
        if not self._resumed:
            event.refresh_styles = False
        # Back from a follow-up held from here (or abandoned): show what changed. Not when
        # the page first shows (it was just read).
        resumed, self._resumed = self._resumed, True
        if resumed and self.detail is not None and not self.deleting:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="client")
    def load(self) -> None:
        self.post_message(ClientLoaded(self.service.client(self.client_id)))

    def _signalled(self) -> SessionView | None:
        return self.detail.meldcode_session if self.detail is not None else None

    def _writable(self) -> bool:
        """Whether the client's own record reads (every change is written through it)."""
        return self.detail is not None and self.detail.summary.readable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_step":
            signalled = self._signalled()
            return self._writable() and signalled is not None and signalled.meldcode_readable
        if action == "change_plan":
            return self._writable() and self._plan_changeable(
                str(parameters[0]) if parameters else ""
            )
        if action == "hold_followup":
            return self._writable()
        if action == "handoff_status":
            return self._writable() and any(
                h.status == "open" for h in (self.detail.handoffs if self.detail else ())
            )
        if action == "meldcode":
            return (
                self._writable()
                and self.detail is not None
                and self.detail.meldcode is not None
                and self.detail.meldcode.is_open
            )
        if action == "open_session":
            return self.detail is not None and bool(self.detail.sessions)
        if action in ("export_dossier", "delete_client"):
            return self.detail is not None
        return True

    def _plan_changeable(self, change: str) -> bool:
        detail = self.detail
        if detail is None or detail.plan is None:
            return False
        state = detail.summary.followup
        ended = state is None or state.state == FollowUpState.ENDED
        if change in ("skip", "move"):
            return not ended
        return True

    # -- actions ------------------------------------------------------------------------

    def action_hold_followup(self) -> None:
        self.hold_followup(self.client_id)

    def action_change_plan(self, change: str) -> None:
        detail = self.detail
        if detail is None or detail.plan is None:
            return
        if change in ("skip", "move") and not planned_dates(detail):
            self.notify(self.tr("plan.nothing_planned"), markup=False)
            return

        def chosen(edit: PlanEdit | None) -> None:
            if edit is not None:
                self.store_plan(edit.plan, edit.rhythm, edit.done_key)

        self.app.push_screen(PlanChangeDialog(change, detail, self.today()), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-write")
    def store_plan(self, plan: FollowUpPlan, rhythm: str | None, done_key: str) -> None:
        self.service.save_plan(self.client_id, plan, rhythm)
        self.post_message(PlanSaved(self.service.client(self.client_id), done_key))

    def on_plan_saved(self, message: PlanSaved) -> None:
        self.notify(self.tr(message.done_key, day=message.day), markup=False)
        self.on_client_loaded(ClientLoaded(message.detail))

    def action_toggle_step(self, number: int) -> None:
        """Tick off a Meldcode step today (or reopen it): the steps take days or weeks."""
        view = self._signalled()
        if view is None or view.outcome.meldcode is None or not view.meldcode_readable:
            return
        steps = view.outcome.meldcode.steps
        if not 1 <= number <= len(steps):
            return
        step_id = steps[number - 1].id
        done = None if view.meldcode_steps.get(step_id) else self.today()
        self.store_step(view.session_id, step_id, done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-write")
    def store_step(self, session_id: str, step_id: str, done: date | None) -> None:
        self.service.set_meldcode_step(session_id, step_id, done)
        self.post_message(ClientLoaded(self.service.client(self.client_id)))

    # -- showing ------------------------------------------------------------------------

    def on_client_loaded(self, message: ClientLoaded) -> None:
        self.detail = message.detail
        self.refresh_bindings()
        self._show(message.detail)

    def _show(self, detail: ClientDetail) -> None:
        summary = detail.summary
        if summary.readable:
            title = Content.assemble(self.tr("client.title"), " · ", literal(summary.reference))
        else:
            title = Content.assemble(
                self.tr("client.title"),
                " · ",
                literal(self.tr("damaged.client_row", id=one_line(summary.client_id)[:8])),
            )
        if summary.name:
            title = Content.assemble(title, " · ", literal(summary.name))
        self._part("client-title").update(title)
        self._show_damaged(detail)
        self._show_children(detail)
        self._show_chart(detail)
        self._show_timeline(detail)
        self._show_plan(detail)
        self._show_meldcode()
        self._show_followthrough(detail)

    def _show_damaged(self, detail: ClientDetail) -> None:
        notice = self._part("client-damaged")
        text = damaged_notice(detail.damaged, self.tr, self.lang)
        if not detail.summary.readable:
            text = Content.assemble(text, "\n", literal(self.tr("damaged.client_page")))
        notice.update(text)
        notice.display = bool(detail.damaged)

    def _show_children(self, detail: ClientDetail) -> None:
        lang = self.lang
        latest = next(
            (s for s in detail.sessions if s.outcome.children or s.outcome.check_closed), None
        )
        lines: list[str] = []
        if latest is None:
            lines.append(self.tr("client.no_children_known"))
        elif latest.outcome.check_closed and not latest.outcome.children:
            lines.append(t("outcome.check_closed", lang))
        else:
            outcome = latest.outcome
            lines.append(
                self.tr(
                    "client.children_seen",
                    count=len(outcome.children),
                    day=format_day(latest.session.session_date, lang),
                )
            )
            wellbeing = self._wellbeing(latest)
            for child in outcome.children:
                age = "-" if child.age is None else str(child.age)
                if child.living:
                    line = t(
                        "outcome.child_line",
                        lang,
                        number=child.number,
                        age=age,
                        living=t(f"living.{child.living}", lang),
                    )
                else:  # a follow-up asks the age, not where the child lives
                    line = self.tr("client.child_age_only", number=child.number, age=age)
                if child.number - 1 < len(wellbeing) and wellbeing[child.number - 1]:
                    line += " · " + wellbeing[child.number - 1]
                lines.append("  " + line)
            if outcome.pregnancy == "yes":
                lines.append(t("outcome.pregnancy", lang))
        self._part("children-view").update(literal("\n".join(lines)))

    def _wellbeing(self, view: SessionView) -> list[str]:
        """Per child, how the child was doing at a follow-up (empty for an intake)."""
        part = view.session.part(FOLLOWUP)
        if part is None:
            return []
        question = part.questionnaire.question("child_wellbeing")
        items = part.answers.get("children")
        if not isinstance(items, list):
            return []
        return [
            question.answer_label(item.get("child_wellbeing"), self.lang)
            if isinstance(item, dict) and item.get("child_wellbeing")
            else ""
            for item in items
        ]

    def _show_chart(self, detail: ClientDetail) -> None:
        points = chart_points(detail)
        threshold = next(
            (s.outcome.stacking_threshold for s in detail.sessions if s.outcome.scan_done), 3
        )
        heading = literal(self.tr("client.chart"), "bold $accent")
        if any(count is not None for _day, count in points):
            heading = Content.assemble(
                literal(self.tr("client.chart") + "  ", "bold $accent"),
                literal(self.tr("client.chart_legend", threshold=threshold), "$accent dim"),
            )
        chart = self._parts["domain-chart"]
        assert isinstance(chart, DomainChart)
        chart.show(points, threshold, self.tr("client.no_scan_yet"), heading)

    def _show_timeline(self, detail: ClientDetail) -> None:
        lang = self.lang
        table = self._table
        table.clear()
        views = list(detail.sessions)  # newest first
        shown = {view.session_id for view in views}
        unreadable = [
            item
            for item in detail.damaged
            if item.kind == "session" and item.record_id not in shown
        ]
        for item in unreadable:  # first: what cannot be read is what needs seeing to
            table.add_row(
                Text(format_day(item.held_on, lang) if item.held_on else "?"),
                Text(self.tr("damaged.session_row"), style="bold red"),
                Text("-"),
                Text(self.tr("damaged.session", id=item.short_id), style="red"),
                key=f"damaged:{item.record_id}",
            )
        for index, view in enumerate(views):
            outcome = view.outcome
            result = Text()
            if outcome.has_safety_signal:
                result.append(self.tr("home.signal") + " ", style="bold red")
            if outcome.parenting_support_flag:
                result.append(self.tr("client.flag") + " ", style="bold yellow")
            if outcome.check_closed:
                result.append(self.tr("client.closed"))
            worried = worried_children(view)
            if worried:
                result.append(self.tr("client.worried", count=worried), style="yellow")
            domains = Text("-")
            if outcome.scan_done:
                domains = Text(str(outcome.problem_domain_count))
                earlier = next((v for v in views[index + 1 :] if v.outcome.scan_done), None)
                if earlier is not None:
                    delta = outcome.problem_domain_count - earlier.outcome.problem_domain_count
                    if delta:
                        domains.append(f" ({delta:+d})", style="dim")
            table.add_row(
                Text(format_day(view.session.session_date, lang)),
                Text(self.tr(f"client.kind.{view.session.kind}")),
                domains,
                result,
                key=view.session_id,
            )
        table.styles.height = min(len(views) + len(unreadable), 6) + 1

    def _show_plan(self, detail: ClientDetail) -> None:
        lang = self.lang
        lines: list[Content] = [literal(self.tr("client.plan"), "bold $accent")]
        plan = detail.plan
        if plan is None and detail.summary.plan_damaged:
            lines.append(literal(self.tr("damaged.plan_page"), "bold $error"))
            if self._writable():  # h is not in the footer: say it here, as without a plan
                lines.append(literal(self.tr("client.hold_hint"), "dim"))
            self._part("plan-view").update(Content("\n").join(lines))
            return
        if plan is None:
            lines.append(literal(self.tr("client.no_plan")))
            if self._writable():
                lines.append(literal(self.tr("client.hold_hint"), "dim"))
            self._part("plan-view").update(Content("\n").join(lines))
            return
        # The rhythm the plan was chosen as (two choices can share an interval: "concerns" and
        # "3 or more domains" are both every 6 weeks); else the one its rule follows.
        rhythm = rhythm_choice_of(plan.rule, detail.plan_rhythm)
        line = self.tr("client.rhythm", rhythm=self.tr(f"rhythm.{rhythm}") if rhythm else plan.rule)
        if plan.treatment_ended_on:
            line += " · " + self.tr(
                "client.treatment_ended", day=format_day(plan.treatment_ended_on, lang)
            )
        elif plan.ends_on:
            line += " · " + self.tr("outcome.plan_until", day=format_day(plan.ends_on, lang))
        lines.append(literal(line))
        state = detail.summary.followup
        planned = state.occurrence.date() if state is not None and state.occurrence else None
        if state is not None and state.state == FollowUpState.OVERDUE:
            lines.append(
                literal(
                    self.tr(
                        "client.overdue", days=state.days_overdue, day=format_day(planned, lang)
                    ),
                    "bold $error",
                )
            )
        elif state is not None and state.state == FollowUpState.DUE:
            lines.append(
                literal(self.tr("client.due", day=format_day(planned, lang)), "bold $warning")
            )
        elif state is not None and state.state == FollowUpState.ENDED:
            lines.append(literal(self.tr("home.plan_ended")))
        if detail.upcoming:
            lines.append(
                literal(
                    self.tr(
                        "client.next",
                        dates=", ".join(format_day(day.date(), lang) for day in detail.upcoming),
                    )
                )
            )
        for change in plan.changes:
            if change.action == "skip":
                text = self.tr(
                    "client.skipped", day=format_day(change.original, lang), reason=change.reason
                )
            else:
                text = self.tr(
                    "client.moved",
                    day=format_day(change.original, lang),
                    new=format_day(change.new_date, lang),
                    reason=change.reason,
                )
            lines.append(literal("  " + text, "dim"))
        if self._writable():  # else nothing can be changed: no keys to offer
            lines.append(literal(self.tr("client.plan_keys"), "dim"))
        self._part("plan-view").update(Content("\n").join(lines))

    def _show_meldcode(self) -> None:
        lang = self.lang
        signalled = self._signalled()
        view = self._part("meldcode-view")
        if signalled is None or signalled.outcome.meldcode is None:
            view.display = False
            return
        guide = signalled.outcome.meldcode
        lines: list[Content] = [
            literal(
                self.tr("client.meldcode", day=format_day(signalled.session.session_date, lang)),
                "bold $error",
            )
        ]
        if not signalled.meldcode_readable:
            lines.append(literal("  " + self.tr("damaged.meldcode"), "bold"))
        else:
            for step in guide.steps:  # the titles carry their number, the key to tick them
                done = signalled.meldcode_steps.get(step.id)
                mark = "✓ " + format_day(done, lang) if done else "· " + self.tr("client.open")
                lines.append(literal(f"  {step.title.get(lang)}  {mark}", "" if done else "bold"))
        process = self.detail.meldcode if self.detail is not None else None
        if process is not None and isinstance(guide, MeldcodeGuideV2):
            for afweging in guide.afwegingen:
                found = process.afwegingen.get(afweging.id)
                if found is not None:
                    answer = self.tr(f"meldcode.answer_{found.answer}")
                    then = afweging.yes if found.answer == "yes" else afweging.no
                    follows = self.tr("meldcode.then", text=then.get(lang))
                    lines.append(
                        literal(
                            f"  {afweging.question.get(lang)} {answer} "
                            f"({format_day(found.on, lang)}) · {follows}"
                        )
                    )
            names = {d.id: d.name.get(lang) for d in guide.decisions}
            for decision in process.decisions:
                lines.append(
                    literal(
                        f"  {self.tr('meldcode.decision')}: "
                        f"{names.get(decision.decision_id, decision.decision_id)} "
                        f"({format_day(decision.on, lang)})",
                        "bold",
                    )
                )
            lines += [literal("  " + line.get(lang), "dim") for line in guide.after_report]
            if process.closed is not None:
                lines.append(
                    literal(
                        self.tr("meldcode.closed", day=format_day(process.closed.on, lang)), "bold"
                    )
                )
            else:
                lines.append(
                    literal(self.tr("meldcode.open_since", day=format_day(process.opened_on, lang)))
                )
        # Veilig Thuis always; the keys only when a step can be ticked here.
        phone = self.tr("outcome.veilig_thuis") + " " + guide.phone
        if self.check_action("toggle_step", (1,)):
            phone += "  ·  " + self.tr("client.meldcode_keys")
        lines.append(literal(phone, "dim"))
        view.update(Content("\n").join(lines))
        view.display = True

    def palette_commands(self) -> Iterator[SystemCommand]:
        if not self._writable():
            return
        yield SystemCommand(
            self.tr("cmd.hold_now"), self.tr("cmd.hold_now_help"), self.action_hold_followup
        )
        yield from self.record_commands()
        if self.detail is not None and self.detail.plan is not None:
            for change in ("skip", "move", "rhythm", "end"):
                if self._plan_changeable(change):
                    yield SystemCommand(
                        self.tr(f"cmd.plan_{change}"),
                        self.tr(f"cmd.plan_{change}_help"),
                        lambda change=change: self.action_change_plan(change),
                    )
