"""The files an export writes: CSV and JSON (with its JSON Schema), and the notice in both."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from importlib import resources
from typing import Any, Final

from kindcheck import __version__
from kindcheck.errors import ExportError

from .suppression import ROUNDING_BASE, SECONDARY_MARK, Table

EXPORT_FORMAT: Final = "kindcheck-export"

NOTICE: Final = {
    "nl": (
        'Aantallen van 1 tot en met {small} staan als "<{threshold}"; een "x" is '
        "weggelaten zodat zo'n klein aantal niet uit de andere cellen terug te rekenen is."
        "{rounded} Daardoor kloppen optellingen en totalen niet altijd."
    ),
    "en": (
        'Counts from 1 to {small} are shown as "<{threshold}"; an "x" is left out so '
        "that such a small count cannot be worked out from the other cells.{rounded} "
        "Because of this, cells and totals may not add up."
    ),
}
ROUNDED_NOTE: Final = {
    "nl": " De overige aantallen zijn afgerond op 5.",
    "en": " The other counts are rounded to the nearest 5.",
}


def notice(threshold: int, rounding: bool) -> dict[str, str]:
    """The 'totals may not add up' line, in Dutch and English."""
    return {
        lang: text.format(
            small=threshold - 1, threshold=threshold, rounded=ROUNDED_NOTE[lang] if rounding else ""
        )
        for lang, text in NOTICE.items()
    }


def to_json(table: Table) -> dict[str, Any]:
    """The export as a JSON-ready dict; validates against export_schema.json."""
    out_rows: list[dict[str, Any]] = []
    for row in table.rows:
        out: dict[str, Any] = {"period": row}
        for key in table.keys:
            measure, _, category = key.partition(":")
            if category:
                out.setdefault(measure, {})[category] = table.values[(row, key)]
            else:
                out[measure] = table.values[(row, key)]
        out_rows.append(out)
    return {
        "format": EXPORT_FORMAT,
        "schema_version": table.schema_version,
        "tool_version": __version__,
        "questionnaires": {qid: list(v) for qid, v in table.questionnaires.items()},
        "period_type": table.period_type,
        "threshold": table.threshold,
        "rounding": ROUNDING_BASE if table.rounding else None,
        "markers": {
            table.primary_mark: f"a count from 1 to {table.threshold - 1}",
            SECONDARY_MARK: "a count of 1 or more, hidden to protect a small count",
        },
        "notice": notice(table.threshold, table.rounding),
        "rows": out_rows,
    }


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_DELIMITERS: Final = (",", ";")


def to_csv(table: Table, delimiter: str = ",") -> str:
    """The export as CSV: '#' header lines, then period,measure,category,value rows.

    ``delimiter`` ";" suits Excel with Dutch regional settings, which reads "," as the decimal
    separator and puts a comma-separated file in one column.
    """
    if delimiter not in CSV_DELIMITERS:
        raise ExportError("the CSV delimiter must be ',' or ';'")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def write(*cells: object) -> None:
        writer.writerow([safe_cell("" if c is None else str(c)) for c in cells])

    versions = (
        "; ".join(f"{qid} v{','.join(map(str, v))}" for qid, v in table.questionnaires.items())
        or "-"
    )
    texts = notice(table.threshold, table.rounding)
    for line in (
        f"# {EXPORT_FORMAT}; schema {table.schema_version}; Kindcheck {__version__}",
        f"# questionnaires: {versions}",
        f"# period_type: {table.period_type}",
        f"# threshold: {table.threshold}",
        f"# rounding: {'nearest ' + str(ROUNDING_BASE) if table.rounding else 'none'}",
        f"# nl: {texts['nl']}",
        f"# en: {texts['en']}",
    ):
        write(line)
    write("period", "measure", "category", "value")
    for row in table.rows:
        for key in table.keys:
            measure, _, category = key.partition(":")
            write(row, measure, category, table.values[(row, key)])
    return buffer.getvalue()


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of `to_json` output (kindcheck/export/export_schema.json)."""
    text = resources.files("kindcheck.export").joinpath("export_schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
