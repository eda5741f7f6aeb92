"""The Store's follow-up plans: one per client, kept and handed back as plain data.

A plan arrives as an object that gives its own JSON form (:class:`SerialisablePlan`; it checked
itself when it was made) and is returned as that JSON with the rhythm's name
(:data:`PlainPlan`). What a rhythm means, and what a plan becomes after a session, is follow-up
policy, which lives above the store.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from typing import Final

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.records import (
    DamagedNote,
    PlainPlan,
    SerialisablePlan,
    StoredPlan,
    _collect,
    _decode_plan_values,
    _new_id,
    _now,
    _plan_data,
)

_PLAN_COLUMNS: Final = "SELECT id, client_id, format_version, data FROM followup_plan"


class _Plans(_StoreBase):
    """Follow-up plans, one per client."""

    def save_plan(
        self, client_id: str, plan: SerialisablePlan, rhythm: str | None = None
    ) -> PlainPlan:
        """Store a client's plan (one per client; replaces the previous one).

        ``rhythm`` names the default rhythm the plan follows; None for a plan edited by hand
        (later sessions then leave its rhythm alone). Returns the plan as stored: its JSON form
        and the rhythm's name.
        """
        if not isinstance(plan, SerialisablePlan):
            raise VaultError("a follow-up plan is needed")
        data = plan.to_dict()
        if not isinstance(data, dict):
            raise VaultError("a follow-up plan is needed")
        with self._write() as conn:
            client = conn.execute("SELECT id FROM client WHERE id = ?", (client_id,)).first()
            if client is None:
                raise VaultError("no such client")
            if rhythm is not None and not isinstance(rhythm, str):
                raise VaultError("a plan's rhythm is given by its name")
            ledger = self._ledger(conn)
            ledger.check_client(conn, client_id)
            row = conn.execute(
                "SELECT id FROM followup_plan WHERE client_id = ?", (client_id,)
            ).first()
            plan_id = row.id if row is not None else _new_id()
            stored: PlainPlan = StoredPlan(
                plan_id, client_id, data, None if rhythm is None else str(rhythm), _now()
            )
            blob = self._seal(conn, "followup_plan", f"{plan_id}/{client_id}", _plan_data(stored))
            if row is None:
                conn.execute(
                    "INSERT INTO followup_plan (id, client_id, format_version, data) "
                    "VALUES (?, ?, ?, ?)",
                    (plan_id, client_id, RECORD_FORMAT, blob),
                )
            else:
                conn.execute(
                    "UPDATE followup_plan SET format_version = ?, data = ? WHERE id = ?",
                    (RECORD_FORMAT, blob, plan_id),
                )
            ledger.plan_saved(conn, client_id, plan_id)
            self._log_client(
                conn, "change", client_id, "follow-up plan" + (" (new)" if row is None else "")
            )
        return stored

    def get_plan(self, client_id: str) -> PlainPlan | None:
        with self._read() as conn:
            row = conn.execute(_PLAN_COLUMNS + " WHERE client_id = ?", (client_id,)).first()
        return None if row is None else self._plan_from_row(row)

    def delete_plan(self, client_id: str) -> None:
        """Remove a client's plan (no follow-up conversations wanted); no plan is fine."""
        with self._write() as conn:
            removed = conn.execute("DELETE FROM followup_plan WHERE client_id = ?", (client_id,))
            if removed.rowcount:
                self._ledger(conn).plan_saved(conn, client_id, None)
                self._log_client(conn, "delete", client_id, "follow-up plan")

    def iter_plans(self, damaged: list[str] | None = None) -> Generator[PlainPlan, None, None]:
        """Every client's plan, by client id (the order :meth:`iter_facts` reads the facts
        records in, so a report can go through both side by side): one query. Read it to the
        end or close it, as :meth:`iter_facts`."""
        cipher = self._require_open()
        with self._read() as conn:
            cursor = conn.driver.execute(_PLAN_COLUMNS + " ORDER BY client_id")
            while rows := cursor.fetchmany(500):
                for plan_id, client_id, format_version, data in rows:
                    try:
                        plan = _decode_plan_values(cipher, plan_id, client_id, format_version, data)
                    except RecordDamaged as error:
                        if damaged is None:
                            raise
                        damaged.append(DamagedNote.of(error, client_id))
                        continue
                    yield plan

    def list_plans(self, damaged: list[str] | None = None) -> list[PlainPlan]:
        """Every client's plan (for due/overdue lists and the calendar export)."""
        with self._read() as conn:
            rows = conn.execute(_PLAN_COLUMNS).all()
        found = [
            _collect(damaged, partial(self._plan_from_row, row), row.client_id) for row in rows
        ]
        return [plan for plan in found if plan is not None]
