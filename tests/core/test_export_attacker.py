"""The attacker of issue 14: every file the tool writes, combined, must keep small counts hidden.

A team lead makes many files: a month and a quarter export, thresholds 3, 5 and 10, rounded or
not, CSV or JSON, every month a new one, team merges of different laptops, and exports again
after a forgotten session is added. This module builds vaults with known truth through the
public API (`support.population`), makes those files with the real command line (`kindcheck
export`, `team-key`, `merge`), reads them back from disk and, for every hidden cell ("<N" or
"x"), solves its exact integer bounds over all files together (`support.disclosure`, HiGHS).

A test fails when a combination of files leaves a hidden small count fewer possible values
than its marker promises ("<5": 1..4, four values), or pins any hidden cell to one value (an
"x" hiding a count of 40 may be narrowed, but not worked out), printing how many cells were
recovered and examples. The solver
is checked against the truth on every run: the true counts satisfy every constraint it uses,
and every true value lies inside its bounds.

The CI variant keeps to one laptop's year (about 600 sessions) plus two small laptops, built
once per module; `pytest -m soak` runs a bigger caseload over every file variant.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import pytest
from support import disclosure
from support.disclosure import Attack, Release, Target
from support.population import Population, clock, plan_population, record_visits
from support.vault import PASSPHRASE

from kindcheck import cli, export
from kindcheck.followup import AMSTERDAM
from kindcheck.store import Store

pytestmark = pytest.mark.xdist_group("export_attacker")

YEAR = ("2025-01-01", "2025-12-31")
MONTHS = disclosure.month_range("2025-01", "2025-12")  # when the sessions were held
# Exports are made once a period has closed, follow-up window included: November's on 10
# December, the year's on 10 January. A file may have a row for the month it was made in
# (an overdue plan), so each export's data runs to its own month.
NOVEMBER_EXPORT = datetime(2025, 12, 10, 9, 0, tzinfo=AMSTERDAM)
YEAR_EXPORT = datetime(2026, 1, 10, 9, 0, tzinfo=AMSTERDAM)
AFTER_BACKDATING = datetime(2026, 1, 10, 15, 0, tzinfo=AMSTERDAM)
TO_NOVEMBER_EXPORT = disclosure.month_range("2025-01", "2025-12")
TO_YEAR_EXPORT = disclosure.month_range("2025-01", "2026-01")
BACKDATED_DAY = date(2025, 8, 14)
THRESHOLD = 5  # the vault's threshold; the others are what a lead may also try


# ---------------------------------------------------------------------------------------------
# Driving the real command line


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode()))
    try:
        yield
    finally:
        sys.stdin = saved


def run_cli(when: datetime, *argv: str | Path, stdin: str = f"{PASSPHRASE}\n") -> tuple[int, str]:
    """``kindcheck *argv`` in-process at ``when``; (exit code, stderr)."""
    err = io.StringIO()
    with (
        clock(when),
        _stdin(stdin),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(err),
    ):
        code = cli.main([str(arg) for arg in argv])
    return code, err.getvalue()


@dataclass(frozen=True)
class Variant:
    period: str = "month"
    threshold: int = THRESHOLD
    rounding: bool = False
    file_format: str = "csv"
    delimiter: str = ","

    @property
    def label(self) -> str:
        rounding = "+round" if self.rounding else ""
        delimiter = ";" if self.delimiter == ";" else ""
        return f"{self.period} t{self.threshold}{rounding} {self.file_format}{delimiter}"

    def options(self) -> list[str]:
        extra = ["--round"] if self.rounding else []
        if self.file_format == "csv":
            extra += ["--delimiter", self.delimiter]
        return [
            "--period",
            self.period,
            "--min-cell",
            str(self.threshold),
            "--format",
            self.file_format,
            *extra,
        ]


def every_variant() -> list[Variant]:
    """The 12 kinds of table (period x threshold 5/3/10 x rounding), in CSV (with ',' or ';')
    and JSON by turns, plus the month table at 5 in all three formats. The vault's own threshold
    comes first and a raised one last: a tool that fixes the threshold per vault may refuse
    the lower one and, once raised, the earlier one."""
    return [
        Variant("month", 5, False, "csv"),
        Variant("month", 5, False, "json"),
        Variant("month", 5, False, "csv", ";"),
        Variant("quarter", 5, False, "csv"),
        Variant("month", 5, True, "csv", ";"),
        Variant("quarter", 5, True, "json"),
        Variant("month", 3, False, "csv", ";"),
        Variant("quarter", 3, False, "json"),
        Variant("month", 3, True, "json"),
        Variant("quarter", 3, True, "csv", ";"),
        Variant("month", 10, False, "json"),
        Variant("quarter", 10, False, "csv"),
        Variant("month", 10, True, "csv"),
        Variant("quarter", 10, True, "json"),
    ]


def ci_variants() -> list[Variant]:
    """The default run's files: every format of the vault's own threshold, and one of each
    kind the tool refuses (rounded, a lower threshold, a higher one without --raise-min-cell),
    which cost an unlock each and leave nothing to attack. The soak run makes them all."""
    return [
        Variant("month", 5, False, "csv"),
        Variant("month", 5, False, "json"),
        Variant("month", 5, False, "csv", ";"),
        Variant("quarter", 5, False, "csv"),
        Variant("quarter", 5, False, "json"),
        Variant("month", 5, True, "csv", ";"),
        Variant("month", 3, False, "csv", ";"),
        Variant("quarter", 10, False, "csv"),
    ]


@dataclass
class Released:
    """Every file made, read back from disk, with the true counts behind them."""

    folder: Path
    files: dict[str, Release] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    truth: dict[str, export.Counts] = field(default_factory=dict)  # source -> month counts
    sessions: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, path: Path, code: int, err: str) -> None:
        if code == 0:
            self.files[label] = disclosure.read_release(path)
            self.paths[label] = path
            self.refused.pop(label, None)
        else:  # a refusal is fine (a lower threshold, say): that file never exists
            assert err.strip(), f"{label}: exit {code} without a message"
            self.refused[label] = err.strip()

    def need(self, *labels: str) -> list[Release]:
        missing = [label for label in labels if label not in self.files]
        assert not missing, f"files the tool must be able to make were refused: {missing}"
        return [self.files[label] for label in labels]


def export_file(
    released: Released, label: str, vault: Path, when: datetime, variant: Variant
) -> None:
    suffix = "json" if variant.file_format == "json" else "csv"
    name = f"{label}-t{variant.threshold}".replace(" ", "_").replace(";", "sc")
    path = released.folder / f"{name}.{suffix}"
    code, err = run_cli(
        when,
        "export",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        *variant.options(),
        "-o",
        path,
    )
    released.add(label, path, code, err)


def truth_of(store: Store, when: datetime) -> export.Counts:
    """The exact, unsuppressed month counts the export starts from, at ``when``: by recorded
    date, a month frozen in the vault's release ledger as frozen (the export's own pipeline)."""
    with clock(when):
        from kindcheck.service.reports import month_counts

        counts: export.Counts = month_counts(store)
        return counts


def build_laptop(folder: Path, population: Population, until: date) -> Store:
    with clock(date(2024, 12, 20)):
        store, _recovery = Store.create(folder, PASSPHRASE, "t.tester")
    with store.batch():
        record_visits(store, [v for v in population.visits if v.day <= until])
    return store


def make_everything(
    root: Path, clients: int, small_laptops: int, variants: list[Variant]
) -> Released:
    """Laptop A (the caseload the monthly exports come from) and laptops B, C.. for the team."""
    released = Released(root / "files")
    released.folder.mkdir()
    first, last = (date.fromisoformat(day) for day in YEAR)
    vault_a = root / "laptop-a"
    population = plan_population(14, clients, first, last, prefix="EPD-A")

    # The monthly cycle: November's export on 10 December ...
    with build_laptop(vault_a, population, date(2025, 11, 30)) as store:
        released.truth["A@11"] = truth_of(store, NOVEMBER_EXPORT)
    export_file(released, "A@11 month", vault_a, NOVEMBER_EXPORT, Variant())

    # ... then December's sessions, and every kind of file on 10 January.
    with Store.unlock(vault_a, PASSPHRASE) as store:
        with store.batch():
            record_visits(store, [v for v in population.visits if v.day > date(2025, 11, 30)])
        released.truth["A@12"] = truth_of(store, YEAR_EXPORT)
    released.sessions["A"] = len(population.sessions())
    for variant in variants:
        export_file(released, f"A@12 {variant.label}", vault_a, YEAR_EXPORT, variant)

    # The team: every laptop makes a team file; the lead merges several subsets.
    keys = root / "keys"
    keys.mkdir()
    code, err = run_cli(
        YEAR_EXPORT,
        "team-key",
        "--passphrase-stdin",
        "-o",
        keys,
        stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n",  # the team key's passphrase, asked twice
    )
    assert code == 0, err
    laptops = {"A": vault_a}
    for number in range(small_laptops):
        name = "BCDEFG"[number]
        laptops[name] = root / f"laptop-{name.lower()}"
        team_population = plan_population(20 + number, clients // 3, first, last, f"EPD-{name}")
        with build_laptop(laptops[name], team_population, last) as store:
            released.truth[f"{name}@12"] = truth_of(store, YEAR_EXPORT)
        released.sessions[name] = len(team_population.sessions())
    team_files: dict[tuple[str, str], Path] = {}
    for name, vault in laptops.items():
        for period in ("month", "quarter"):
            path = released.folder / f"team-{name}-{period}.kteam"
            code, err = run_cli(
                YEAR_EXPORT,
                "export",
                "--data-dir",
                vault,
                "--passphrase-stdin",
                "--period",
                period,
                "--team-key",
                keys / "team-public.pem",
                "-o",
                path,
            )
            assert code == 0, err
            team_files[(name, period)] = path
    names = list(laptops)
    subsets = [names, names[1:], *([[names[0], other] for other in names[1:]])]
    for subset in subsets:
        for period in ("month", "quarter") if subset == names else ("month",):
            label = f"merge {'+'.join(subset)} {period}"
            path = released.folder / f"{label.replace(' ', '_')}.csv"
            code, err = run_cli(
                YEAR_EXPORT,
                "merge",
                *(team_files[(name, period)] for name in subset),
                "--key",
                keys / "team-private.pem",
                "--passphrase-stdin",  # the team key's passphrase
                "--period",
                period,
                "--min-cell",
                str(THRESHOLD),
                "-o",
                path,
            )
            released.add(label, path, code, err)

    # A forgotten intake from August is added on 10 January, and the year exported again.
    backdated = next(
        v
        for v in plan_population(99, 40, first, last, prefix="EPD-Z").visits
        if v.kind == "intake" and v.has_children == "yes" and v.domains
    )
    with Store.unlock(vault_a, PASSPHRASE) as store:
        record_visits(store, [replace(backdated, day=BACKDATED_DAY, recorded_at=AFTER_BACKDATING)])
        released.truth["A@12+"] = truth_of(store, AFTER_BACKDATING)
    export_file(released, "A@12+ month", vault_a, AFTER_BACKDATING, Variant())
    if "A@12+ month" not in released.files:  # the vault's threshold was raised to 10 above
        export_file(released, "A@12+ month", vault_a, AFTER_BACKDATING, Variant(threshold=10))
    return released


# ---------------------------------------------------------------------------------------------
# Attacks: which files are combined, and what the reader knows besides

Cells = dict[tuple[str, str], int]  # (month, key) -> true count


def cells_of(counts: export.Counts) -> Cells:
    return {(m, k): v for m, cells in counts.periods.items() for k, v in cells.items()}


@dataclass
class Outcome:
    name: str
    hidden: list[Target]  # the hidden cells of the files
    watched: dict[str, list[Target]]  # other secrets: a laptop's raw counts, a client's facts
    solves: int
    notes: list[str] = field(default_factory=list)

    def disclosed(self) -> list[Target]:
        """Hidden cells, and watched secrets with a promise (not the added client's facts,
        which are yes/no: a shown 0 or a one-client period tells them)."""
        watched = [t for group in self.watched.values() for t in group if t.need > 2]
        return [t for t in {id(t): t for t in (*self.hidden, *watched)}.values() if t.disclosed]

    def report(self, focus: str | None = None) -> str:
        summary = disclosure.summarise(self.hidden)
        lines = [f"{self.name}: {summary.line()} [{self.solves} integer programs]"]
        lines += [f"  {note}" for note in self.notes]
        if focus:
            chosen = [t for t in self.hidden if any(focus in place for place in t.places)]
            lines.append(f"  of them in {focus}: {disclosure.summarise(chosen).line()}")
        lines += [f"    {line}" for line in disclosure.examples(self.hidden, 4)]
        for group, targets in self.watched.items():
            lines.append(f"  {group}: {disclosure.summarise(targets).line()}")
            lines += [f"    {line}" for line in disclosure.examples(targets, 3)]
        return "\n".join(lines)


Prepare = Callable[[Attack], dict[str, list[Target]]]


def run_attack(
    name: str,
    released: Released,
    files: dict[str, Sequence[str]],
    truth: dict[str, tuple[Sequence[str], Cells]],
    prepare: Prepare | None = None,
    stop_after: int | None = None,
) -> Outcome:
    """Combine ``files`` (label -> the sources it sums; ``truth``: source -> its months and
    true counts) and bound every hidden cell. The solver is checked against the truth: the
    truth breaks none of the attacker's constraints and lies within every bound found."""
    refused = sorted(label for label in files if label not in released.files)
    files = {label: over for label, over in files.items() if label not in refused}
    model = Attack()
    for source, (months, _cells) in truth.items():
        model.source(source, months)
    for label, over in files.items():  # a file the tool refused to make cannot leak
        model.release(released.files[label], over, label)
    model.structure()
    watched = prepare(model) if prepare else {}
    for source, (months, cells) in truth.items():
        for month in months:
            for key in sorted(model.keys):
                model.set_truth(source, month, key, cells.get((month, key), 0))
    broken = model.check_truth()
    assert not broken, "the attacker's assumptions are wrong:\n" + "\n".join(broken[:10])
    targets = model.solve(stop_after=stop_after)
    for target in targets:
        assert target.truth is not None
        assert target.lo is None or target.lo <= target.truth, target
        assert target.hi is None or target.truth <= target.hi, target
        assert target.safe or target.solved or model.stopped_early, target
    watched = {group: [model.resolved(t) for t in items] for group, items in watched.items()}
    hidden = [t for t in targets if t.in_file]
    notes = [f"refused by the tool: {', '.join(refused)}"] if refused else []
    return Outcome(name, hidden, watched, model.solves, notes)


def month_and_quarter(r: Released, stop_after: int | None = None) -> Outcome:
    return run_attack(
        "one month export + one quarter export, threshold 5",
        r,
        {"A@12 month t5 csv": ["A"], "A@12 quarter t5 csv": ["A"]},
        {"A": (TO_YEAR_EXPORT, cells_of(r.truth["A@12"]))},
        stop_after=stop_after,
    )


def two_thresholds(r: Released, stop_after: int | None = None) -> Outcome:
    return run_attack(
        "month threshold 5 + month threshold 3",
        r,
        {"A@12 month t5 csv": ["A"], "A@12 month t3 csv;": ["A"]},
        {"A": (TO_YEAR_EXPORT, cells_of(r.truth["A@12"]))},
        stop_after=stop_after,
    )


def all_variants(r: Released, stop_after: int | None = None) -> Outcome:
    files = {label: ["A"] for label in r.files if label.startswith("A@12 ")}
    return run_attack(
        f"all {len(files)} files of the year (csv/json, month/quarter, 3/5/10, rounding)",
        r,
        files,
        {"A": (TO_YEAR_EXPORT, cells_of(r.truth["A@12"]))},
        stop_after=stop_after,
    )


def one_file(r: Released, stop_after: int | None = None, label: str = "month t3 csv;") -> Outcome:
    return run_attack(
        f"one export ({label}), with the relations between measures",
        r,
        {f"A@12 {label}": ["A"]},
        {"A": (TO_YEAR_EXPORT, cells_of(r.truth["A@12"]))},
        stop_after=stop_after,
    )


def one_file_t5(r: Released, stop_after: int | None = None) -> Outcome:
    return one_file(r, stop_after, "month t5 csv")


def monthly_cycle(r: Released, stop_after: int | None = None) -> Outcome:
    """November's file and the year's file. The lead knows nobody backdates (the monthly
    cycle): January-November did not change, except re-judged timing and overdue plans."""

    def nothing_backdated(model: Attack) -> dict[str, list[Target]]:
        model.link_unchanged("A@11", "A@12", MONTHS[:-1])
        return {}

    return run_attack(
        "the export of 10 December vs the export of 10 January",
        r,
        {"A@11 month": ["A@11"], "A@12 month t5 csv": ["A@12"]},
        {
            "A@11": (TO_NOVEMBER_EXPORT, cells_of(r.truth["A@11"])),
            "A@12": (TO_YEAR_EXPORT, cells_of(r.truth["A@12"])),
        },
        nothing_backdated,
        stop_after,
    )


def _added(r: Released) -> Cells:
    before, after = cells_of(r.truth["A@12"]), cells_of(r.truth["A@12+"])
    return {cell: after.get(cell, 0) - before.get(cell, 0) for cell in set(before) | set(after)}


def backdated(r: Released, stop_after: int | None = None) -> Outcome:
    """The year's file before and after one intake was added with an August date; the lead
    was told "I added one forgotten intake". That client's facts are watched too."""

    def one_intake_added(model: Attack) -> dict[str, list[Target]]:
        model.link_added_intakes("A@12", "A@12+", 1, "added")
        facts = [
            model.target(model.expr(["added"], TO_YEAR_EXPORT, key), 2, f"added client {key}")
            for key in sorted(model.keys)
        ]
        month = [
            model.target(model.expr(["added"], [m], "intakes"), 2, f"added client's month {m}")
            for m in TO_YEAR_EXPORT
        ]
        return {"the added client's facts": facts, "the added client's month": month}

    before, after = r.need("A@12 month t5 csv", "A@12+ month")
    changed = sorted(
        f"{row} {key}"
        for (row, key), value in after.cells.items()
        if before.cells.get((row, key)) != value and not key.endswith("_share")
    )
    outcome = run_attack(
        "the year's export before and after one backdated intake",
        r,
        {"A@12 month t5 csv": ["A@12"], "A@12+ month": ["A@12+"]},
        {
            "A@12": (TO_YEAR_EXPORT, cells_of(r.truth["A@12"])),
            "A@12+": (TO_YEAR_EXPORT, cells_of(r.truth["A@12+"])),
            "added": (TO_YEAR_EXPORT, _added(r)),
        },
        one_intake_added,
        stop_after,
    )
    outcome.notes.append(f"{len(changed)} shown cells changed, e.g. {', '.join(changed[:6])}")
    return outcome


def _merges(r: Released) -> dict[str, list[str]]:
    return {label: label.split()[1].split("+") for label in r.files if label.startswith("merge ")}


def team_merges(r: Released, stop_after: int | None = None) -> Outcome:
    """Merged files of several subsets of the team's laptops, each the sum of its laptops.
    Watched: laptop A's own small counts, which no released file shows."""
    merges = _merges(r)
    laptops = sorted({name for names in merges.values() for name in names})
    truth = {name: (TO_YEAR_EXPORT, cells_of(r.truth[f"{name}@12"])) for name in laptops}

    def laptop_a(model: Attack) -> dict[str, list[Target]]:
        small = sorted(cell for cell, value in truth["A"][1].items() if 1 <= value < THRESHOLD)
        return {
            "laptop A's small counts": [
                model.target(model.expr(["A"], [m], key), THRESHOLD - 1, f"laptop A {m} {key}")
                for m, key in small
            ]
        }

    return run_attack(
        f"team merges {', '.join(label.removeprefix('merge ') for label in sorted(merges))}",
        r,
        merges,
        truth,
        laptop_a,
        stop_after,
    )


def everything(r: Released, stop_after: int | None = None) -> Outcome:
    """Every file at once, with everything the lead knows: the monthly cycle, the year's
    variants, the re-export after the backdated intake, the team merges (laptop A's team
    file was made with the year's exports, before the backdated intake)."""
    merges = _merges(r)
    others = sorted({name for names in merges.values() for name in names} - {"A"})
    files: dict[str, Sequence[str]] = {
        label: [label.split()[0]] for label in r.files if label.startswith("A@")
    }
    files.update(
        {label: ["A@12" if n == "A" else n for n in names] for label, names in merges.items()}
    )

    def what_the_lead_knows(model: Attack) -> dict[str, list[Target]]:
        model.link_unchanged("A@11", "A@12", MONTHS[:-1])
        model.link_added_intakes("A@12", "A@12+", 1, "added")
        return {}

    return run_attack(
        f"everything together ({len(files)} files)",
        r,
        files,
        {
            "A@11": (TO_NOVEMBER_EXPORT, cells_of(r.truth["A@11"])),
            "A@12": (TO_YEAR_EXPORT, cells_of(r.truth["A@12"])),
            "A@12+": (TO_YEAR_EXPORT, cells_of(r.truth["A@12+"])),
            "added": (TO_YEAR_EXPORT, _added(r)),
            **{name: (TO_YEAR_EXPORT, cells_of(r.truth[f"{name}@12"])) for name in others},
        },
        what_the_lead_knows,
        stop_after,
    )


ATTACKS: dict[str, Callable[..., Outcome]] = {
    "month+quarter": month_and_quarter,
    "two thresholds": two_thresholds,
    "all variants": all_variants,
    "monthly cycle": monthly_cycle,
    "one file t3": one_file,
    "one file t5": one_file_t5,
    "team merges": team_merges,
    "backdated": backdated,
    "everything": everything,
}
FOCUS = {"monthly cycle": "A@12 month t5 csv 2025-12"}
# The CI gate stops once this many hidden cells are shown to be disclosed (it only has to
# fail, with examples); the soak run solves everything and prints the full table.
CI_STOP_AFTER = 20


# ---------------------------------------------------------------------------------------------
# Tests


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Released:
    return make_everything(tmp_path_factory.mktemp("attacker"), 420, 2, ci_variants())


def test_the_caseload_and_the_files_are_what_the_attack_needs(released: Released) -> None:
    assert released.sessions["A"] >= 500
    year = released.truth["A@12"]
    assert {m for m, cells in year.periods.items() if cells.get("intakes")} == set(MONTHS)
    totals = year.total()
    for key in (
        "clients_with_minor_children",
        "parents_by_domain_count:0",
        "parents_by_domain_count:3+",
        "safety_signals",
        "meldcode_steps_taken",
        "followups:on_time",
        "followups:late",
        "followups_due:held_in_window",
        "followups_due:not_held",
    ):
        assert totals.get(key, 0) >= 10, key
    csv_file, json_file, semicolon = released.need(
        "A@12 month t5 csv", "A@12 month t5 json", "A@12 month t5 csv;"
    )
    assert csv_file.cells == json_file.cells == semicolon.cells  # every format reads alike
    released.need("A@11 month", "A@12 quarter t5 csv", "A@12+ month", "merge A+B+C month")
    # the split by setting is in the quarter files (the vault's and the team's), shown
    for label in ("A@12 quarter t5 csv", "merge A+B+C quarter"):
        (quarter,) = released.need(label)
        split = [v for (_row, key), v in quarter.cells.items() if "/" in key]
        assert sum(isinstance(v, int) and v > 0 for v in split) >= 4, label
    truth = cells_of(year)
    for (row, key), value in csv_file.cells.items():  # every shown month count is the truth
        if isinstance(value, int) and row in MONTHS and not key.endswith(":total"):
            assert truth.get((row, key), 0) == value, (row, key)


@pytest.mark.parametrize("name", ATTACKS)
def test_no_combination_of_files_narrows_a_hidden_cell(released: Released, name: str) -> None:
    outcome = ATTACKS[name](released, stop_after=CI_STOP_AFTER)
    print(outcome.report(FOCUS.get(name)))
    assert not outcome.disclosed(), outcome.report(FOCUS.get(name))


def test_the_audit_command_reads_the_files_from_disk(released: Released) -> None:
    """`disclosure.audit` (for a team lead with a folder of files) finds what the attack on
    the same file finds."""
    summary, _examples = disclosure.audit([released.paths["A@12 month t5 csv"]])
    expected = disclosure.summarise(one_file_t5(released).hidden)
    assert (summary.hidden, summary.pinned) == (expected.hidden, expected.pinned)
    # without the truth the audit holds every "x" to the marker's promise: never fewer
    assert summary.disclosed >= expected.disclosed


def _release(period_type: str, cells: dict[tuple[str, str], disclosure.Shown]) -> Release:
    return Release(f"{period_type}.csv", period_type, 5, None, cells)


def test_the_solver_finds_the_issue_example_by_hand() -> None:
    """Month file 2025-10 "<5", 2025-11 5, 2025-12 "<5"; quarter file 2025-Q4 7: so October
    and December are both 1."""
    key = "intakes_per_domain:justitie"
    month = _release(
        "month",
        {("2025-10", key): "<5", ("2025-11", key): 5, ("2025-12", key): "<5", ("total", key): 7},
    )
    quarter = _release("quarter", {("2025-Q4", key): 7, ("total", key): 7})
    model = Attack()
    model.source("laptop", ["2025-10", "2025-11", "2025-12"])
    model.release(month, ["laptop"])
    model.release(quarter, ["laptop"])
    targets = model.solve()
    assert {(t.places[0], t.lo, t.hi) for t in targets} == {
        (f"month.csv 2025-10 {key} (<5)", 1, 1),
        (f"month.csv 2025-12 {key} (<5)", 1, 1),
    }
    assert all(t.pinned for t in targets)


def test_the_solver_leaves_a_protected_cell_alone() -> None:
    """Two "<5" months behind a hidden quarter: each can still be anything from 1 to 4."""
    key = "intakes_per_domain:justitie"
    month = _release(
        "month",
        {("2025-10", key): "<5", ("2025-11", key): "<5", ("2025-12", key): 9, ("total", key): "x"},
    )
    quarter = _release("quarter", {("2025-Q4", key): "x", ("total", key): "x"})
    model = Attack()
    model.source("laptop", ["2025-10", "2025-11", "2025-12"])
    model.release(month, ["laptop"])
    model.release(quarter, ["laptop"])
    targets = model.solve()
    assert len(targets) == 3  # October, November, and the quarter/total (one expression)
    assert not any(t.disclosed for t in targets)
    assert all(t.safe for t in targets)


def test_the_solver_reads_rounding_as_an_interval() -> None:
    """November "<5", December 9, the total 10: November is 1. Rounded, December and the
    total both show 10 (8..12 each), and November can again be anything from 1 to 4."""
    key = "safety_signals"

    def november(rounding: int | None, december: int) -> Target:
        cells: dict[tuple[str, str], disclosure.Shown] = {
            ("2025-11", key): "<5",
            ("2025-12", key): december,
            ("total", key): 10,
        }
        model = Attack()
        model.source("laptop", ["2025-11", "2025-12"])
        model.release(Release("month.csv", "month", 5, rounding, cells), ["laptop"])
        (target,) = model.solve()
        return target

    exact = november(None, 9)
    assert exact.pinned and (exact.lo, exact.hi) == (1, 1)
    rounded = november(5, 10)
    assert rounded.safe and (rounded.seen_lo, rounded.seen_hi) == (1, 4)


# ---------------------------------------------------------------------------------------------
# Soak: a bigger caseload, every variant in both formats, everything solved exactly


@pytest.mark.soak
def test_soak_every_file_kind_on_a_bigger_caseload(tmp_path: Path) -> None:
    variants = every_variant()
    twins = [
        replace(v, file_format="json" if v.file_format == "csv" else "csv", delimiter=",")
        for v in variants
    ]
    labels = {v.label for v in variants}
    variants += [twin for twin in twins if twin.label not in labels]
    released = make_everything(tmp_path, 1500, 3, variants)
    outcomes = [run(released) for run in ATTACKS.values()]
    table = "\n".join(outcome.report() for outcome in outcomes)
    print(table)
    assert not any(outcome.disclosed() for outcome in outcomes), table
