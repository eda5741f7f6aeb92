"""How sessions of both questionnaire versions count, explicitly (docs/CLINICAL.md §12).

The export counts version-1 and version-2 sessions side by side. Its measures keep the meaning
each session was recorded with: the domains, the 0/1/2/3+ bands and the flag of a version-1
scan are those version 1 counted. What version 2 adds and version 1 did not record, the number
of SCP areas among a parent's problems (comparable with the SCP's share of parents with
problems in 3 or more areas), is derived for a version-1 scan by one fixed rule:

- every version-1 indicator with a problem answer that ``probleemscan-v2``'s ``[compat.v1]``
  lists in ``counts`` counts towards its SCP area: ``[compat.v1].scp_area[id]``, or else the
  ``scp_area`` of the version-2 indicator with the same id;
- indicators in ``dropped`` (symptoms version 2 no longer counts) never count;
- an area of "none" is not an SCP area.

For a version-2 scan the number is the one its outcome recorded. This is an approximation for
version 1 (its questions were phrased differently), and the export says so in its header.

Pure functions over a stored session (its answers file and outcome JSON, plain dicts), so the
store stays free of the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kindcheck.questionnaire import Questionnaire, load_shipped

SCAN_ID: Final = "probleemscan"
NO_AREA: Final = "none"


@dataclass(frozen=True, slots=True)
class ScanVersionFacts:
    """The scan of one stored session, as the export's version mapping sees it."""

    version: int | None  # the scan's questionnaire version; None without a scan
    scp_area_count: int | None  # distinct SCP areas among its problems; None without a scan


def v1_scp_areas(problem_indicators: set[str], rules: Questionnaire | None = None) -> set[str]:
    """The SCP areas of version-1 indicators answered as a problem, by the rule above."""
    rules = rules or load_shipped(SCAN_ID, 2)
    compat = rules.compat_v1
    if compat is None:  # the loader requires it once a v2 scan maps v1; never silently zero
        raise ValueError(f"{rules.key} has no [compat.v1]")
    areas: set[str] = set()
    for indicator in problem_indicators & compat.counts:
        area = compat.scp_area.get(indicator)
        if area is None and rules.has_question(indicator):
            area = rules.question(indicator).scp_area
        if area and area != NO_AREA:
            areas.add(area)
    return areas


def scan_version_facts(answers: Mapping[str, Any], outcome: Mapping[str, Any]) -> ScanVersionFacts:
    """The scan version and SCP-area count of a stored session (answers file + outcome JSON).

    The problem indicators are the ones the stored outcome names as the reasons its domains
    counted (``domain_reasons``): what the session was recorded with, not a recomputation.
    """
    parts = [p for p in answers.get("questionnaires") or [] if isinstance(p, Mapping)]
    scan = next((p for p in parts if p.get("id") == SCAN_ID), None)
    if scan is None or not outcome.get("scan_done"):
        return ScanVersionFacts(None, None)
    version = scan.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        return ScanVersionFacts(None, None)
    if version >= 2:
        count = outcome.get("scp_area_count")
        return ScanVersionFacts(version, count if isinstance(count, int) else None)
    reasons = outcome.get("domain_reasons") or {}
    indicators = {
        str(reason.get("question"))
        for listed in reasons.values()
        if isinstance(listed, list)
        for reason in listed
        if isinstance(reason, Mapping)
    }
    return ScanVersionFacts(version, len(v1_scp_areas(indicators)))
