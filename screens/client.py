"""A client's page: the children, the sessions over time with their domain counts, the plan."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from kindcheck.followup import FollowUpState
from kindcheck.i18n import t

from .base import KindcheckScreen, format_day
from .safe import literal
from .services import RHYTHM_RULES, ClientDetail, SessionView


class ClientLoaded(Message):
    def __init__(self, detail: ClientDetail) -> None:
        super().__init__()
        self.detail = detail


def rhythm_of(rule: str) -> str | None:
    for key, (known, _step) in RHYTHM_RULES.items():
        if set(known.split(";")) <= set(rule.split(";")):
            return key
    return None


class ClientScreen(KindcheckScreen):
    CSS_PATH = "client.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key.back"),
        Binding("1", "toggle_step(1)", "ui.key.meldcode_step", key_display="1-5"),
        *[Binding(str(n), f"toggle_step({n})", show=False) for n in range(2, 6)],
    ]

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.detail: ClientDetail | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.tr("client.loading"), classes="top-bar", id="client-title",
                     markup=False)
        with VerticalScroll(id="client-body"):
            yield Static("", id="children-view", markup=False)
            yield Static(self.tr("client.sessions"), classes="heading")
            yield DataTable(id="sessions", cursor_type="row")
            yield Static(self.tr("client.plan"), classes="heading")
            yield Static("", id="plan-view", markup=False)
            yield Static("", id="meldcode-view", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.add_column(self.tr("client.col.date"), width=10)
        table.add_column(self.tr("client.col.kind"), width=14)
        table.add_column(self.tr("client.col.domains"), width=9)
        table.add_column(self.tr("client.col.result"), width=36)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="client")
    def load(self) -> None:
        self.post_message(ClientLoaded(self.service.client(self.client_id)))

    def _signalled(self) -> SessionView | None:
        if self.detail is None:
            return None
        return next((s for s in self.detail.sessions if s.outcome.meldcode), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_step":
            return self._signalled() is not None
        return True

    def action_toggle_step(self, number: int) -> None:
        """Tick off a Meldcode step today (or reopen it): the steps take days or weeks."""
        view = self._signalled()
        if view is None or view.outcome.meldcode is None:
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

    def on_client_loaded(self, message: ClientLoaded) -> None:
        self.detail = detail = message.detail
        self.refresh_bindings()
        lang = self.lang
        summary = detail.summary
        title = Content.assemble(self.tr("client.title"), " · ", literal(summary.reference))
        if summary.name:
            title = Content.assemble(title, " · ", literal(summary.name))
        self.query_one("#client-title", Static).update(title)

        latest = next((s for s in detail.sessions if s.outcome.children or
                       s.outcome.check_closed), None)
        lines: list[str] = []
        if latest is None:
            lines.append(self.tr("client.no_children_known"))
        elif latest.outcome.check_closed and not latest.outcome.children:
            lines.append(t("outcome.check_closed", lang))
        else:
            outcome = latest.outcome
            lines.append(t("outcome.children_in_view", lang, count=len(outcome.children)))
            for child in outcome.children:
                living = t(f"living.{child.living}", lang) if child.living else "-"
                age = "-" if child.age is None else str(child.age)
                lines.append("  " + t("outcome.child_line", lang, number=child.number, age=age,
                                      living=living))
            if outcome.pregnancy == "yes":
                lines.append(t("outcome.pregnancy", lang))
        self.query_one("#children-view", Static).update(literal("\n".join(lines)))

        table = self.query_one("#sessions", DataTable)
        table.clear()
        for view in detail.sessions:
            outcome = view.outcome
            result = Text()
            if outcome.has_safety_signal:
                result.append(self.tr("home.signal") + " ", style="bold red")
            if outcome.parenting_support_flag:
                result.append(self.tr("client.flag") + " ", style="bold yellow")
            if outcome.check_closed:
                result.append(self.tr("client.closed"))
            domains = str(outcome.problem_domain_count) if outcome.scan_done else "-"
            table.add_row(Text(format_day(view.session.session_date, lang)),
                          Text(self.tr(f"client.kind.{view.session.kind}")), Text(domains),
                          result, key=view.session_id)

        plan_lines: list[str] = []
        plan = detail.plan
        if plan is None:
            plan_lines.append(self.tr("client.no_plan"))
        else:
            rhythm = rhythm_of(plan.rule)
            plan_lines.append(self.tr("client.rhythm", rhythm=self.tr(f"rhythm.{rhythm}")
                                      if rhythm else plan.rule))
            state = summary.followup
            if state is not None and state.state == FollowUpState.OVERDUE:
                plan_lines.append(self.tr("home.overdue_days", days=state.days_overdue))
            elif state is not None and state.state == FollowUpState.DUE:
                plan_lines.append(self.tr("home.due"))
            if detail.upcoming:
                plan_lines.append(self.tr("client.next", dates=", ".join(
                    format_day(day.date(), lang) for day in detail.upcoming)))
            if plan.ends_on:
                plan_lines.append(self.tr("outcome.plan_until",
                                          day=format_day(plan.ends_on, lang)))
        self.query_one("#plan-view", Static).update(literal("\n".join(plan_lines)))

        signalled = next((s for s in detail.sessions if s.outcome.meldcode), None)
        meldcode_lines: list[str] = []
        if signalled is not None and signalled.outcome.meldcode is not None:
            guide = signalled.outcome.meldcode
            meldcode_lines.append(self.tr("client.meldcode",
                                          day=format_day(signalled.session.session_date, lang)))
            for step in guide.steps:
                done = signalled.meldcode_steps.get(step.id)
                mark = "✓ " + format_day(done, lang) if done else "· " + self.tr("client.open")
                meldcode_lines.append(f"  {step.title.get(lang)}  {mark}")
            meldcode_lines.append(self.tr("outcome.veilig_thuis") + " " + guide.phone)
            meldcode_lines.append(self.tr("client.meldcode_keys"))
        self.query_one("#meldcode-view", Static).update(literal("\n".join(meldcode_lines)))
