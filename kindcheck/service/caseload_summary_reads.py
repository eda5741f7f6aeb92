"""Home's overview from the caseload summary (:mod:`.caseload_summary`): reading it, keeping
it in step with the records, and listing the clients from it (:class:`SummaryReads`, a part
of :class:`~.caseload_reads.CaseloadReads`).

From :data:`~.caseload_summary.SUMMARY_FROM_CLIENTS` clients on, home is listed from one
record, the summary, with only the clients whose records changed since read again. Each
client's row is made from its entry once a day: back home after a change to one client, one
row is made again, not one per client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from .views import ClientSummary, DraftSummary, Overview, VaultNotices

if TYPE_CHECKING:
    from kindcheck.store import Draft, Store

    from .caseload_summary import CaseloadSummary, SummaryEntry
    from .plans import ClientPlan


class SummaryReads:
    """The caseload summary's part of the service's reads; the state it uses is the
    service's."""

    clock: Callable[[], date]
    lang: str
    _lock: threading.RLock
    # The caseload summary of the store it was read from (or made for), and whether the
    # vault holds it as it is (see save_caseload_summary); dropped on lock.
    _caseload_summary: tuple[Store, CaseloadSummary, bool] | None = None
    # Each client's row as listed on ``_listed_on``, with the entry it was made from.
    _listed: dict[str, tuple[SummaryEntry, ClientSummary]] | None = None
    _listed_on: date | None = None

    def _open(self) -> Store:
        raise NotImplementedError  # the service's

    def _forget_caseload_summary(self) -> None:
        """Drop the summary and the rows made from it (on lock: no client data is kept)."""
        self._caseload_summary = None
        self._listed = self._listed_on = None

    def _notices(self, store: Store) -> VaultNotices:
        raise NotImplementedError  # CaseloadReads'

    def _draft_summary(self, draft: Draft) -> DraftSummary:
        raise NotImplementedError  # CaseloadReads'

    def _overview_from_summary(self, store: Store, query: str) -> Overview | None:
        """The overview from the caseload summary, with the entries of the clients whose
        records changed made again; None when there is no summary to go by (a small
        caseload, none kept yet, made with other rules, too many changed, or a record that
        cannot be read: the records are read then, and name it)."""
        from .caseload_summary import (
            SUMMARY_FROM_CLIENTS,
            CaseloadSummary,
            client_generations,
            home_items,
            merged,
        )

        notes: list[str] = []
        with store.reading():
            generations = store.record_generations()
            if generations is None:
                return None
            clients = client_generations(generations)
            if len(clients) < SUMMARY_FROM_CLIENTS:
                return None
            key = self._summary_key()
            summary = self._kept_summary(store)
            if summary is None or summary.key != key:
                summary = CaseloadSummary.from_document(store.read_caseload_summary(), key)
                if summary is None:
                    return None
                self._keep_summary(store, summary, saved=True)
            stale = summary.stale(clients)
            # Many changed (another program wrote them): reading everything is as quick.
            if len(stale) > max(50, len(clients) // 10):
                return None
            fresh = {}
            for client_id in stale:
                entry = self._entry_from_records(store, client_id, clients[client_id], notes)
                if entry is None or notes:
                    return None
                fresh[client_id] = entry
            stored_drafts = store.list_drafts(damaged=notes)
            if notes:
                return None
            notices = self._notices(store)
            user_name = str(store.user_name or "")
        if fresh or len(summary.entries) != len(clients):
            summary = merged(summary, fresh, clients)
            self._keep_summary(store, summary, saved=False)
        today = self.clock()
        needle = " ".join(query.split()).casefold()
        return Overview(
            self._client_list(summary.entries, today, needle),
            tuple(self._draft_summary(draft) for draft in stored_drafts),
            today,
            user_name,
            (),
            notices,
            generations=generations,
            items=home_items(summary.entries, today, self.lang, needle),
            complete=False,
        )

    def _entry_from_records(
        self, store: Store, client_id: str, generation: int, notes: list[str]
    ) -> SummaryEntry | None:
        """One client's summary entry made from its records (three small reads); None when
        the client is gone. A record that cannot be read is named in ``notes``."""
        from .caseload_summary import entry_from_records

        return entry_from_records(store, client_id, generation, self._due_days(), notes)

    def _due_days(self) -> dict[str, int]:
        from .followthrough import catalog

        return {event.id: event.due_days for event in catalog().events}

    def _summary_key(self) -> str:
        from .caseload import DUE_WINDOW_DAYS
        from .caseload_summary import summary_key

        return summary_key(DUE_WINDOW_DAYS, self._due_days())

    def _kept_summary(self, store: Store) -> CaseloadSummary | None:
        kept = self._caseload_summary
        return kept[1] if kept is not None and kept[0] is store else None

    def _keep_summary(self, store: Store, summary: CaseloadSummary, *, saved: bool) -> None:
        self._caseload_summary = (store, summary, saved)

    def save_caseload_summary(self) -> bool:
        """Keep the caseload summary in the vault if it changed since it was read or saved
        (the home screen calls this once its list is shown). True when it was written; never
        on read-only media."""
        with self._lock:
            kept = self._caseload_summary
            if kept is None or kept[2]:
                return False
            store, summary, _saved = kept
            if self._open() is not store or store.read_only:
                return False  # locked and opened again since: read again first
            store.write_caseload_summary(summary.to_document())
            self._caseload_summary = (store, summary, True)
            return True

    def caseload_intact(self) -> bool:
        """Whether the records a list from the caseload summary stands on (every client's
        record, session header and plan) all still decrypt: the check that a list read from
        the records makes as it reads them, without reading them (about a tenth of the time).
        False: read the overview with ``complete`` to name what cannot be read."""
        with self._lock:
            return self._open().home_records_intact()

    def _client_list(
        self, entries: Mapping[str, SummaryEntry], today: date, needle: str
    ) -> tuple[ClientSummary, ...]:
        """The client list (matching ``needle``, casefolded) in the order of the references,
        as :func:`.caseload_summary.summaries` makes it; a client's row is made again only
        when its entry or the day changed."""
        from .caseload import DUE_WINDOW_DAYS

        if self._listed is None or self._listed_on != today:
            self._listed, self._listed_on = {}, today
        listed = self._listed
        ordered = sorted(entries.items(), key=lambda pair: pair[1].sort_key)
        rows = []
        for client_id, entry in ordered:
            if needle and needle not in entry.reference.casefold():
                continue
            known = listed.get(client_id)
            if known is None or known[0] is not entry:
                known = (entry, entry.summary(client_id, today, DUE_WINDOW_DAYS))
                listed[client_id] = known
            rows.append(known[1])
        return tuple(rows)

    def _summary_from_records(
        self,
        store: Store,
        generations: dict[str, int] | None,
        overviews: list[Any],
        plans: list[ClientPlan],
        notes: list[str],
    ) -> None:
        """Make the caseload summary from an overview's reads (in its read transaction), for
        a large caseload whose records all read; forget it otherwise. Only the clients with
        an event or a question to ask again have their session headers read (as home does)."""
        from .caseload_summary import (
            SUMMARY_FROM_CLIENTS,
            CaseloadSummary,
            client_generations,
            entries_of,
        )

        clients = client_generations(generations) if generations is not None else {}
        if notes or len(clients) < SUMMARY_FROM_CLIENTS or len(overviews) != len(clients):
            self._caseload_summary = None
            return
        plan_of = {plan.client_id: plan for plan in plans}
        entries = entries_of(store, overviews, plan_of, clients, self._due_days(), notes)
        if entries is None:
            self._caseload_summary = None
            return
        summary = CaseloadSummary(self._summary_key(), entries)
        kept = self._caseload_summary
        held = kept is not None and kept[0] is store and kept[2] and kept[1] == summary
        self._keep_summary(store, summary, saved=held)  # written only when it changed
