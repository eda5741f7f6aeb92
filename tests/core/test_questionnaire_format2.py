"""Loading format-2 files (questionnaires/FORMAT.md, "v2 additions"): one test per new kind of
load error, each naming the file, the line and the id; and the shipped v2 content loads."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from kindcheck.errors import QuestionnaireError
from kindcheck.questionnaire import (
    load_catalog,
    load_content_file,
    load_guide,
    load_questionnaire,
    load_shipped,
    parse_guide,
    questionnaire_dir,
    shipped_files,
)

CATALOG = """\
format = 2
kind = "catalog"
id = "uitkomst"
version = 9
title = { nl = "Uitkomst", en = "Outcome" }
sources = ["test"]

[[signals]]
id = "violence"
name = { nl = "Geweld", en = "Violence" }
source = "test"

[[signals]]
id = "weapon"
name = { nl = "Wapen", en = "Weapon" }
source = "test"
requires = 'with_children'
otherwise_concern = "weapon_access"

[[concern_steps]]
id = "talk"
text = { nl = "Bespreek het", en = "Discuss it" }

[[concerns]]
id = "weapon_access"
name = { nl = "Toegang tot een wapen", en = "Access to a weapon" }
source = "test"
steps = ["talk"]

[[concerns]]
id = "worry"
name = { nl = "Zorg", en = "Worry" }
source = "test"
steps = ["talk"]

[[handoffs]]
id = "cjg"
name = { nl = "CJG", en = "CJG" }
what = { nl = "Steun", en = "Support" }
offer_if = 'flag'

[[events]]
id = "admission"
name = { nl = "Opname", en = "Admission" }
due_days = 0
"""

MAIN_HEADER = """\
format = 2
id = "main"
version = 2
catalog = "uitkomst-v9"
title = { nl = "Hoofd", en = "Main" }
sources = ["test"]

[[derived]]
id = "with_children"
condition = 'kids == "yes"'
"""

SCAN_HEADER = """\
format = 2
id = "scan"
version = 2
catalog = "uitkomst-v9"
title = { nl = "Scan", en = "Scan" }
sources = ["test"]

[outcome]
scp_areas = ["geld"]

[[domains]]
id = "geld"
name = { nl = "Geld", en = "Money" }

[[domains.advice]]
id = "help"
text = { nl = "Hulp", en = "Help" }
"""


def q2(qid: str, extra: str = "", qtype: str = "yesno") -> str:
    return textwrap.dedent(f"""
    [[questions]]
    id = "{qid}"
    type = "{qtype}"
    text = {{ nl = "Vraag {qid}", en = "Question {qid}" }}
    help_client = {{ nl = "Waarom", en = "Why" }}
    guidance = {{ nl = "Toelichting", en = "Guidance" }}
    source = "test"
    """) + textwrap.dedent(extra)


KIDS = q2("kids")
INDICATOR = q2("debts", 'domain = "geld"\nproblem_answers = ["yes"]\nscp_area = "geld"\n')


def folder_with(tmp_path: Path, **files: str) -> Path:
    (tmp_path / "uitkomst-v9.toml").write_text(CATALOG, "utf-8")
    for name, text in files.items():
        (tmp_path / f"{name.replace('_', '-')}.toml").write_text(text, "utf-8")
    return tmp_path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    return raised.value.problems


def only_problem(path: Path) -> str:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def line_of(source: str, qid: str) -> int:
    """The line of the ``[[questions]]`` header of question ``qid``."""
    lines = source.splitlines()
    at = lines.index(f'id = "{qid}"')
    while not lines[at].startswith("[["):
        at -= 1
    return at + 1


def main_file(tmp_path: Path, body: str, header: str = MAIN_HEADER) -> tuple[Path, str]:
    source = header + KIDS + body
    folder = folder_with(tmp_path, main_v2=source)
    return folder / "main-v2.toml", source


def test_a_small_format_2_pair_loads(tmp_path: Path) -> None:
    path, _source = main_file(
        tmp_path,
        q2("worry_q", 'concern = "worry"\nconcern_answers = ["yes"]\n')
        + q2(
            "unknown_q",
            'open_answers = ["unknown"]\nopen_item = { nl = "Vraag", en = "Ask" }\n'
            'reask = "next_contact"\n',
        ),
    )
    main = load_questionnaire(path)
    assert main.format == 2 and main.catalog is not None and main.catalog.key == "uitkomst-v9"
    assert main.question("kids").help.en == "Why"  # `help` is help_client
    assert main.question("kids").guidance is not None


# -- help texts ----------------------------------------------------------------------------------


def test_help_in_a_format_2_file_is_refused(tmp_path: Path) -> None:
    body = q2("a").replace("help_client", "help")
    path, source = main_file(tmp_path, body)
    problems = problems_of(path)
    assert (
        f"{path}:{line_of(source, 'a')} [a]: 'help' is format 1: use 'help_client' (read aloud "
        "to the client) and 'guidance' (for the clinician)"
    ) in problems
    assert (
        f"{path}:{line_of(source, 'a')} [a]: 'help_client' must be a table with 'nl' and 'en' texts"
        in problems
    )


def test_guidance_needs_dutch_and_english(tmp_path: Path) -> None:
    path, source = main_file(tmp_path, q2("a").replace('en = "Guidance"', 'en = ""'))
    assert only_problem(path) == (
        f"{path}:{line_of(source, 'a')} [a]: missing English text for 'guidance' ('guidance.en')"
    )


# -- outcome keys on a question -----------------------------------------------------------------


def test_one_answer_in_two_outcome_lists(tmp_path: Path) -> None:
    path, source = main_file(
        tmp_path,
        q2(
            "a",
            'signal = "violence"\nsignal_answers = ["yes"]\nconcern = "worry"\n'
            'concern_answers = ["yes"]\n',
        ),
    )
    assert only_problem(path) == (
        f"{path}:{line_of(source, 'a')} [a]: answer 'yes' is in more than one of signal_answers "
        "and concern_answers (one answer leads to one thing)"
    )


def test_concern_answers_without_a_concern(tmp_path: Path) -> None:
    path, source = main_file(tmp_path, q2("a", 'concern_answers = ["yes"]\n'))
    assert only_problem(path) == (
        f"{path}:{line_of(source, 'a')} [a]: 'concern_answers' without a 'concern'"
    )


def test_open_answers_and_open_item_go_together(tmp_path: Path) -> None:
    path, source = main_file(
        tmp_path,
        q2("a", 'open_answers = ["unknown"]\n')
        + q2("b", 'open_item = { nl = "Vraag", en = "Ask" }\n'),
    )
    problems = problems_of(path)
    assert problems == [
        f"{path}:{line_of(source, 'a')} [a]: 'open_answers' needs an 'open_item' (what to do next)",
        f"{path}:{line_of(source, 'b')} [b]: 'open_item' without 'open_answers'",
    ]


def test_reask_needs_open_answers_and_its_one_value(tmp_path: Path) -> None:
    item = 'open_answers = ["unknown"]\nopen_item = { nl = "Vraag", en = "Ask" }\n'
    path, source = main_file(
        tmp_path,
        q2("a", 'reask = "next_contact"\n') + q2("b", item + 'reask = "tomorrow"\n'),
    )
    assert problems_of(path) == [
        f"{path}:{line_of(source, 'a')} [a]: 'reask' needs 'open_answers' (what to ask again)",
        f"{path}:{line_of(source, 'b')} [b]: 'reask' must be \"next_contact\"",
    ]


def test_unknown_signal_concern_and_event_name_the_catalog(tmp_path: Path) -> None:
    events = (
        'options = [{ id = "none", nl = "Geen", en = "None", exclusive = true }, '
        '{ id = "holiday", nl = "Vakantie", en = "Holiday" }]\nevents = true\n'
    )
    path, source = main_file(
        tmp_path,
        q2("a", 'signal = "fire"\nsignal_answers = ["yes"]\n')
        + q2("b", 'concern = "noise"\nconcern_answers = ["yes"]\n')
        + q2("c", events, qtype="multi"),
    )
    assert problems_of(path) == [
        f"{path}:{line_of(source, 'a')} [a]: unknown signal 'fire' (not in catalog 'uitkomst-v9')",
        f"{path}:{line_of(source, 'b')} [b]: unknown concern 'noise' (not in catalog 'uitkomst-v9')",
        f"{path}:{line_of(source, 'c')} [c]: option 'holiday' is not an event of catalog "
        "'uitkomst-v9' (every option but an exclusive one must be an event)",
    ]


def test_events_on_a_question_that_is_not_multi(tmp_path: Path) -> None:
    path, source = main_file(tmp_path, q2("a", "events = true\n"))
    assert only_problem(path) == (
        f"{path}:{line_of(source, 'a')} [a]: 'events = true' needs a multi question"
    )


def test_exclusive_outside_a_multi_question(tmp_path: Path) -> None:
    options = 'options = [{ id = "x", nl = "X", en = "X", exclusive = true }]\n'
    path, source = main_file(tmp_path, q2("a", options, qtype="choice"))
    assert only_problem(path) == (
        f"{path}:{line_of(source, 'a')} [a]: option 'x' is 'exclusive', which only a multi "
        "question can be"
    )


# -- derived names and requires -------------------------------------------------------------


def test_derived_name_clashing_with_a_question_and_a_circle(tmp_path: Path) -> None:
    header = MAIN_HEADER + textwrap.dedent("""
    [[derived]]
    id = "kids"
    condition = 'setting == "ggz"'

    [[derived]]
    id = "first"
    condition = 'second'

    [[derived]]
    id = "second"
    condition = 'first'
    """)
    path, source = main_file(tmp_path, "", header)
    lines = source.splitlines()
    kids, first = (lines.index(f'id = "{name}"') for name in ("kids", "first"))
    assert problems_of(path) == [
        f"{path}:{kids} [kids]: a derived name has the id of a question",
        f"{path}:{first} [first]: derived names depend on each other in a circle: "
        "first -> second -> first",
    ]


def test_a_derived_name_in_show_if_may_not_depend_on_a_later_question(tmp_path: Path) -> None:
    header = MAIN_HEADER + textwrap.dedent("""
    [[derived]]
    id = "late"
    condition = 'b == "yes"'
    """)
    path, source = main_file(tmp_path, q2("a", "show_if = 'late'\n") + q2("b"), header)
    assert only_problem(path) == (
        f"{path}:{line_of(source, 'a')} [a]: 'show_if' uses 'late', which depends on 'b', which "
        "comes later (a condition can only look back)"
    )


def test_requires_names_what_the_questionnaire_does_not_derive(tmp_path: Path) -> None:
    header = MAIN_HEADER.replace('id = "with_children"', 'id = "children_here"')
    path, _source = main_file(tmp_path, "", header)
    assert only_problem(path) == (
        f"{path}:1: catalog 'uitkomst-v9' [weapon]: 'requires' names 'with_children', which this "
        "questionnaire does not define as a [[derived]] name"
    )


def test_a_format_2_questionnaire_needs_its_catalog_and_has_no_signals(tmp_path: Path) -> None:
    header = MAIN_HEADER.replace('catalog = "uitkomst-v9"\n', "") + textwrap.dedent("""
    [[signals]]
    id = "violence"
    name = { nl = "Geweld", en = "Violence" }
    """)
    path, _source = main_file(tmp_path, "", header)
    assert problems_of(path) == [
        f"{path}:1: a format-2 questionnaire has no [[signals]] of its own: they are in its "
        "catalog",
        f"{path}:1: 'catalog' must name the outcome catalog, such as \"uitkomst-v2\"",
    ]


# -- the catalog ------------------------------------------------------------------------------


def test_catalog_conditions_stay_in_the_outcome_context_and_concerns_exist(
    tmp_path: Path,
) -> None:
    source = CATALOG.replace("offer_if = 'flag'", "offer_if = 'flag or kids == \"yes\"'").replace(
        'otherwise_concern = "weapon_access"', 'otherwise_concern = "weapons"'
    )
    path = tmp_path / "uitkomst-v9.toml"
    path.write_text(source, "utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        load_catalog(path)
    lines = source.splitlines()
    weapon = lines.index('id = "weapon"')
    cjg = lines.index('id = "cjg"')
    assert raised.value.problems == [
        f"{path}:{weapon} [weapon]: 'otherwise_concern' names unknown concern 'weapons'",
        f"{path}:{cjg} [cjg]: 'offer_if' names 'kids', which is not in the outcome context "
        "(concerns, domain_count, domains, flag, meldcode_open, minors, pregnancy, setting, "
        "signals)",
    ]


def test_a_concern_needs_a_next_step_that_exists(tmp_path: Path) -> None:
    source = CATALOG.replace('steps = ["talk"]\n', 'steps = ["walk"]\n', 1).replace(
        'id = "worry"\nname = { nl = "Zorg", en = "Worry" }\nsource = "test"\nsteps = ["talk"]',
        'id = "worry"\nname = { nl = "Zorg", en = "Worry" }\nsource = "test"',
    )
    path = tmp_path / "uitkomst-v9.toml"
    path.write_text(source, "utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        load_catalog(path)
    lines = source.splitlines()
    access, worry = (lines.index(f'id = "{c}"') for c in ("weapon_access", "worry"))
    assert raised.value.problems == [
        f"{path}:{access} [weapon_access]: unknown concern step 'walk'",
        f"{path}:{worry} [worry]: a concern needs a next step ('steps' or 'next')",
    ]


def test_a_catalog_problem_is_reported_with_the_questionnaire(tmp_path: Path) -> None:
    path, _source = main_file(tmp_path, "")
    (tmp_path / "uitkomst-v9.toml").write_text(CATALOG.replace("due_days = 0", "due_days = -1"))
    problems = problems_of(path)
    assert problems[0] == f"{path}:1: the catalog 'uitkomst-v9' does not load:"
    assert "[admission]: 'due_days' must be a whole number of 0 or more" in problems[1]


# -- from -------------------------------------------------------------------------------------


def test_from_with_other_keys_of_an_included_question_of_an_unknown_id_and_file(
    tmp_path: Path,
) -> None:
    source_file = MAIN_HEADER + KIDS + q2("a") + '\n[[questions]]\nid = "b"\nfrom = "other-v2"\n'
    folder_with(tmp_path, main_v2=source_file)
    including = (
        MAIN_HEADER.replace('id = "main"', 'id = "next"')
        + KIDS
        + textwrap.dedent("""
    [[questions]]
    id = "a"
    from = "main-v2"
    text = { nl = "Anders", en = "Other" }

    [[questions]]
    id = "b"
    from = "main-v2"

    [[questions]]
    id = "c"
    from = "main-v2"

    [[questions]]
    id = "d"
    from = "elsewhere-v2"
    """)
    )
    path = tmp_path / "next-v2.toml"
    path.write_text(including, "utf-8")
    lines = {qid: line_of(including, qid) for qid in "abcd"}
    assert problems_of(path) == [
        f"{path}:{lines['a']} [a]: 'text' cannot stand next to 'from' (allowed: show_if, "
        "required, repeat)",
        f"{path}:{lines['b']} [b]: 'b' in 'main-v2' is itself taken from 'other-v2': take it "
        "from there",
        f"{path}:{lines['c']} [c]: 'main-v2' has no question 'c'",
        f"{path}:{lines['d']} [d]: 'from' names 'elsewhere-v2', which is not in this folder",
    ]


def test_from_may_not_restate_another_repeat_and_its_names_must_exist_here(
    tmp_path: Path,
) -> None:
    source_file = MAIN_HEADER + KIDS + q2("a", "show_if = 'with_children'\n")
    folder_with(tmp_path, main_v2=source_file)
    including = (
        textwrap.dedent("""\
    format = 2
    id = "next"
    version = 2
    catalog = "uitkomst-v9"
    title = { nl = "Volgend", en = "Next" }
    sources = ["test"]

    [[derived]]
    id = "with_children"
    condition = 'setting == "ggz"'
    """)
        + q2("n", qtype="number")
        + textwrap.dedent("""
    [[repeats]]
    id = "kids_group"
    count_from = "n"
    label = { nl = "Kind {n}", en = "Child {n}" }

    [[questions]]
    id = "kids"
    from = "main-v2"
    repeat = "kids_group"
    """)
    )
    path = tmp_path / "next-v2.toml"
    path.write_text(including, "utf-8")
    assert problems_of(path)[0] == (
        f"{path}:{line_of(including, 'kids')} [kids]: 'repeat' differs from the original's "
        "(None in 'main-v2')"
    )
    # The copied show_if names 'with_children': without it here, both files are named.
    without = including.replace('id = "with_children"', 'id = "children_here"')
    path.write_text(
        without.replace('repeat = "kids_group"\n', "").replace(
            'id = "kids"\nfrom', 'id = "a"\nfrom'
        )
    )
    problems = problems_of(path)
    assert any(
        "[a]: 'show_if' names unknown question 'with_children'" in p
        and "(in the question taken from 'main-v2')" in p
        for p in problems
    ), problems


# -- the problem scan -------------------------------------------------------------------------


def test_an_indicator_needs_a_known_scp_area(tmp_path: Path) -> None:
    source = (
        SCAN_HEADER
        + q2("debts", 'domain = "geld"\nproblem_answers = ["yes"]\n')
        + q2("rent", 'domain = "geld"\nproblem_answers = ["yes"]\nscp_area = "gelt"\n')
    )
    path = folder_with(tmp_path, scan_v2=source) / "scan-v2.toml"
    assert problems_of(path) == [
        f"{path}:{line_of(source, 'debts')} [debts]: an indicator needs 'scp_area': one of "
        '[outcome].scp_areas, or "none"',
        f"{path}:{line_of(source, 'rent')} [rent]: 'scp_area' 'gelt' is not one of geld, none "
        "(did you mean 'geld'?)",
    ]


def test_a_domain_needs_advice_items_not_one_text(tmp_path: Path) -> None:
    source = (
        SCAN_HEADER.replace(
            """
[[domains.advice]]
id = "help"
text = { nl = "Hulp", en = "Help" }
""",
            'advice = { nl = "Hulp", en = "Help" }\n',
        )
        + INDICATOR
    )
    path = folder_with(tmp_path, scan_v2=source) / "scan-v2.toml"
    line = source.splitlines().index("[[domains]]") + 1
    assert only_problem(path) == (
        f"{path}:{line} [geld]: a domain needs one or more [[domains.advice]] items (a single "
        "'advice' text is format 1)"
    )


def test_advice_conditions_stay_in_the_outcome_context(tmp_path: Path) -> None:
    source = (
        SCAN_HEADER.replace('id = "help"\n', 'id = "help"\nnot_if = \'debts == "yes"\'\n')
        + INDICATOR
    )
    path = folder_with(tmp_path, scan_v2=source) / "scan-v2.toml"
    line = source.splitlines().index("[[domains.advice]]") + 1
    assert only_problem(path).startswith(
        f"{path}:{line} [geld.help]: 'not_if' names 'debts', which is not in the outcome context"
    )


def test_same_as_needs_the_same_question_in_every_main_questionnaire(tmp_path: Path) -> None:
    main = (
        MAIN_HEADER + KIDS + q2("net", 'options = [{ id = "x", nl = "X", en = "X" }]\n', "choice")
    )
    scan = (
        SCAN_HEADER
        + INDICATOR
        + q2("net_scan", 'same_as = "net"\n')
        + q2("gone", 'same_as = "nowhere"\n')
    )
    folder = folder_with(tmp_path, main_v2=main, scan_v2=scan)
    path = folder / "scan-v2.toml"
    assert problems_of(path) == [
        f"{path}:{line_of(scan, 'net_scan')} [net_scan]: 'same_as' target 'net' in 'main-v2' is "
        "not the same kind of question (a choice question with other options or another type)",
        f"{path}:{line_of(scan, 'gone')} [gone]: 'same_as' names 'nowhere', which 'main-v2' does "
        "not have",
    ]


def test_compat_v1_lists_every_v1_indicator_exactly_once(tmp_path: Path) -> None:
    v1 = textwrap.dedent("""\
    format = 1
    id = "scan"
    version = 1
    title = { nl = "Scan", en = "Scan" }
    sources = ["test"]

    [[domains]]
    id = "geld"
    name = { nl = "Geld", en = "Money" }
    advice = { nl = "Hulp", en = "Help" }
    """)
    for qid in ("debts", "old_one", "symptom"):
        v1 += textwrap.dedent(f"""
        [[questions]]
        id = "{qid}"
        type = "yesno"
        text = {{ nl = "V", en = "Q" }}
        help = {{ nl = "W", en = "W" }}
        source = "test"
        domain = "geld"
        problem_answers = ["yes"]
        """)
    compat = textwrap.dedent("""
    [compat.v1]
    counts = ["debts", "old_one", "symptom"]
    dropped = ["symptom"]
    """)
    source = SCAN_HEADER.replace("[[domains]]", compat.lstrip() + "\n[[domains]]", 1) + INDICATOR
    path = folder_with(tmp_path, scan_v1=v1, scan_v2=source) / "scan-v2.toml"
    line = source.splitlines().index("[compat.v1]") + 1
    assert problems_of(path) == [
        f"{path}:{line} [compat.v1]: v1 indicator 'symptom' is in both 'counts' and 'dropped'",
        f"{path}:{line} [compat.v1]: no SCP area for v1 indicator 'old_one': it has no v2 "
        "successor with the same id, so name its area in [compat.v1].scp_area",
        f"{path}:{line} [compat.v1]: no SCP area for v1 indicator 'symptom': it has no v2 "
        "successor with the same id, so name its area in [compat.v1].scp_area",
    ]


def test_every_problem_of_a_format_2_file_is_reported_at_once(tmp_path: Path) -> None:
    path, _source = main_file(
        tmp_path,
        q2("a", 'concern_answers = ["yes"]\n')
        + q2("b", "events = true\n")
        + q2("c").replace("guidance", "guidanse"),
    )
    assert len(problems_of(path)) == 4


# -- the guide ---------------------------------------------------------------------------------


def test_an_afweging_names_a_known_decision() -> None:
    source = (questionnaire_dir() / "meldcode-v2.toml").read_text("utf-8")
    changed = source.replace('no_decision = "closed_no_suspicion"', 'no_decision = "closed"')
    with pytest.raises(QuestionnaireError) as raised:
        parse_guide(changed, "meldcode-v2.toml")
    line = changed.splitlines().index('id = "suspicion"')
    assert raised.value.problems == [
        f"meldcode-v2.toml:{line} [suspicion]: 'no_decision' names unknown decision 'closed'"
    ]


# -- the shipped content ----------------------------------------------------------------------


def test_shipped_files_are_the_questionnaires_only() -> None:
    assert [path.name for path in shipped_files()] == [
        "kindcheck-v1.toml",
        "kindcheck-v2.toml",
        "probleemscan-v1.toml",
        "probleemscan-v2.toml",
        "vervolggesprek-v1.toml",
        "vervolggesprek-v2.toml",
    ]


def test_new_sessions_get_version_2_and_stored_ones_their_own() -> None:
    assert {
        q: load_shipped(q).version for q in ("kindcheck", "probleemscan", "vervolggesprek")
    } == {
        "kindcheck": 2,
        "probleemscan": 2,
        "vervolggesprek": 2,
    }
    assert load_shipped("kindcheck", 1).format == 1
    assert load_guide(1).version == 1 and load_guide(2).version == 2


def test_the_follow_up_takes_kindcheck_questions_over_whole() -> None:
    followup, kindcheck = load_shipped("vervolggesprek", 2), load_shipped("kindcheck", 2)
    taken = [q for q in followup.questions if q.included_from]
    assert len(taken) == 27
    for question in taken:
        original = kindcheck.question(question.id)
        assert question.included_from == "kindcheck-v2"
        assert (question.text, question.signal, question.concern, question.open_item) == (
            original.text,
            original.signal,
            original.concern,
            original.open_item,
        )


def test_every_version_1_scan_indicator_has_one_place_in_compat() -> None:
    v1 = load_shipped("probleemscan", 1)
    compat = load_shipped("probleemscan", 2).compat_v1
    assert compat is not None
    v1_indicators = {q.id for q in v1.questions if q.domain}
    assert compat.counts | compat.dropped == v1_indicators
    assert not compat.counts & compat.dropped


def test_every_v2_text_read_aloud_and_every_guidance_has_both_languages() -> None:
    for key in ("kindcheck", "probleemscan", "vervolggesprek"):
        for question in load_shipped(key, 2).questions:
            assert question.guidance is not None
            for text in (question.help_client, question.guidance):
                assert text.nl.strip() and text.en.strip() and text.nl != text.en, question.id


def test_no_v2_help_text_read_aloud_uses_the_jargon_the_issue_names() -> None:
    """help_client is read to the client: no 'probleemscan', 'jeugdhulp', 'KOPP', no 'uw
    klachten', and nothing that minimises abuse."""
    banned = re.compile(r"probleemscan|jeugdhulp|KOPP|uw klachten|iedereen overkomen", re.I)
    for key in ("kindcheck", "probleemscan", "vervolggesprek"):
        for question in load_shipped(key, 2).questions:
            assert not banned.search(question.help_client.nl), question.id


def test_every_shipped_content_file_checks_by_its_kind() -> None:
    checked = {
        path.name: type(load_content_file(path)).__name__
        for path in sorted(questionnaire_dir().glob("*-v2.toml"))
    }
    assert checked == {
        "kindcheck-v2.toml": "Questionnaire",
        "meldcode-v2.toml": "MeldcodeGuideV2",
        "probleemscan-v2.toml": "Questionnaire",
        "uitkomst-v2.toml": "Catalog",
        "vervolggesprek-v2.toml": "Questionnaire",
    }
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(questionnaire_dir() / "uitkomst-v2.toml")
    assert raised.value.problems == [
        f"{questionnaire_dir() / 'uitkomst-v2.toml'}:1: this is a catalog file, not a "
        "questionnaire (load_content_file checks it)"
    ]
