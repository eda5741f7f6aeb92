"""The export's explicit mapping of version-1 and version-2 scans (kindcheck.export.versions):
what each session was recorded with stays; the SCP-area count of a version-1 scan comes from
probleemscan-v2's [compat.v1]; both versions are counted side by side from one vault."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support.vault import PASSPHRASE, make_answers, record

from kindcheck.answers import session_from_dict
from kindcheck.errors import ExportError
from kindcheck.export import SessionFacts, aggregate
from kindcheck.export.versions import scan_version_facts, v1_scp_areas
from kindcheck.outcome import compute_outcome, outcome_to_json
from kindcheck.questionnaire import load_shipped
from kindcheck.service.reports import session_facts
from kindcheck.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def v1_scan_session(problems: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A version-1 intake whose scan answers exactly ``problems`` as a problem."""
    data = json.loads((EXAMPLES / "two-domains.json").read_text("utf-8"))
    scan = load_shipped("probleemscan", 1)
    data["questionnaires"][1]["answers"] = {
        q.id: (q.problem_answers[0] if q.id in problems else "no") for q in scan.questions
    }
    session = session_from_dict(copy.deepcopy(data))
    return session.to_dict(), outcome_to_json(compute_outcome(session))


def test_one_depression_in_a_v1_scan_keeps_its_recorded_flag_and_counts_one_scp_area() -> None:
    answers, outcome = v1_scan_session(
        {"hh_self_care", "lich_pain_fatigue", "net_lonely", "psy_reason_for_care"}
    )
    assert outcome["problem_domains"] == ["huishouden", "psychisch", "lichamelijk", "netwerk"]
    assert outcome["parenting_support_flag"] is True  # as recorded: version 1 raised it
    facts = scan_version_facts(answers, outcome)
    assert (facts.version, facts.scp_area_count) == (1, 1)


@pytest.mark.parametrize(
    ("indicator", "area"),
    [
        ("werk_no_activity", "dagbesteding"),  # named in [compat.v1].scp_area
        ("net_no_fallback", "sociaal_netwerk"),
        ("fin_arrears", "financien"),  # the v2 indicator with the same id
        ("won_unstable", None),  # housing: no SCP area
        ("net_lonely", None),  # dropped: a symptom
    ],
)
def test_each_v1_indicator_counts_towards_one_scp_area_or_none(
    indicator: str, area: str | None
) -> None:
    assert v1_scp_areas({indicator}) == ({area} if area else set())
    answers, outcome = v1_scan_session({indicator})
    assert scan_version_facts(answers, outcome).scp_area_count == (1 if area else 0)


def test_a_v2_scan_counts_what_its_outcome_recorded_and_no_scan_counts_nothing() -> None:
    flagged = session_from_dict(json.loads((EXAMPLES / "v2-flag-handoff.json").read_text()))
    outcome = outcome_to_json(compute_outcome(flagged))
    facts = scan_version_facts(flagged.to_dict(), outcome)
    assert (facts.version, facts.scp_area_count) == (2, 3)
    closed = session_from_dict(json.loads((EXAMPLES / "v2-violence-no-children.json").read_text()))
    facts = scan_version_facts(closed.to_dict(), outcome_to_json(compute_outcome(closed)))
    assert (facts.version, facts.scp_area_count) == (None, None)


def test_session_facts_refuse_scp_areas_without_a_scan_or_out_of_range() -> None:
    from datetime import date

    for bad in (
        SessionFacts("intake", date(2026, 1, 1), scp_area_count=1),
        SessionFacts("intake", date(2026, 1, 1), problem_domain_count=0, scan_version=3),
        SessionFacts("intake", date(2026, 1, 1), problem_domain_count=0, scp_area_count=8),
    ):
        with pytest.raises(ExportError):
            aggregate([bad])


def test_v1_and_v2_sessions_in_one_vault_are_counted_side_by_side(tmp_path: Path) -> None:
    store, _recovery = Store.create(tmp_path / "vault", PASSPHRASE, "tester")
    with store:
        record(store, make_answers("EPD-1", problems=3))  # v1: 3 domains
        record(store, make_answers("EPD-2", problems=2, version=2))  # v2: 2 domains
        facts = sorted(session_facts(store), key=lambda f: f.scan_version or 0)
    assert [(f.scan_version, f.problem_domain_count) for f in facts] == [(1, 3), (2, 2)]
    # v1: fin_arrears (financien), werk_no_activity (dagbesteding), won_unstable (none);
    # v2: fin_arrears (financien), werk_wants_activity (dagbesteding)
    assert [f.scp_area_count for f in facts] == [2, 2]
    counted = aggregate(facts, period="quarter").total()
    assert counted["intakes"] == 2
    assert counted["parents_by_domain_count:3+"] == 1
    assert counted["parents_by_domain_count:2"] == 1
    assert counted["parenting_support_flag"] == 1
