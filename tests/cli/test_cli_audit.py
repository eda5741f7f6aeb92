"""`kindcheck audit FILE...`: a team lead checks that a set of export files keeps small counts
hidden together (the same exact audit the export runs; issue 14)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from kindcheck import cli

HEADER = "# kindcheck-export; schema 2\r\n# threshold: 5\r\nperiod,measure,category,value\r\n"


def run(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, str, str]:
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
    code = cli.main(["audit", "--lang", "en", *(str(p) for p in paths)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_issue_example_is_found_and_a_protected_pair_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Months "<5", 5, "<5" and their quarter 7: October and December are both 1."""
    key = "intakes_per_domain,justitie"
    months = tmp_path / "month.csv"
    months.write_text(
        HEADER + f"2025-10,{key},<5\r\n2025-11,{key},5\r\n2025-12,{key},<5\r\n", "utf-8"
    )
    quarter = tmp_path / "quarter.csv"
    quarter.write_text(HEADER + f"2025-Q4,{key},7\r\n", "utf-8")
    code, out, err = run(capsys, months)
    assert code == 0 and "keeps its promise" in out
    code, out, err = run(capsys, months, quarter)
    assert code == 1
    assert "2025-10 intakes_per_domain:justitie" in err and "2025-12" in err
    hidden = tmp_path / "hidden-quarter.csv"
    hidden.write_text(HEADER + f"2025-Q4,{key},x\r\n", "utf-8")
    code, out, err = run(capsys, months, hidden)
    assert code == 0, err


def test_files_of_different_vaults_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text(HEADER + "2025-10,intakes,,12\r\n", "utf-8")
    two.write_text(HEADER + "2025-10,intakes,,13\r\n", "utf-8")
    code, _out, err = run(capsys, one, two)
    assert code == 1 and "not of one vault or team" in err
