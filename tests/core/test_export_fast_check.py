"""The export checks every session's facts (kindcheck.export.facts._check_session); its quick
path for plainly valid facts never lets through what the full check refuses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindcheck.errors import ExportError
from kindcheck.export import SCAN_DOMAINS, SessionFacts
from kindcheck.export import facts as facts_module

odd = st.sampled_from([None, True, False, 0, 1, 2, -1, 7, 8, 10**9 + 1, 1.0, "x", "", [], ()])
flags = st.booleans() | odd
counts = st.integers(min_value=-2, max_value=12) | odd
domain_lists = st.lists(st.sampled_from([*SCAN_DOMAINS, "Wonen", "x y", "", "a" * 41]), max_size=4)


@st.composite
def any_facts(draw: Any) -> Any:
    domains = draw(domain_lists)
    return SessionFacts(
        kind=draw(st.sampled_from(["intake", "followup", "other", None])),
        held_on=draw(st.sampled_from([date(2026, 1, 5), datetime(2026, 1, 5), "2026-01-05"])),
        kindcheck_completed=draw(flags),
        has_minor_children=draw(flags),
        children_in_view=draw(counts),
        problem_domain_count=draw(
            st.sampled_from([None, len(domains), len(set(domains))]) | counts
        ),
        problem_domains=draw(st.sampled_from([tuple(domains), list(domains)])),
        parenting_support_flag=draw(flags),
        safety_signal=draw(flags),
        meldcode_steps_taken=draw(counts),
        followup_timing=draw(st.sampled_from([None, "on_time", "late", "early", 1])),
        scan_version=draw(st.sampled_from([None, 1, 2, 3, True])),
        scp_area_count=draw(st.sampled_from([None, 0, 3, 7, 8, -1, True])),
    )


def refused_by_the_full_check(facts: Any) -> bool:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(facts_module, "_plainly_valid", lambda facts: False)
        try:
            facts_module._check_session(facts, 0)
        except ExportError:
            return True
    return False


@settings(max_examples=2000, deadline=None)
@given(facts=any_facts())
def test_what_the_quick_path_lets_through_the_full_check_accepts(facts: Any) -> None:
    if facts_module._plainly_valid(facts):
        assert not refused_by_the_full_check(facts)


def test_the_quick_path_takes_ordinary_facts() -> None:
    ordinary = SessionFacts(
        "intake", date(2026, 1, 5), True, True, 2, 1, ("wonen",), False, True, 0, None, 1, 1
    )
    assert facts_module._plainly_valid(ordinary)
    assert not refused_by_the_full_check(ordinary)
