"""What the export may count: the allowlist of measures and the facts it counts from.

The store turns each stored session into a :class:`SessionFacts` and each follow-up plan into a
:class:`PlanFacts`; nothing else reaches the counting, and no field of either holds free text or
an identifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from kindcheck.errors import ExportError

SCHEMA_VERSION: Final = 1  # of Counts, team files and the JSON export; bump on any change

PeriodType = Literal["month", "quarter"]
PERIOD_TYPES: Final = ("month", "quarter")

MEASURES: Final[tuple[str, ...]] = (
    "intakes",
    "kindchecks_completed",
    "kindcheck_completed_share",
    "clients_with_minor_children",
    "children_in_view",
    "parents_by_domain_count",
    "intakes_per_domain",
    "parenting_support_flag",
    "safety_signals",
    "meldcode_steps_taken",
    "followups",
)
# The probleemscan-v1 domains (a test keeps them in step with the questionnaire), so a domain
# nobody had still shows as 0 instead of being missing.
SCAN_DOMAINS: Final[tuple[str, ...]] = (
    "financien",
    "werk",
    "wonen",
    "administratie",
    "huishouden",
    "psychisch",
    "lichamelijk",
    "relaties",
    "opvoeding",
    "netwerk",
    "justitie",
)
DOMAIN_BANDS: Final = ("0", "1", "2", "3+")
FOLLOWUP_CELLS: Final = ("on_time", "late", "overdue")
# Planned follow-up conversations due in a month (the plan in force on their day) and whether
# one was held within the due window around it; "total" is their sum (the due ones).
DUE_CELLS: Final = ("held_in_window", "not_held")
SHARE: Final = "kindcheck_completed_share"
_SIMPLE: Final = (
    "intakes",
    "kindchecks_completed",
    "clients_with_minor_children",
    "children_in_view",
    "parenting_support_flag",
    "safety_signals",
    "safety_signals_intake",
    "safety_signals_followup",
    "meldcode_steps_taken",
)
_BANDS_KEY: Final = "parents_by_domain_count"
# parents of minor children with a problem scan, by domains counted (comparable with the
# SCP's ~1 in 8 parents with problems in 3 or more areas)
_PARENT_BANDS_KEY: Final = "parents_of_minors_by_domain_count"
_DOMAIN_KEY: Final = "intakes_per_domain"
_FOLLOWUP_KEY: Final = "followups"
_DUE_KEY: Final = "followups_due"

# The split by setting (issue 14): the intake measures a team lead compares between the GGZ and
# the social domain, counted per setting as well as in all. A split cell's key is the setting,
# "/", and the whole's key ("ggz/intakes"); the settings' parts add up to the whole exactly.
SETTINGS: Final = ("ggz", "sociaal_domein")
SETTING_SEPARATOR: Final = "/"
SPLIT_MEASURES: Final[tuple[str, ...]] = (
    "intakes",
    "kindchecks_completed",
    "clients_with_minor_children",
)
"""The cells counted, and released in quarter and year rows, per setting: the share of
completed Kindchecks and the parents of minor children in each. (Finer cells per setting, such
as the domain bands or the signals, are nearly all small counts per quarter: hiding them would
hide whole counts beside them.)"""


def split_key(setting: str, key: str) -> str:
    return f"{setting}{SETTING_SEPARATOR}{key}"


def setting_of(key: str) -> tuple[str | None, str]:
    """(setting, the whole's key) of a split cell; (None, key) of a cell over all settings."""
    setting, separator, whole = key.partition(SETTING_SEPARATOR)
    return (setting, whole) if separator else (None, key)


_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")  # domain ids: no free text, nothing a sheet runs
_QUESTIONNAIRE_ID = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_PERIOD = {"month": re.compile(r"\d{4}-(0[1-9]|1[0-2])"), "quarter": re.compile(r"\d{4}-Q[1-4]")}
_MAX_COUNT: Final = 10**9
_MAX_SCP_AREAS: Final = 7  # the SCP's areas for parents (probleemscan-v2 [outcome].scp_areas)


# ---------------------------------------------------------------------------------------------
# Input records


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """One stored session reduced to the facts the export may count; no free text by design.

    ``held_on`` only picks the period and is never exported. ``problem_domain_count`` is None
    when no scan was done, and then ``problem_domains`` is empty; otherwise it equals the number
    of (distinct) ids in ``problem_domains``. ``followup_timing`` is for follow-ups only.

    ``scan_version`` and ``scp_area_count`` (kindcheck.export.versions) say which version of
    the problem scan the session used and how many SCP areas its problems touch (for a
    version-1 scan derived by the explicit mapping there); both None without a scan.
    """

    kind: Literal["intake", "followup"]
    held_on: date
    kindcheck_completed: bool = False
    has_minor_children: bool = False
    children_in_view: int = 0
    problem_domain_count: int | None = None
    problem_domains: tuple[str, ...] = ()
    parenting_support_flag: bool = False
    safety_signal: bool = False
    meldcode_steps_taken: int = 0
    followup_timing: Literal["on_time", "late"] | None = None
    scan_version: int | None = None
    scp_area_count: int | None = None
    # The day the session was recorded (Amsterdam): it picks the period, so that a session
    # typed in later (backdated) never changes a period already released. None: ``held_on``.
    recorded_on: date | None = None
    # Where the session took place ("ggz" or "sociaal_domein"); None (older callers): counted
    # in all only, and a period with such an intake gets no split by setting.
    setting: str | None = None

    @property
    def period_day(self) -> date:
        return self.recorded_on if self.recorded_on is not None else self.held_on


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """A follow-up plan's planned conversations, or (older callers) its state at export time.

    ``due_held`` and ``due_not_held``: the days of the plan's planned conversations whose due
    window has passed (each judged against the plan in force on its day), with and without a
    conversation held within the window around it; each counts in the period of its day.
    An ``overdue`` plan is counted once, under the period of ``due_on``: the date of the missed
    conversation (``FollowUpStatus.occurrence``), used only to pick the period.
    """

    overdue: bool = False
    due_on: date | None = None
    due_held: tuple[date, ...] = ()
    due_not_held: tuple[date, ...] = ()


def _known_key(key: str) -> bool:
    setting, whole = setting_of(key)
    if setting is not None:
        return setting in SETTINGS and whole in SPLIT_MEASURES
    measure, _, category = key.partition(":")
    if not category:
        return measure in _SIMPLE
    if measure in (_BANDS_KEY, _PARENT_BANDS_KEY):
        return category in DOMAIN_BANDS
    if measure == _DOMAIN_KEY:
        return _ID.fullmatch(category) is not None
    if measure == _DUE_KEY:
        return category in DUE_CELLS
    return measure == _FOLLOWUP_KEY and category in FOLLOWUP_CELLS


def _bad_count(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_COUNT


_KNOWN_IDS: set[str] = set()  # domain ids already seen to be ids (there are a handful)


def _plain_ids(domains: Iterable[object]) -> bool:
    """Whether every one of ``domains`` is a domain id (text matching :data:`_ID`), with
    the ids already seen remembered: a report checks the domains of every session."""
    for domain in domains:
        if domain not in _KNOWN_IDS:
            if type(domain) is not str or not _ID.fullmatch(domain):
                return False
            if len(_KNOWN_IDS) < 256:
                _KNOWN_IDS.add(domain)
    return True


def _plainly_valid(facts: object) -> bool:
    """Whether ``facts`` passes every check of :func:`_check_session`, decided with exact
    types: True only when it would (False may still pass, and the full check then decides).
    An export checks one per session; most are plainly valid."""
    if type(facts) is not SessionFacts or type(facts.held_on) is not date:
        return False
    if facts.recorded_on is not None and type(facts.recorded_on) is not date:
        return False
    if facts.setting is not None and facts.setting not in SETTINGS:
        return False
    if not (
        facts.kind in ("intake", "followup")
        and type(facts.kindcheck_completed) is bool
        and type(facts.has_minor_children) is bool
        and type(facts.parenting_support_flag) is bool
        and type(facts.safety_signal) is bool
        and type(facts.children_in_view) is int
        and 0 <= facts.children_in_view <= _MAX_COUNT
        and type(facts.meldcode_steps_taken) is int
        and 0 <= facts.meldcode_steps_taken <= _MAX_COUNT
        and facts.followup_timing in (None, "on_time", "late")
        and (facts.followup_timing is None or facts.kind == "followup")
        and type(facts.problem_domains) is tuple
    ):
        return False
    domains, count = facts.problem_domains, facts.problem_domain_count
    if count is None:
        return (
            not domains
            and not facts.parenting_support_flag
            and facts.scan_version is None
            and facts.scp_area_count is None
        )
    scp = facts.scp_area_count
    return (
        _plain_ids(domains)
        and type(count) is int
        and count == len(domains) == len(set(domains))
        and (facts.scan_version is None or type(facts.scan_version) is int)
        and facts.scan_version in (None, 1, 2)
        and (scp is None or (type(scp) is int and 0 <= scp <= _MAX_SCP_AREAS))
    )


def _check_session(facts: object, index: int) -> None:
    """Refuse facts the store should never produce; messages name the position, not a client."""
    if _plainly_valid(facts):
        return
    where = f"session facts #{index}"
    if not isinstance(facts, SessionFacts):
        raise ExportError(f"{where}: not a SessionFacts record")
    if facts.kind not in ("intake", "followup"):
        raise ExportError(f"{where}: kind must be 'intake' or 'followup'")
    if not isinstance(facts.held_on, date):
        raise ExportError(f"{where}: held_on must be a date")
    if facts.recorded_on is not None and not isinstance(facts.recorded_on, date):
        raise ExportError(f"{where}: recorded_on must be a date")
    if facts.setting is not None and facts.setting not in SETTINGS:
        raise ExportError(f"{where}: setting must be 'ggz' or 'sociaal_domein'")
    for name in (
        "kindcheck_completed",
        "has_minor_children",
        "parenting_support_flag",
        "safety_signal",
    ):
        if not isinstance(getattr(facts, name), bool):
            raise ExportError(f"{where}: {name} must be true or false")
    if _bad_count(facts.children_in_view) or _bad_count(facts.meldcode_steps_taken):
        raise ExportError(f"{where}: children_in_view and meldcode_steps_taken must be >= 0")
    domains = facts.problem_domains
    if not isinstance(domains, tuple) or not all(
        isinstance(d, str) and _ID.fullmatch(d) for d in domains
    ):
        raise ExportError(f"{where}: problem_domains must be a tuple of domain ids")
    if facts.problem_domain_count is None:
        if domains or facts.parenting_support_flag:
            raise ExportError(f"{where}: problem domains or the flag without a problem scan")
    elif (
        _bad_count(facts.problem_domain_count)
        or facts.problem_domain_count != len(set(domains))
        or len(set(domains)) != len(domains)
    ):
        raise ExportError(
            f"{where}: problem_domain_count must equal the number of distinct problem_domains"
        )
    if facts.problem_domain_count is None and (
        facts.scan_version is not None or facts.scp_area_count is not None
    ):
        raise ExportError(f"{where}: a scan version or SCP areas without a problem scan")
    if facts.scan_version is not None and facts.scan_version not in (1, 2):
        raise ExportError(f"{where}: scan_version must be 1 or 2")
    if facts.scp_area_count is not None and (
        _bad_count(facts.scp_area_count) or facts.scp_area_count > _MAX_SCP_AREAS
    ):
        raise ExportError(f"{where}: scp_area_count must be from 0 to {_MAX_SCP_AREAS}")
    if facts.followup_timing not in (None, "on_time", "late"):
        raise ExportError(f"{where}: followup_timing must be 'on_time', 'late' or None")
    if facts.followup_timing is not None and facts.kind != "followup":
        raise ExportError(f"{where}: followup_timing is for follow-up sessions only")
