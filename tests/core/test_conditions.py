"""The show_if condition language: parsed, never eval'ed, null-safe."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindcheck.conditions import parse_condition, truthy
from kindcheck.errors import ConditionError


def evaluate(source: str, **values: object) -> bool:
    return truthy(parse_condition(source).evaluate(values.get))


def test_equality_and_boolean_operators() -> None:
    assert evaluate('a == "yes" and b > 2', a="yes", b=3)
    assert not evaluate('a == "yes" and b > 2', a="yes", b=2)
    assert evaluate('a == "no" or b >= 2', a="yes", b=2)
    assert evaluate('not a == "no"', a="yes")
    assert evaluate('(a == "x" or a == "y") and not b', a="y", b="no")


def test_membership_in_literal_lists_and_multi_answers() -> None:
    assert evaluate('a in ["x", "y"]', a="y")
    assert not evaluate('a not in ["x", "y"]', a="y")
    assert evaluate('"debts" in items', items=["rent", "debts"])
    assert not evaluate('"debts" in items', items=[])


def test_unanswered_names_make_every_comparison_false() -> None:
    assert not evaluate('a == "yes"')
    assert not evaluate('a != "yes"')
    assert not evaluate("a < 3")
    assert not evaluate('"x" in a')
    assert not evaluate("a")
    assert evaluate("not a")


def test_mismatched_kinds_compare_false_instead_of_raising() -> None:
    assert not evaluate('a < "3"', a=2)


def test_bare_names_are_false_for_no_zero_and_empty() -> None:
    assert not evaluate("a", a="no")
    assert not evaluate("a", a=0)
    assert not evaluate("a", a=[])
    assert evaluate("a", a="unknown")


def test_names_lists_every_reference() -> None:
    node = parse_condition('a == "x" and (b in [c, "d"] or not e)')
    assert node.names() == {"a", "b", "c", "e"}


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("", "empty"),
        ('a == "yes" and', "found the end"),
        ("a === b", "unexpected character '='"),
        ("a == == b", "expected a name"),
        ("a == 'x", "unexpected character"),
        ("__import__('os')", "expected 'and', 'or' or the end"),
        ("a.b == 1", "unexpected character '.'"),
        ("(" * 40 + "a" + ")" * 40, "nested deeper"),
        ("a == " + "1" * 2000, "longer than"),
    ],
)
def test_malformed_conditions_raise_a_clear_error(source: str, fragment: str) -> None:
    with pytest.raises(ConditionError, match=None) as raised:
        parse_condition(source)
    assert fragment in str(raised.value)


@given(st.text(max_size=120))
def test_any_text_parses_or_raises_condition_error_only(source: str) -> None:
    try:
        node = parse_condition(source)
    except ConditionError:
        return
    node.evaluate(lambda name: None)


SAFE_TOKENS = st.sampled_from(
    ["a", "b", "==", "!=", "<", ">=", "and", "or", "not", "in", '"x"', "3", "(", ")", "[", "]", ","]
)


@given(st.lists(SAFE_TOKENS, max_size=25))
def test_token_soup_never_crashes(tokens: list[str]) -> None:
    try:
        node = parse_condition(" ".join(tokens))
    except ConditionError:
        return
    node.evaluate({"a": "x", "b": 3}.get)
