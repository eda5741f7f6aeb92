"""The outcome of a session: what the answers lead to, with the reasons for each part.

- :mod:`.model`: the frozen values (Outcome, SafetySignal, RaisedConcern, OpenItem, ...).
- :mod:`.rules`: :func:`compute_outcome`, the version-1 rules for version-1 sessions and the
  version-2 rules (signals with ``requires``, concerns, open items, advice with conditions,
  hand-offs, the acute lines, events) for version-2 sessions.
- :mod:`.present`: the outcome as JSON, as lines for a person, and its one-line summary.

Every name stays importable from ``kindcheck.outcome``.
"""

from __future__ import annotations

# The guide types lived here before they moved to the questionnaire package.
from kindcheck.questionnaire import MeldcodeGuide, MeldcodeGuideV2, MeldcodeStep

from .model import (
    REASK_DAYS,
    ChildInView,
    OpenItem,
    Outcome,
    ProblemDomain,
    RaisedConcern,
    Reason,
    SafetySignal,
)
from .present import outcome_lines, outcome_summary, outcome_to_json
from .rules import (
    children_in_view,
    compute_outcome,
    meldcode_guide,
    problem_domains,
    safety_signals,
    scp_area_count,
)

__all__ = [
    "REASK_DAYS",
    "ChildInView",
    "MeldcodeGuide",
    "MeldcodeGuideV2",
    "MeldcodeStep",
    "OpenItem",
    "Outcome",
    "ProblemDomain",
    "RaisedConcern",
    "Reason",
    "SafetySignal",
    "children_in_view",
    "compute_outcome",
    "meldcode_guide",
    "outcome_lines",
    "outcome_summary",
    "outcome_to_json",
    "problem_domains",
    "safety_signals",
    "scp_area_count",
]
