"""The rows of home's two long lists, as cells: the due list (planned follow-ups, Kindchecks
after an event, questions to ask again) and the client list.

Built off the UI thread (home's loading worker, or a PagedTable's), in the app's language;
a client's row is built again only when what it shows changed (:class:`ClientRows`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text

from kindcheck.dates import format_day
from kindcheck.followup import FollowUpState
from kindcheck.service.views import ClientSummary, HomeItem
from kindcheck.text import one_line

from .paged_table import Cells
from .widgets.safe import literal_cell

Translate = Callable[..., str]
"""The screen's ``tr``: a message of the catalog (``ui.`` left out), filled in."""

DueEntry = ClientSummary | HomeItem


def due_entries(followups: Sequence[ClientSummary], items: Sequence[HomeItem]) -> list[DueEntry]:
    """What the due list shows, in order: the planned follow-ups, then the Kindchecks after
    an event and the questions to ask again."""
    return [*followups, *items]


def overdue_count(entries: Sequence[DueEntry]) -> int:
    overdue = 0
    for entry in entries:
        if isinstance(entry, HomeItem):
            overdue += entry.state == FollowUpState.OVERDUE
        elif not entry.plan_damaged and entry.followup is not None:
            overdue += entry.followup.state == FollowUpState.OVERDUE
    return overdue


def due_key(entry: DueEntry) -> str:
    """A planned follow-up's row is keyed by the client id, an event's or a re-ask's by
    "<client id>|<reason>"."""
    if isinstance(entry, HomeItem):
        return f"{entry.client_id}|{entry.reason}"
    return entry.client_id


def reference_cell(client: ClientSummary, tr: Translate) -> Text:
    """The reference; for a client whose own record cannot be read, its id."""
    if client.readable:
        return literal_cell(client.reference)
    return Text(
        tr("damaged.client_row", id=one_line(client.client_id)[:8]),
        style="bold red",
        end="",
    )


def due_row(entry: DueEntry, tr: Translate, lang: str) -> Cells:
    """One row of the due list."""
    if isinstance(entry, HomeItem):
        # The Kindcheck due again after an event, or a question to ask again: dated
        # items beside the plan, whatever its next date.
        item = entry
        day = format_day(item.when, lang) if item.when else "-"
        # Short: the day is in the next column, the details on the client page.
        if item.kind == "kindcheck":
            what = tr("home.kindcheck_due_short", event=item.label)
        else:
            what = tr("home.reask_due_short")
        style = "bold red" if item.state == FollowUpState.OVERDUE else "bold yellow"
        return (
            literal_cell(item.reference),
            Text(what, style=style, overflow="ellipsis", no_wrap=True),
            Text(day),
            Text(format_day(item.last_held, lang)),
        )
    client = entry
    state = client.followup
    if client.plan_damaged or state is None:
        # Its next conversation is unknown, and may be overdue: it stays in view.
        return (
            reference_cell(client, tr),
            Text(tr("damaged.plan_row"), style="bold red"),
            Text("-"),
            Text(format_day(client.last_session, lang)),
        )
    if state.state == FollowUpState.OVERDUE:
        label = Text(tr("home.overdue_days", days=state.days_overdue), style="bold red")
    else:
        label = Text(tr("home.due"), style="bold yellow")
    planned = state.occurrence.date() if state.occurrence else None
    return (
        reference_cell(client, tr),
        label,
        Text(format_day(planned, lang)),
        Text(format_day(client.last_session, lang)),
    )


def client_row(client: ClientSummary, tr: Translate, lang: str) -> Cells:
    """One row of the client list."""
    domains = "-" if client.problem_domain_count is None else str(client.problem_domain_count)
    domain_cell = Text(domains, style="bold" if domains not in ("-", "0", "1", "2") else "")
    return (
        reference_cell(client, tr),
        Text(format_day(client.last_session, lang)),
        domain_cell,
        alert_cell(client, tr),
        followup_cell(client, tr, lang),
    )


def alert_cell(client: ClientSummary, tr: Translate) -> Text:
    """A signal of unsafety and the parenting flag: a column of their own, so the follow-up
    column holds the plan only."""
    text = Text()
    if client.safety_signal:
        text.append(tr("home.signal") + " ", style="bold red")
    if client.parenting_support_flag:
        text.append(tr("home.flag"), style="bold yellow")
    return text


def followup_cell(client: ClientSummary, tr: Translate, lang: str) -> Text:
    text = Text()
    state = client.followup
    if client.plan_damaged:
        text.append(tr("damaged.plan_row"), style="bold red")
    elif state is None:
        text.append(tr("home.closed") if client.check_closed else tr("home.no_plan"))
    elif state.state == FollowUpState.OVERDUE:
        text.append(tr("home.overdue_days", days=state.days_overdue), style="red")
    elif state.state == FollowUpState.DUE:
        text.append(tr("home.due"), style="yellow")
    elif state.state == FollowUpState.UPCOMING and state.occurrence:
        text.append(format_day(state.occurrence.date(), lang))
    else:
        text.append(tr("home.plan_ended"))
    return text


class ClientRows:
    """Each client's row as last built, with the summary and language it was built from: a
    list read again builds only the rows of the clients that changed. Used from the
    screen's worker threads (one dict operation at a time)."""

    def __init__(self) -> None:
        self._built: dict[str, tuple[ClientSummary, str, Cells]] = {}

    def row(self, client: ClientSummary, tr: Translate, lang: str) -> Cells:
        built = self._built.get(client.client_id)
        if built is not None and built[0] == client and built[1] == lang:
            return built[2]
        cells = client_row(client, tr, lang)
        self._built[client.client_id] = (client, lang, cells)
        return cells
