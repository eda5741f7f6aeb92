"""Anonymised export: counts per calendar period, small-cell suppression, and team files.

Pure code over plain records: the store turns each stored session into a `SessionFacts` and
each follow-up plan into a `PlanFacts`; nothing here touches the database or the screen.

Pipeline (what ``kindcheck export``, the export screen and ``merge`` use)::

    aggregate(sessions, plans, "month") -> Counts   exact, by the month sessions were recorded
    release.Ledger.freeze(counts, today)            closed months frozen (end + 7 days)
    release.Ledger.release(...)         -> Release  newly closed months, quarters and years,
                                                    suppressed jointly with earlier releases
                                                    fixed, checked by the exact audit (audit.py)
    formats.render_release(ledger, period, ...)     the files (export_schema_v2.json), a pure
                                                    function of the ledger

The older one-file path (``suppress`` -> ``Table`` -> ``to_csv``/``to_json``, schema 1) stays
importable for the tests that pin its behaviour; no command uses it any more.

Modules: `facts` (the allowlist, SessionFacts, PlanFacts), `counts` (Counts, aggregate, add),
`suppression` (Table, suppress and its audit), `formats` (CSV, JSON, the schema, the notice),
`teamfile` (the encrypted team file, merge). Every name stays importable from kindcheck.export.

What is counted is an allowlist (`MEASURES`), never "everything minus identifiers": what a
team lead needs to see whether the Kindcheck is applied and the children are followed up, never
a person and never free text. Counts are per calendar month ("2026-11") or quarter ("2026-Q4")
and in total. A session's date only picks its period and is never written anywhere. Each intake
stands for one client (one intake per client per treatment).

=============================  ============================================================
intakes                        intake sessions
kindchecks_completed           intakes whose Kindcheck was completed
kindcheck_completed_share      kindchecks_completed / intakes, computed from the *shown*
                               counts only (hidden when either is hidden), so it adds nothing
clients_with_minor_children    intakes with minor children
children_in_view               the children in view, summed over intakes
parents_by_domain_count        intakes with a problem scan, by domains counted: 0, 1, 2, 3+,
                               and "total" (= intakes with a scan)
intakes_per_domain             per domain id: intakes whose scan counted that domain (an
                               intake can count several, so this group has no total)
parenting_support_flag         intakes with the flag "hulp bij opvoeden"
safety_signals                 sessions (intakes and follow-ups) with a safety signal
meldcode_steps_taken           Meldcode steps taken, summed over all sessions
followups                      on_time / late: follow-up conversations held, in the period
                               held; overdue: plans overdue at export time, in the period of
                               the missed conversation (`PlanFacts.due_on`; the schema-1
                               table only). No group total.
followups_due                  held_in_window / not_held / total: planned conversations due
                               in the month (the plan in force on their day), with or
                               without a follow-up held within the due window; released
                               rows (schema 2) carry these instead of "overdue"
=============================  ============================================================

The split by setting: quarter and year rows released since it came also show a few intake
measures per setting (``ggz/intakes``, ``sociaal_domein/kindchecks_completed``, ...:
``facts.SPLIT_MEASURES`` counted, ``release.SPLIT_KEYS`` shown); the parts add up to the
whole, and the audit knows it. A file without a split row is written exactly as before.

Follow-up sessions count only towards safety_signals, meldcode_steps_taken and followups (a
repeated scan at a follow-up is not a new parent). "Overdue" is a state at export time, so it is
filed under the period the missed conversation fell in: every measure then has one value per
period and the total is always the sum over periods, which keeps team files additive and the
suppression margins exact.

Suppression (`suppress`) in short; see its docstring for the algorithm and its limits:
a count from 1 to threshold-1 shows as "<5"; cells hidden so that such a count cannot be
worked out (from totals, other cells, or the marker ranges) show as "x"; zeros show as 0;
optional rounding to the nearest 5. An exact audit backs the subtraction rule.

Team files: a laptop's unsuppressed `Counts`, encrypted to the team lead's X25519 public key
(ephemeral X25519, HKDF-SHA256, AES-256-GCM with the envelope header as associated data). The
public key is not a secret, so a team file proves nothing about who made it: the team lead
merges the files their own team handed them. `merge` refuses copies, two files from the same
laptop covering the same period, other schema versions and damaged files, naming the file.
"""

from __future__ import annotations

from .counts import Counts, add, aggregate, period_label
from .facts import (
    DOMAIN_BANDS,
    DUE_CELLS,
    FOLLOWUP_CELLS,
    MEASURES,
    PERIOD_TYPES,
    SCAN_DOMAINS,
    SCHEMA_VERSION,
    SHARE,
    PeriodType,
    PlanFacts,
    SessionFacts,
)
from .formats import (
    CSV_DELIMITERS,
    EXPORT_FORMAT,
    NOTICE,
    ROUNDED_NOTE,
    notice,
    safe_cell,
    schema,
    to_csv,
    to_json,
)
from .suppression import (
    DEFAULT_THRESHOLD,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    ROUNDING_BASE,
    SECONDARY_MARK,
    TOTAL,
    Cell,
    Equation,
    ShownValue,
    Table,
    suppress,
)
from .teamfile import (
    TEAM_FILE_FORMAT,
    TEAM_FILE_VERSION,
    make_team_keypair,
    merge,
    open_team_file,
    seal_team_file,
)

__all__ = [
    "CSV_DELIMITERS",
    "DEFAULT_THRESHOLD",
    "DOMAIN_BANDS",
    "DUE_CELLS",
    "EXPORT_FORMAT",
    "FOLLOWUP_CELLS",
    "MAX_THRESHOLD",
    "MEASURES",
    "MIN_THRESHOLD",
    "NOTICE",
    "PERIOD_TYPES",
    "ROUNDED_NOTE",
    "ROUNDING_BASE",
    "SCAN_DOMAINS",
    "SCHEMA_VERSION",
    "SECONDARY_MARK",
    "SHARE",
    "TEAM_FILE_FORMAT",
    "TEAM_FILE_VERSION",
    "TOTAL",
    "Cell",
    "Counts",
    "Equation",
    "PeriodType",
    "PlanFacts",
    "SessionFacts",
    "ShownValue",
    "Table",
    "add",
    "aggregate",
    "make_team_keypair",
    "merge",
    "notice",
    "open_team_file",
    "period_label",
    "safe_cell",
    "schema",
    "seal_team_file",
    "suppress",
    "to_csv",
    "to_json",
]
