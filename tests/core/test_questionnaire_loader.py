"""Loading questionnaire files: every kind of error reported, with file, question id and line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from kindcheck.errors import QuestionnaireError
from kindcheck.questionnaire import (
    LANGUAGES,
    load_questionnaire,
    load_shipped,
    parse_questionnaire,
    questionnaire_dir,
    shipped_files,
)

ROOT = Path(__file__).resolve().parents[2]

HEADER = """\
format = 1
id = "demo"
version = 1
title = { nl = "Demo", en = "Demo" }
sources = ["test"]
"""


def question(qid: str, extra: str = "", qtype: str = "yesno") -> str:
    return textwrap.dedent(f"""
    [[questions]]
    id = "{qid}"
    type = "{qtype}"
    text = {{ nl = "Vraag {qid}", en = "Question {qid}" }}
    help = {{ nl = "Waarom", en = "Why" }}
    source = "test"
    """) + textwrap.dedent(extra)


def problems_of(source: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as raised:
        parse_questionnaire(source, "demo-v1.toml")
    return raised.value.problems


def only_problem(source: str) -> str:
    problems = problems_of(source)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_valid_file_loads() -> None:
    questionnaire = parse_questionnaire(
        HEADER + question("a") + question("b", "show_if = 'a == \"yes\"'")
    )
    assert [q.id for q in questionnaire.questions] == ["a", "b"]
    assert questionnaire.question("b").show_if_source == 'a == "yes"'


def test_unknown_type_names_file_question_and_line() -> None:
    source = HEADER + question("a") + question("b", qtype="slider")
    problem = only_problem(source)
    line = source.splitlines().index("[[questions]]", 7) + 1
    assert problem.startswith(f"demo-v1.toml:{line} [b]: unknown type 'slider'")


def test_duplicate_id() -> None:
    problem = only_problem(HEADER + question("a") + question("a"))
    assert "[a]: duplicate question id (first defined at line 7)" in problem


def test_show_if_naming_an_unknown_question_suggests_the_close_one() -> None:
    problem = only_problem(
        HEADER + question("answer_one") + question("b", "show_if = 'answer_on == \"yes\"'")
    )
    assert (
        "[b]: 'show_if' names unknown question 'answer_on' (did you mean 'answer_one'?)" in problem
    )


def test_show_if_naming_a_later_question() -> None:
    problem = only_problem(HEADER + question("a", "show_if = 'b == \"yes\"'") + question("b"))
    assert "[a]: 'show_if' names 'b', which comes later" in problem


def test_show_if_that_cannot_be_parsed() -> None:
    problem = only_problem(HEADER + question("a") + question("b", "show_if = 'a == '"))
    assert "[b]: 'show_if' cannot be read: expected a name" in problem


def test_missing_english_text() -> None:
    source = HEADER + question("a").replace('en = "Question a"', 'en = ""')
    assert "[a]: missing English text for 'text' ('text.en')" in only_problem(source)


def test_missing_help_and_source() -> None:
    source = HEADER + question("a").replace('source = "test"\n', "").replace(
        'help = { nl = "Waarom", en = "Why" }\n', ""
    )
    problems = problems_of(source)
    assert any("'help' must be a table" in p for p in problems)
    assert any("'source' must say what the question rests on" in p for p in problems)


def test_domain_without_indicators() -> None:
    source = (
        HEADER
        + textwrap.dedent("""
    [[domains]]
    id = "wonen"
    name = { nl = "Wonen", en = "Housing" }
    advice = { nl = "Advies", en = "Advice" }
    """)
        + question("a")
    )
    problem = only_problem(source)
    assert problem.startswith("demo-v1.toml:7 [wonen]: domain has no indicator questions")


def test_indicator_of_unknown_domain_and_without_problem_answers() -> None:
    problems = problems_of(HEADER + question("a", 'domain = "geld"\n'))
    assert any("unknown domain 'geld'" in p for p in problems)
    assert any("needs 'problem_answers'" in p for p in problems)


def test_problem_answer_that_is_not_an_answer() -> None:
    source = (
        HEADER
        + textwrap.dedent("""
    [[domains]]
    id = "wonen"
    name = { nl = "Wonen", en = "Housing" }
    advice = { nl = "Advies", en = "Advice" }
    """)
        + question("a", 'domain = "wonen"\nproblem_answers = ["ja"]\n')
    )
    assert "'problem_answers' names 'ja', which is not an answer" in only_problem(source)


def test_signal_question_needs_a_known_signal() -> None:
    problems = problems_of(HEADER + question("a", 'signal = "weapon"\nsignal_answers = ["yes"]\n'))
    assert any("unknown signal 'weapon'" in p for p in problems)


def test_choice_without_options_and_duplicate_options() -> None:
    problems = problems_of(
        HEADER
        + question("a", qtype="choice")
        + question(
            "b",
            'options = [{ id = "x", nl = "X", en = "X" }, { id = "x", nl = "Y", en = "Y" }]\n',
            qtype="choice",
        )
    )
    assert any("[a]: a choice question needs 'options'" in p for p in problems)
    assert any("[b]: duplicate option id 'x'" in p for p in problems)


def test_option_missing_a_language() -> None:
    problem = only_problem(
        HEADER + question("a", 'options = [{ id = "x", nl = "X" }]\n', qtype="choice")
    )
    assert "missing English text for 'option x'" in problem


def test_unknown_key_with_a_hint() -> None:
    problem = only_problem(HEADER + question("a", "requird = true\n"))
    assert "unknown key 'requird' (did you mean 'required'?)" in problem


def test_number_bounds_reversed() -> None:
    problem = only_problem(HEADER + question("a", "min = 5\nmax = 1\n", qtype="number"))
    assert "'min' is larger than 'max'" in problem


def test_repeat_group_rules() -> None:
    source = (
        HEADER
        + textwrap.dedent("""
    [[repeats]]
    id = "children"
    count_from = "a"
    label = { nl = "Kind {n}", en = "Child {n}" }
    """)
        + question("a")
        + question("b", 'repeat = "children"\n')
        + question("c")
        + question("d", 'repeat = "children"\n')
    )
    problems = problems_of(source)
    assert any("must stand together" in p for p in problems)
    assert any("'count_from' must name a number question" in p for p in problems)


def test_condition_may_not_look_into_a_repeat_group_from_outside() -> None:
    source = (
        HEADER
        + textwrap.dedent("""
    [[repeats]]
    id = "kids"
    count_from = "n"
    label = { nl = "Kind {n}", en = "Child {n}" }
    """)
        + question("n", qtype="number")
        + question("age", 'repeat = "kids"\n', qtype="number")
        + question("after", "show_if = 'age > 3'")
    )
    assert "which is asked per item of repeat group 'kids'" in only_problem(source)


def test_every_problem_is_reported_at_once() -> None:
    source = (
        HEADER
        + question("a", qtype="slider")
        + question("a")
        + question("c", "show_if = 'zzz == 1'")
    )
    assert len(problems_of(source)) == 3


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    assert only_problem("id = ").startswith("demo-v1.toml: not valid TOML")
    with pytest.raises(QuestionnaireError, match="file not found"):
        load_questionnaire(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('id = "caf\xe9"'.encode("latin-1"))
    with pytest.raises(QuestionnaireError, match="not a UTF-8 text file"):
        load_questionnaire(bad)


def test_wrong_header_fields() -> None:
    problems = problems_of('format = 3\nid = "Demo!"\nversion = 0\ntitle = "x"\n' + question("a"))
    assert any("'format' must be 1 or 2" in p for p in problems)
    assert any("'id' must be a lower-case identifier" in p for p in problems)
    assert any("'version' must be a whole number" in p for p in problems)
    assert any("'title' must be a table" in p for p in problems)


# -- the shipped questionnaires ----------------------------------------------------------------


def test_three_questionnaires_are_shipped() -> None:
    names = {path.name for path in shipped_files()}
    assert {"kindcheck-v1.toml", "probleemscan-v1.toml", "vervolggesprek-v1.toml"} <= names


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_every_shipped_question_and_option_has_dutch_and_english(path: Path) -> None:
    questionnaire = load_questionnaire(path)
    assert questionnaire.sources
    for item in questionnaire.questions:
        for lang in LANGUAGES:
            assert item.text.get(lang).strip(), (item.id, lang)
            assert item.help.get(lang).strip(), (item.id, lang)
            for option in item.options:
                assert option.text.get(lang).strip(), (item.id, option.id, lang)
        assert item.text.nl != item.text.en, item.id
        assert item.source


@pytest.mark.parametrize(("version", "fewest"), [(1, 2), (2, 1)])
def test_problem_scan_holds_the_eleven_domains_of_domain_md(version: int, fewest: int) -> None:
    """Version 2 keeps the eleven domains; it dropped symptoms as indicators, which leaves
    'huishouden' with one (docs/CLINICAL.md, "Counting")."""
    scan = load_shipped("probleemscan", version)
    assert [d.id for d in scan.domains] == [
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
    ]
    assert scan.stacking_threshold == 3
    for domain in scan.domains:
        indicators = [q for q in scan.questions if q.domain == domain.id]
        assert fewest <= len(indicators) <= 4, domain.id


def test_source_checkout_dir_is_the_repository_folder() -> None:
    assert questionnaire_dir().resolve() == (ROOT / "questionnaires").resolve()


def test_questionnaires_are_found_from_an_installed_wheel(tmp_path: Path) -> None:
    # Built from a clean copy: setuptools leaves build/ in the source tree, and a build/ from
    # an earlier layout would carry modules that no longer exist into the wheel.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(wheel_dir.glob("kindcheck-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "kindcheck/questionnaires/kindcheck-v1.toml" in names
    assert "kindcheck/screens/__init__.py" in names
    assert not any(name.startswith("screens/") for name in names)
    # pyproject lists the packages by hand (screens/ is mapped into kindcheck): every package
    # of the source tree must be in the wheel.
    packages = {
        "kindcheck/" + str(init.parent.relative_to(ROOT / "kindcheck")).replace("\\", "/")
        for init in (ROOT / "kindcheck").rglob("__init__.py")
    } | {
        "kindcheck/screens/" + str(init.parent.relative_to(ROOT / "screens")).replace("\\", "/")
        for init in (ROOT / "screens").rglob("__init__.py")
    }
    missing = sorted(
        package for package in packages if f"{package.removesuffix('/.')}/__init__.py" not in names
    )
    assert missing == []
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    script = (
        "import kindcheck.questionnaire as q, kindcheck.outcome as o, sys;"
        "print(q.questionnaire_dir());"
        "print(len(q.load_shipped('probleemscan').domains));"
        "print(o.meldcode_guide().phone)"
    )
    # -S skips site-packages' .pth files, so the editable install of this checkout cannot
    # answer; the dependencies still come from site-packages, placed after the wheel.
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            "import sys; sys.path[:0] = sys.argv[1:3];" + script,
            str(target),
            site_packages,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(str(target)), lines
    assert lines[1:] == ["11", "0800-2000"]
