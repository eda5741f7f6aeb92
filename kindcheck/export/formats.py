"""The files an export writes: CSV and JSON (with its JSON Schema), and the notice in both."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

from kindcheck import __version__
from kindcheck.errors import ExportError

from .facts import setting_of, split_key
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


# ---------------------------------------------------------------------------------------------
# Files rendered from the release ledger (schema 2)

RELEASE_SCHEMA_VERSION: Final = 2
FILE_PERIOD_TYPES: Final = ("month", "quarter", "year")

NOTICE_V2: Final = {
    "nl": (
        'Aantallen van 1 tot en met {small} staan als "<{threshold}"; een "x" is weggelaten '
        "zodat zo'n klein aantal niet terug te rekenen is uit dit bestand, of uit enig ander "
        "bestand dat Kindcheck voor deze kluis of dit team maakte. Een periode is de maand "
        "(het kwartaal, het jaar) waarin sessies zijn vastgelegd; ze wordt eenmaal "
        "vrijgegeven, 7 dagen na afloop, en verandert daarna niet meer. Niet beschermd: een "
        'getoonde 0 zegt "niemand", een aantal gelijk aan zijn noemer zegt "iedereen", en '
        "wat een lezer buiten deze bestanden al weet. Daardoor kloppen optellingen niet altijd."
    ),
    "en": (
        'Counts from 1 to {small} are shown as "<{threshold}"; an "x" is left out so that '
        "such a small count cannot be worked out from this file, or from any other file "
        "Kindcheck made for this vault or team. A period is the month (quarter, year) in "
        "which sessions were recorded; it is released once, 7 days after it ends, and never "
        'changes afterwards. Not protected: a shown 0 says "nobody", a count equal to its '
        'denominator says "everybody", and what a reader knows from outside these files. '
        "Because of this, cells may not add up."
    ),
}

SHARES: Final = {
    # share key -> (numerator, denominator), computed from shown counts only, written after
    # the numerator; "x" when either is hidden, empty (null) when the denominator is 0
    "kindcheck_completed_share": ("kindchecks_completed", "intakes"),
    "parents_of_minors_3plus_share": (
        "parents_of_minors_by_domain_count:3+",
        "parents_of_minors_by_domain_count:total",
    ),
    "followups_due_held_share": ("followups_due:held_in_window", "followups_due:total"),
}


SPLIT_NOTICE: Final = {
    "nl": (
        " Per kwartaal en jaar staan enkele aantallen ook per setting (ggz, sociaal_domein; "
        '"all" is beide samen): de delen tellen op tot het geheel, en ook die cellen zijn '
        "samen met alle andere beschermd."
    ),
    "en": (
        " Per quarter and year some counts are also shown per setting (ggz, sociaal_domein; "
        '"all" is both together): the parts add up to the whole, and these cells too are '
        "protected together with all others."
    ),
}
SETTING_ALL: Final = "all"  # the setting column of a cell over both settings


def notice_v2(threshold: int, split: bool = False) -> dict[str, str]:
    """The notice of a released file; ``split``: it holds the split by setting (a file
    without it reads as before the split came, byte for byte)."""
    return {
        lang: text.format(small=threshold - 1, threshold=threshold)
        + (SPLIT_NOTICE[lang] if split else "")
        for lang, text in NOTICE_V2.items()
    }


def _share(cells: Mapping[str, Any], numerator: str, denominator: str) -> float | str | None:
    top, bottom = cells.get(numerator), cells.get(denominator)
    if not isinstance(top, int) or not isinstance(bottom, int):
        return SECONDARY_MARK
    return round(min(top / bottom, 1.0), 3) if bottom else None


def _with_shares(cells: Mapping[str, Any]) -> list[tuple[str, Any]]:
    from .release import display_order

    out: list[tuple[str, Any]] = []
    for key in sorted(cells, key=display_order):
        out.append((key, cells[key]))
        setting, whole = setting_of(key)
        prefix = "" if setting is None else split_key(setting, "")
        for share, (numerator, denominator) in SHARES.items():
            numerator, denominator = prefix + numerator, prefix + denominator
            if (
                whole == _after(numerator, denominator)[len(prefix) :]
                and numerator in cells
                and denominator in cells
            ):
                out.append((prefix + share, _share(cells, numerator, denominator)))
    return out


def _is_split(file: ReleasedFile) -> bool:
    return any(setting_of(key)[0] is not None for _row, cells in file.rows for key, _v in cells)


def _after(numerator: str, denominator: str) -> str:
    """The cell a share is written after: its numerator, or the band total after the bands."""
    return denominator if denominator.endswith(":total") else numerator


@dataclass(frozen=True)
class ReleasedFile:
    """What a file of one period type holds: rows from the ledger's releases, as released."""

    period_type: str
    rows: list[tuple[str, list[tuple[str, Any]]]]
    threshold: int
    releases: list[Any]  # kindcheck.export.release.Release, in ledger order

    @property
    def newest(self) -> Any:
        return self.releases[-1] if self.releases else None


def released_file(ledger: Any, period_type: str) -> ReleasedFile:
    """The rows of ``period_type`` in ``ledger`` (kindcheck.export.release.Ledger)."""
    from .release import period_type_of

    if period_type not in FILE_PERIOD_TYPES:
        raise ExportError("the period must be 'month', 'quarter' or 'year'")
    rows: list[tuple[str, list[tuple[str, Any]]]] = []
    used: list[Any] = []
    for release in ledger.releases:
        chosen = [row for row in release.rows if period_type_of(row) == period_type]
        if chosen:
            used.append(release)
        rows.extend((row, _with_shares(release.rows[row])) for row in chosen)
    rows.sort(key=lambda item: item[0])
    threshold = min((r.threshold for r in used), default=ledger.threshold or 5)
    return ReleasedFile(period_type, rows, threshold, used)


def _questionnaires_of(file: ReleasedFile) -> dict[str, list[int]]:
    merged: dict[str, set[int]] = {}
    for release in file.releases:
        for qid, versions in release.questionnaires.items():
            merged.setdefault(qid, set()).update(versions)
    return {qid: sorted(v) for qid, v in sorted(merged.items())}


def _header(file: ReleasedFile) -> dict[str, Any]:
    newest = file.newest
    return {
        "tool_version": newest.tool_version if newest else __version__,
        "released_at": newest.made_at if newest else None,
        "release": newest.id if newest else None,
        "release_hash": newest.hash if newest else None,
        "releases": len(file.releases),
    }


def release_to_json(file: ReleasedFile, scope: str = "vault") -> dict[str, Any]:
    out_rows: list[dict[str, Any]] = []
    for row, cells in file.rows:
        out: dict[str, Any] = {"period": row}
        for key, value in cells:
            setting, whole = setting_of(key)
            target = (
                out if setting is None else out.setdefault("settings", {}).setdefault(setting, {})
            )
            measure, _, category = whole.partition(":")
            if category:
                target.setdefault(measure, {})[category] = value
            else:
                target[measure] = value
        out_rows.append(out)
    header = _header(file)
    return {
        "format": EXPORT_FORMAT,
        "schema_version": RELEASE_SCHEMA_VERSION,
        "tool_version": header["tool_version"],
        "scope": scope,
        "released_at": header["released_at"],
        "release": header["release"],
        "release_hash": header["release_hash"],
        "releases": header["releases"],
        "questionnaires": _questionnaires_of(file),
        "period_type": file.period_type,
        "periods": [row for row, _cells in file.rows],
        "threshold": file.threshold,
        "rounding": None,
        "markers": {
            f"<{file.threshold}": f"a count from 1 to {file.threshold - 1}",
            SECONDARY_MARK: "a count of 1 or more, hidden to protect a small count",
        },
        "notice": notice_v2(file.threshold, _is_split(file)),
        "rows": out_rows,
    }


def release_to_csv(file: ReleasedFile, delimiter: str = ",", scope: str = "vault") -> str:
    """CSV of a released file; with ';' (Excel with Dutch settings) decimals use a comma."""
    if delimiter not in CSV_DELIMITERS:
        raise ExportError("the CSV delimiter must be ',' or ';'")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def shown(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return str(value).replace(".", ",") if delimiter == ";" else str(value)
        return str(value)

    def write(*cells: object) -> None:
        writer.writerow([safe_cell(shown(c)) for c in cells])

    header = _header(file)
    versions = (
        "; ".join(f"{q} v{','.join(map(str, v))}" for q, v in _questionnaires_of(file).items())
        or "-"
    )
    split = _is_split(file)
    texts = notice_v2(file.threshold, split)
    periods = [row for row, _cells in file.rows]
    for line in (
        f"# {EXPORT_FORMAT}; schema {RELEASE_SCHEMA_VERSION}; Kindcheck {header['tool_version']}",
        f"# scope: {scope}",
        f"# release: {header['release'] or '-'}",
        f"# release_hash: {header['release_hash'] or '-'}",
        f"# released_at: {header['released_at'] or '-'}",
        f"# releases: {header['releases']}",
        f"# questionnaires: {versions}",
        f"# period_type: {file.period_type}",
        f"# periods: {' '.join(periods) or '-'}",
        f"# threshold: {file.threshold}",
        "# rounding: none",
        f"# nl: {texts['nl']}",
        f"# en: {texts['en']}",
    ):
        write(line)
    if not split:  # as before the split by setting came: a re-export is the same file
        write("period", "measure", "category", "value")
        for row, cells in file.rows:
            for key, value in cells:
                measure, _, category = key.partition(":")
                write(row, measure, category, value)
        return buffer.getvalue()
    write("period", "setting", "measure", "category", "value")
    for row, cells in file.rows:
        for key, value in cells:
            setting, whole = setting_of(key)
            measure, _, category = whole.partition(":")
            write(row, setting or SETTING_ALL, measure, category, value)
    return buffer.getvalue()


def render_release(
    ledger: Any, period_type: str, file_format: str, delimiter: str = ",", scope: str = "vault"
) -> bytes:
    """The bytes of a file of ``period_type`` rows: a pure function of the ledger."""
    file = released_file(ledger, period_type)
    if file_format == "json":
        document = release_to_json(file, scope)
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return release_to_csv(file, delimiter, scope).encode("utf-8")


@cache
def release_schema() -> dict[str, Any]:
    """The JSON Schema of the files written from the release ledger (export_schema_v2.json)."""
    text = resources.files("kindcheck.export").joinpath("export_schema_v2.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
