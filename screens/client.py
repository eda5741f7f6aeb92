"""A client's page: the children, the sessions over time with their domain counts, the plan."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from kindcheck.followup import FollowUpState
from kindcheck.i18n import t

from .base import KindcheckScreen
from .home import format_date
from .safe import literal
from .services import RHYTHM_RULES, ClientDetail


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
    BINDINGS = [Binding("escape", "app.pop_screen", "ui.key.back")]

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

    def on_client_loaded(self, message: ClientLoaded) -> None:
        self.detail = detail = message.detail
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
            table.add_row(Text(format_date(view.session.session_date, lang)),
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
                    format_date(day.date(), lang) for day in detail.upcoming)))
            if plan.ends_on:
                plan_lines.append(self.tr("outcome.plan_until",
                                          day=format_date(plan.ends_on, lang)))
        self.query_one("#plan-view", Static).update(literal("\n".join(plan_lines)))

        signalled = next((s for s in detail.sessions if s.outcome.meldcode), None)
        meldcode_lines: list[str] = []
        if signalled is not None and signalled.outcome.meldcode is not None:
            guide = signalled.outcome.meldcode
            meldcode_lines.append(self.tr("client.meldcode",
                                          day=format_date(signalled.session.session_date, lang)))
            for step in guide.steps:
                done = signalled.meldcode_steps.get(step.id)
                mark = "✓ " + format_date(done, lang) if done else "· " + self.tr("client.open")
                meldcode_lines.append(f"  {step.title.get(lang)}  {mark}")
            meldcode_lines.append(self.tr("outcome.veilig_thuis") + " " + guide.phone)
        self.query_one("#meldcode-view", Static).update(literal("\n".join(meldcode_lines)))
