"""The calendar file as other programs read it, not as Kindcheck meant it.

Each file is expanded by two independent readers over three years (March 2026 to March 2029,
so six clock changes, the last Sundays of March and October, and 29 October 2028):

- recurring-ical-events (on icalendar), which applies EXDATE and RECURRENCE-ID as RFC 5545
  reads: an override of an instance that the series does not have (one in EXDATE) replaces
  nothing and is dropped;
- vobject (the reader behind Radicale and khal), whose time zone is built from the file's own
  VTIMEZONE; overrides are applied by the same rule (vobject itself leaves them to the caller).

Both must give exactly the conversations Kindcheck plans (kindcheck.followup.occurrences, the
dates ``kindcheck due --all`` shows), each on its day at its local time. Plans are built through
the public API (new_plan, skip, move, with_rule, plans_to_ics) and through a vault with
``kindcheck due --ics``. Re-exports of a changed plan must keep its UID (else a calendar keeps
the old series as ghost dates) and raise SEQUENCE and LAST-MODIFIED.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import recurring_ical_events
import time_machine
import vobject
from support.vault import PASSPHRASE, make_answers

from kindcheck import cli
from kindcheck.answers import session_from_dict
from kindcheck.errors import FollowUpError
from kindcheck.followup import (
    AMSTERDAM,
    CalendarEntry,
    FollowUpPlan,
    Rhythm,
    end_treatment,
    move,
    new_plan,
    occurrences,
    plans_to_ics,
    rrule_for,
    skip,
    with_rule,
)
from kindcheck.outcome import compute_outcome
from kindcheck.service.caseload import calendar_code
from kindcheck.service.plans import get_plan, list_plans, save_plan
from kindcheck.service.recording import record_session
from kindcheck.store import Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

FIRST_DAY = date(2026, 3, 2)
LAST_DAY = date(2029, 3, 2)  # three years
WINDOW = (
    datetime.combine(FIRST_DAY, time.min, tzinfo=AMSTERDAM),
    datetime.combine(LAST_DAY, time.max, tzinfo=AMSTERDAM),
)
SUMMARY = re.compile(r"(KC-\d{8}|[A-Za-z0-9][A-Za-z0-9_-]{2,62})$")

# calendar reference -> its occurrences, sorted: aware datetimes for timed events, dates for
# all-day events (either is a valid fix: the issue leaves the choice to the design)
Occurrences = dict[str, list[Any]]


# --------------------------------------------------------------------------------------------
# The two readers


def reference_of(summary: object) -> str:
    match = SUMMARY.search(str(summary))
    assert match, summary
    return match.group(1)


def is_timed(value: object) -> bool:
    return isinstance(value, datetime)


def by_recurring_ical_events(raw: bytes) -> Occurrences:
    calendar = icalendar.Calendar.from_ical(raw)
    found: dict[str, list[Any]] = defaultdict(list)
    for event in recurring_ical_events.of(calendar).between(*WINDOW):
        found[reference_of(event["SUMMARY"])].append(event["DTSTART"].dt)
    return {ref: sorted(days) for ref, days in found.items()}


def by_vobject(raw: bytes) -> Occurrences:
    calendar = vobject.readOne(raw.decode("utf-8"))
    series: dict[str, Any] = {}
    overrides: dict[str, list[Any]] = defaultdict(list)
    for event in calendar.vevent_list:
        if hasattr(event, "recurrence_id"):
            overrides[event.uid.value].append(event)
        else:
            assert event.uid.value not in series, "two series with one UID"
            series[event.uid.value] = event
    found: dict[str, list[Any]] = defaultdict(list)
    for uid, event in series.items():
        timed = is_timed(event.dtstart.value)
        # vobject expands all-day events over naive midnights
        low, high = WINDOW if timed else (w.replace(tzinfo=None) for w in WINDOW)

        def point(value: Any, timed: bool = timed) -> Any:
            return value if timed else datetime.combine(value, time.min)

        rules = event.getrruleset(addRDate=True)
        instances = (
            set(rules.between(low, high, inc=True)) if rules else {point(event.dtstart.value)}
        )
        for override in overrides.pop(uid, []):
            replaced = point(override.recurrence_id.value)
            if replaced in instances:  # else it overrides nothing (an excluded instance)
                instances.discard(replaced)
                instances.add(point(override.dtstart.value))
        in_window = [moment for moment in instances if low <= moment <= high]
        found[reference_of(event.summary.value)] += [
            moment if timed else moment.date() for moment in in_window
        ]
    assert not overrides, "overrides without a series"
    return {ref: sorted(days) for ref, days in found.items()}


READERS = {"recurring-ical-events": by_recurring_ical_events, "vobject": by_vobject}


def planned(entries: Iterable[tuple[str, FollowUpPlan]]) -> Occurrences:
    return {ref: occurrences(plan, FIRST_DAY, LAST_DAY) for ref, plan in entries}


def day_of(moment: Any) -> date:
    return moment.astimezone(AMSTERDAM).date() if is_timed(moment) else moment


def local_days(found: Occurrences) -> dict[str, list[date]]:
    return {ref: [day_of(m) for m in moments] for ref, moments in found.items()}


def comparable(moment: Any) -> Any:
    """An instant for a timed event (an hour off shows), the day for an all-day one."""
    return moment.astimezone(UTC) if is_timed(moment) else moment


def shown(moment: Any) -> str:
    if is_timed(moment):
        return f"{moment.astimezone(AMSTERDAM):%Y-%m-%d %H:%M %Z}"
    return f"{moment:%Y-%m-%d} (all day)"


def differences(expected: Occurrences, got: Occurrences) -> list[str]:
    """Readable differences: occurrences missing, extra, or at another local time. An
    all-day calendar is compared by day (it has no time to be wrong)."""
    all_day = any(not is_timed(m) for moments in got.values() for m in moments)
    if all_day:
        expected = {ref: [day_of(m) for m in moments] for ref, moments in expected.items()}
    lines = []
    for ref in sorted(set(expected) | set(got)):
        want = {comparable(m): m for m in expected.get(ref, [])}
        have = {comparable(m): m for m in got.get(ref, [])}
        lines += [f"{ref}: missing {shown(want[key])}" for key in sorted(want.keys() - have)]
        lines += [f"{ref}: extra {shown(have[key])}" for key in sorted(have.keys() - want)]
    return lines


def series_events(raw: bytes) -> list[Any]:
    calendar = icalendar.Calendar.from_ical(raw)
    return [event for event in calendar.walk("VEVENT") if "RRULE" in event]


# --------------------------------------------------------------------------------------------
# Plans built through the public API

INTAKE = date(2026, 3, 2)
END = date(2041, 6, 30)  # the youngest child's 18th birthday


def plan_in(rhythm: Rhythm, intake: date = INTAKE, ends_on: date | None = END) -> FollowUpPlan:
    return new_plan(rhythm, intake, ends_on)


def nth(plan: FollowUpPlan, index: int) -> date:
    return occurrences(plan, plan.start, LAST_DAY)[index].date()


def moved_plan() -> FollowUpPlan:
    plan = plan_in(Rhythm.SAFETY)
    return move(plan, nth(plan, 1), nth(plan, 1) + timedelta(days=2), "zieke cliënt")


def skipped_plan() -> FollowUpPlan:
    plan = plan_in(Rhythm.STACKING)
    return skip(plan, nth(plan, 2), "vakantie")


def around(plan: FollowUpPlan, switch: date) -> tuple[date, date]:
    """The plan's last conversation before a clock change and its first after it."""
    days = [moment.date() for moment in occurrences(plan, plan.start, LAST_DAY)]
    before = max(day for day in days if day < switch)
    return before, min(day for day in days if day > switch)


def mixed_plan() -> FollowUpPlan:
    """Skips and moves on both sides of clock changes, moves out of winter into summer time
    and back (a two-weekly plan: a move by 8 days lands between two conversations)."""
    plan = plan_in(Rhythm.SAFETY, date(2026, 10, 5))
    plan = skip(plan, plan.start, "herfstvakantie")
    spring, _after = around(plan, date(2027, 3, 28))
    plan = move(plan, spring, spring + timedelta(days=8), "na de zomertijd")
    autumn, after = around(plan, date(2028, 10, 29))
    plan = move(plan, autumn, autumn + timedelta(days=8), "na de wintertijd")
    return skip(plan, after + timedelta(days=14), "ziek")


def moved_past_the_end() -> FollowUpPlan:
    """A conversation moved earlier, then treatment ends between its new and its old day: it
    has no series instance left to override and stands alone."""
    plan = plan_in(Rhythm.CHILDREN, ends_on=None)
    plan = move(plan, date(2027, 9, 2), date(2027, 6, 5), "eerder")
    return end_treatment(plan, date(2027, 6, 20))


CASES: dict[str, list[tuple[str, FollowUpPlan]]] = {
    "three rhythms": [
        ("KC-00000001", plan_in(Rhythm.SAFETY)),
        ("KC-00000002", plan_in(Rhythm.STACKING)),
        ("KC-00000003", plan_in(Rhythm.CHILDREN)),
    ],
    "month end": [("KC-00000004", plan_in(Rhythm.CHILDREN, date(2026, 1, 31)))],
    "moved": [("KC-00000005", moved_plan())],
    "skipped": [("KC-00000006", skipped_plan())],
    "moves and skips around clock changes": [("KC-00000007", mixed_plan())],
    "ends within the window": [
        ("KC-00000008", plan_in(Rhythm.STACKING, ends_on=date(2028, 6, 15)))
    ],
    "moved past the end": [("KC-00000009", moved_past_the_end())],
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("case", list(CASES))
def test_each_planned_day_is_in_the_calendar_once(case: str, reader: str) -> None:
    """The days: every conversation on its day, skipped ones gone, moved ones once on their
    new day (the time of day is the next test's)."""
    entries = CASES[case]
    got = local_days(READERS[reader](plans_to_ics(entries)))
    assert got == local_days(planned(entries))


@pytest.mark.parametrize("reader", list(READERS))
def test_a_moved_conversation_is_there_exactly_once_on_its_new_day(reader: str) -> None:
    plan = plan_in(Rhythm.SAFETY)
    old_day, new_day = nth(plan, 1), nth(plan, 1) + timedelta(days=2)
    moved = move(plan, old_day, new_day, "zieke cliënt")
    days = local_days(READERS[reader](plans_to_ics([("KC-00000005", moved)])))["KC-00000005"]
    assert (days.count(new_day), days.count(old_day)) == (1, 0)


def test_a_move_is_an_override_only_and_a_skip_an_exdate_only() -> None:
    """Never both for one date: readers disagree on an override of an excluded instance."""
    raw = plans_to_ics([("KC-00000007", mixed_plan())])
    calendar = icalendar.Calendar.from_ical(raw)
    (series,) = [event for event in calendar.walk("VEVENT") if "RRULE" in event]
    exdates = series.get("EXDATE", [])
    excluded = {
        comparable(d.dt)
        for exdate in (exdates if isinstance(exdates, list) else [exdates])
        for d in exdate.dts
    }
    overridden = {
        comparable(event["RECURRENCE-ID"].dt)
        for event in calendar.walk("VEVENT")
        if "RECURRENCE-ID" in event
    }
    assert len(overridden) == 2
    assert excluded & overridden == set()
    plan = mixed_plan()
    skipped = [
        datetime.combine(c.original, plan.time_of_day, tzinfo=AMSTERDAM)
        for c in plan.changes
        if c.action == "skip"
    ]
    all_day = not any(is_timed(key) for key in excluded)
    assert excluded == {day_of(m) if all_day else comparable(m) for m in skipped}


@pytest.mark.parametrize("reader", list(READERS))
def test_every_occurrence_on_its_day_and_time_across_clock_changes(reader: str) -> None:
    """Every conversation of three years on its day and, for timed events, at 09:00 Amsterdam
    time (the instant is compared, so an hour off shows), also after 29 October 2028."""
    entries = [item for case in CASES.values() for item in case]
    raw = plans_to_ics(entries)
    got = READERS[reader](raw)
    problems = differences(planned(entries), got)
    assert problems == [], f"{len(problems)} differences, first: {problems[:6]}"
    late_2028 = [
        moment
        for moments in got.values()
        for moment in moments
        if day_of(moment) >= date(2028, 10, 29)
    ]
    assert late_2028
    assert all(m.astimezone(AMSTERDAM).time() == time(9, 0) for m in late_2028 if is_timed(m))


def test_the_time_zone_follows_the_yearly_rule_or_there_is_none() -> None:
    """Outlook writes Europe/Amsterdam as two RRULE transitions; a list of RDATEs is what
    vobject and Outlook misread. All-day events need no VTIMEZONE at all."""
    raw = plans_to_ics(CASES["three rhythms"])
    calendar = icalendar.Calendar.from_ical(raw)
    zones = calendar.walk("VTIMEZONE")
    if not zones:
        starts = [event["DTSTART"].dt for event in calendar.walk("VEVENT")]
        assert all(not isinstance(start, datetime) for start in starts)
        return
    (zone,) = zones
    parts = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
    assert len(parts) == 2
    assert all("RRULE" in part and "RDATE" not in part for part in parts)


# --------------------------------------------------------------------------------------------
# The same plan, exported again after a change


def uid_of(raw: bytes, ref: str) -> str:
    (event,) = [e for e in series_events(raw) if reference_of(e["SUMMARY"]) == ref]
    return str(event["UID"])


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda p: with_rule(p, rrule_for(Rhythm.SAFETY), start=date(2026, 6, 1)), id="tightened"
        ),
        pytest.param(lambda p: with_rule(p, rrule_for(Rhythm.SAFETY)), id="tightened same start"),
        pytest.param(lambda p: skip(p, p.start, "ziek"), id="first skipped"),
        pytest.param(
            lambda p: move(p, p.start, p.start + timedelta(days=1), "later"), id="first moved"
        ),
    ],
)
def test_a_changed_plan_keeps_its_uid(change: Any) -> None:
    plan = plan_in(Rhythm.CHILDREN)
    before = plans_to_ics([("KC-00000010", plan)])
    after = plans_to_ics([("KC-00000010", change(plan))])
    assert uid_of(after, "KC-00000010") == uid_of(before, "KC-00000010")


def test_a_re_import_after_tightening_leaves_no_ghost_dates() -> None:
    """A calendar app updates events by UID: what the new file does not replace, it keeps."""
    plan = plan_in(Rhythm.CHILDREN)
    tightened = with_rule(plan, rrule_for(Rhythm.SAFETY), start=date(2026, 6, 1))
    first = icalendar.Calendar.from_ical(plans_to_ics([("KC-00000010", plan)]))
    second = icalendar.Calendar.from_ical(plans_to_ics([("KC-00000010", tightened)]))
    replaced = {str(event["UID"]) for event in second.walk("VEVENT")}
    merged = icalendar.Calendar()
    for component in [*first.subcomponents, *second.subcomponents]:
        if (
            component.name == "VEVENT"
            and str(component["UID"]) in replaced
            and component in first.subcomponents
        ):
            continue
        if component.name == "VTIMEZONE" and component in first.subcomponents:
            continue
        merged.add_component(component)
    got = local_days(by_recurring_ical_events(merged.to_ical()))
    assert got == local_days(planned([("KC-00000010", tightened)]))


# --------------------------------------------------------------------------------------------
# The file itself


def test_the_calendar_has_a_name() -> None:
    calendar = icalendar.Calendar.from_ical(plans_to_ics(CASES["three rhythms"]))
    name = str(calendar.get("X-WR-CALNAME", ""))
    assert name.strip()
    assert "KC-" not in name


def test_lines_end_in_crlf_and_are_folded_at_75_octets() -> None:
    template = (
        "Vervolggesprek over de kinderen van cliënt {ref}: één keer per kwartaal, ook bij ziekte"
    )
    raw = plans_to_ics(CASES["moves and skips around clock changes"], template)
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the summary was folded
    for line in lines:
        line.decode("utf-8")  # a fold never splits a character
    parsed = icalendar.Calendar.from_ical(raw)
    assert any("één keer" in str(e["SUMMARY"]) for e in parsed.walk("VEVENT"))


# --------------------------------------------------------------------------------------------
# Through a vault: kindcheck due --all --ics

TODAY = datetime(2026, 5, 4, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


def record(store: Store, reference: str, when: date, **answers: Any) -> str:
    session = session_from_dict(make_answers(reference, when=when, **answers))
    return record_session(store, session, compute_outcome(session)).client.id


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five clients: stacking, safety, children; one whose first conversation was moved, one
    whose second was skipped (as the app's plan screen saves them)."""
    folder = tmp_path_factory.mktemp("calendar") / "vault"
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=AMSTERDAM), tick=False):
        store, _recovery = Store.create(folder, PASSPHRASE, "j.devries")
        with store:
            record(store, "EPD-900001", INTAKE, problems=3)
            record(store, "EPD-900002", INTAKE, signal=True)
            record(store, "EPD-900003", INTAKE)
            moved = record(store, "EPD-900004", INTAKE, signal=True)
            skipped = record(store, "EPD-900005", INTAKE, problems=3)
            for client, change in (
                (moved, lambda p: move(p, p.start, p.start + timedelta(days=3), "ziek")),
                (skipped, lambda p: skip(p, nth(p, 1), "vakantie")),
            ):
                stored = get_plan(store, client)
                assert stored is not None
                save_plan(store, client, change(stored.plan), stored.rhythm)
    return folder


@pytest.fixture
def vault(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template, folder)
    return folder


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: Any) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PASSPHRASE}\n".encode())))
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def export(
    vault: Path, target: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[bytes, dict[str, date]]:
    """``due --all --ics``: the file, and the date ``due`` shows per calendar code."""
    out = run(
        monkeypatch,
        capsys,
        "due",
        "--all",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        "--lang",
        "en",
        "--ics",
        target,
        "--force",
    )
    shown = {}
    for line in out.splitlines()[1:]:
        if "|" in line and not line.startswith("kindcheck"):
            _state, when, _late, _ref, code, _reason = line.split("|")
            shown[code] = date.fromisoformat(when)
    return target.read_bytes(), shown


def stored_plans(vault: Path) -> list[tuple[str, FollowUpPlan]]:
    with Store.unlock(vault, PASSPHRASE) as store:
        return [(calendar_code(p.client_id), p.plan) for p in list_plans(store)]


@pytest.mark.parametrize("reader", list(READERS))
def test_due_ics_holds_every_conversation_due_shows(
    reader: str, vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    with time_machine.travel(TODAY, tick=False):
        raw, shown = export(vault, tmp_path / "vervolg.ics", monkeypatch, capsys)
    entries = stored_plans(vault)
    assert len(shown) == len(entries) == 5
    got = READERS[reader](raw)
    days = local_days(got)
    not_in_calendar = [
        f"due --all shows {day} for {code}; the calendar's next is "
        f"{min((d for d in days.get(code, []) if d >= day), default=None)}"
        for code, day in sorted(shown.items())
        if day not in days.get(code, [])
    ]
    assert not_in_calendar == []
    assert days == local_days(planned(entries))
    assert differences(planned(entries), got) == []


def test_re_exports_keep_uids_and_raise_sequence_and_last_modified(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """Client EPD-900003 (3-monthly) gets a safety signal at a follow-up: the plan tightens.
    Its calendar entry must stay the same event (same UID), updated (SEQUENCE and
    LAST-MODIFIED higher); the untouched plans must keep UID and SEQUENCE."""
    with time_machine.travel(TODAY, tick=False):
        first, _shown = export(vault, tmp_path / "een.ics", monkeypatch, capsys)
    with (
        time_machine.travel(TODAY + timedelta(days=30), tick=False),
        Store.unlock(vault, PASSPHRASE) as store,
    ):
        session = session_from_dict(
            make_answers("EPD-900003", kind="followup", when=date(2026, 6, 3), signal=True)
        )
        recorded = record_session(store, session, compute_outcome(session))
        assert recorded.plan_change == "more_frequent"
        tightened_code = calendar_code(recorded.client.id)
    with time_machine.travel(TODAY + timedelta(days=31), tick=False):
        second, _shown = export(vault, tmp_path / "twee.ics", monkeypatch, capsys)

    def by_code(raw: bytes) -> dict[str, Any]:
        return {reference_of(e["SUMMARY"]): e for e in series_events(raw)}

    before, after = by_code(first), by_code(second)
    assert set(before) == set(after) and tightened_code in before
    problems = []
    for code in sorted(before):
        which = "tightened" if code == tightened_code else "unchanged"
        if str(after[code]["UID"]) != str(before[code]["UID"]):
            problems.append(f"{which} plan {code}: new UID")
        if not all("SEQUENCE" in e and "LAST-MODIFIED" in e for e in (before[code], after[code])):
            problems.append(f"{which} plan {code}: no SEQUENCE or LAST-MODIFIED")
            continue
        sequences = int(before[code]["SEQUENCE"]), int(after[code]["SEQUENCE"])
        modified = before[code]["LAST-MODIFIED"].dt, after[code]["LAST-MODIFIED"].dt
        if code == tightened_code and not (
            sequences[1] > sequences[0] and modified[1] > modified[0]
        ):
            problems.append(
                f"tightened plan {code}: SEQUENCE {sequences}, LAST-MODIFIED {modified}"
            )
        if code != tightened_code and (sequences[1], modified[1]) != (sequences[0], modified[0]):
            problems.append(f"unchanged plan {code}: SEQUENCE {sequences}")
    assert problems == []


# --------------------------------------------------------------------------------------------
# Added with the fix: ends, revisions and what an entry may carry


def re_imported(first: bytes, second: bytes) -> bytes:
    """What a calendar app holds after importing ``first`` and then ``second``: the events of
    every UID the second file has are replaced by its events, all others are kept."""
    old = icalendar.Calendar.from_ical(first)
    new = icalendar.Calendar.from_ical(second)
    replaced = {str(event["UID"]) for event in new.walk("VEVENT")}
    merged = icalendar.Calendar()
    for event in old.walk("VEVENT"):
        if str(event["UID"]) not in replaced:
            merged.add_component(event)
    for component in new.subcomponents:
        merged.add_component(component)
    result: bytes = merged.to_ical()
    return result


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize(
    "end", [date(2027, 1, 15), date(2026, 4, 1)], ids=["after some", "before the first"]
)
def test_a_re_import_after_treatment_ended_cuts_the_series(reader: str, end: date) -> None:
    """Ended plans are exported with their end: after the re-import no conversation after it
    is left, also when treatment ended before the first one (a series with no instance)."""
    plan = plan_in(Rhythm.CHILDREN)  # first conversation 2 June 2026
    ended = end_treatment(plan, end)
    before = plans_to_ics([("KC-00000011", plan)])
    after = plans_to_ics([("KC-00000011", ended)])
    assert uid_of(after, "KC-00000011") == uid_of(before, "KC-00000011")
    got = local_days(READERS[reader](re_imported(before, after))).get("KC-00000011", [])
    assert got == local_days(planned([("KC-00000011", ended)]))["KC-00000011"]
    assert all(day <= end for day in got) and (got == []) == (end < plan.start)


@pytest.mark.parametrize("reader", list(READERS))
def test_a_move_cut_off_by_the_end_is_gone_not_overridden(reader: str) -> None:
    """A conversation moved two days on, then treatment ends between its old and new day: it
    is held on neither (as ``due`` shows), so its rule day is excluded and nothing overrides it."""
    plan = plan_in(Rhythm.SAFETY)
    old_day = nth(plan, 3)
    cut = end_treatment(move(plan, old_day, old_day + timedelta(days=2), "later"), old_day)
    raw = plans_to_ics([("KC-00000012", cut)])
    calendar = icalendar.Calendar.from_ical(raw)
    assert not [event for event in calendar.walk("VEVENT") if "RECURRENCE-ID" in event]
    (series,) = series_events(raw)
    assert [item.dt for item in series["EXDATE"].dts] == [old_day]
    got = local_days(READERS[reader](raw))
    assert got == local_days(planned([("KC-00000012", cut)]))
    assert old_day not in got["KC-00000012"]


def test_sequence_and_last_modified_come_from_the_entry() -> None:
    """Series and overrides carry the plan's revision and the time it changed (in UTC);
    DTSTAMP is the export time."""
    changed = datetime(2026, 7, 1, 14, 30, 15, 999, tzinfo=AMSTERDAM)
    exported = datetime(2026, 8, 1, 8, 0, tzinfo=UTC)
    entry = CalendarEntry("KC-00000013", mixed_plan(), revision=3, modified=changed)
    calendar = icalendar.Calendar.from_ical(plans_to_ics([entry], now=exported))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 3  # the series and two moves
    for event in events:
        assert int(event["SEQUENCE"]) == 3
        assert event["LAST-MODIFIED"].to_ical() == b"20260701T123015Z"
        assert event["DTSTAMP"].dt == exported


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        (CalendarEntry("KC-00000014", plan_in(Rhythm.SAFETY), revision=-1), "ok"),
        (CalendarEntry("KC-00000014", plan_in(Rhythm.SAFETY), revision=True), "ok"),
        (CalendarEntry("KC-00000014", plan_in(Rhythm.SAFETY), revision="2"), "ok"),  # type: ignore[arg-type]
        (
            CalendarEntry("KC-00000014", plan_in(Rhythm.SAFETY), modified=datetime(2026, 7, 1)),
            "ok",
        ),
        (CalendarEntry("Jan Jansen", plan_in(Rhythm.SAFETY)), "ok"),
        (CalendarEntry("KC-00000014", plan_in(Rhythm.SAFETY)), ""),
        (CalendarEntry("KC-00000014", plan_in(Rhythm.SAFETY)), "Kindcheck\nDESCRIPTION:x"),
        (CalendarEntry("KC-00000014", plan_in(Rhythm.SAFETY)), "K" * 81),
    ],
)
def test_an_entry_or_name_that_is_none_is_refused(entry: CalendarEntry, name: str) -> None:
    with pytest.raises(FollowUpError) as caught:
        plans_to_ics([entry], calendar_name=name)
    assert "Jan Jansen" not in str(caught.value)


def test_due_ics_writes_an_ended_plan_with_its_end(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """`due --ics` used to leave ended plans out, so their old series stayed in the calendar.
    Now the ended plan is there, cut at its end, its SEQUENCE raised by the change."""
    with time_machine.travel(TODAY, tick=False):
        first, _shown = export(vault, tmp_path / "een.ics", monkeypatch, capsys)
    end = TODAY.date() - timedelta(days=1)
    with Store.unlock(vault, PASSPHRASE) as store:
        stored = list_plans(store)[0]
        save_plan(store, stored.client_id, end_treatment(stored.plan, end), stored.rhythm)
        code = calendar_code(stored.client_id)
    target = tmp_path / "twee.ics"
    with time_machine.travel(TODAY, tick=False):
        out = run(
            monkeypatch, capsys, "due", "--all", "--data-dir", vault, "--passphrase-stdin",
            "--lang", "en", "--ics", target,
        )  # fmt: skip
    second = target.read_bytes()
    (ended_line,) = [line for line in out.splitlines() if line.startswith("ended|")]
    assert ended_line.startswith("ended|-||") and ended_line.endswith(f"|{code}|followup")
    (series,) = [e for e in series_events(second) if reference_of(e["SUMMARY"]) == code]
    assert series["RRULE"]["UNTIL"] == [end]
    assert int(series["SEQUENCE"]) == 1 + int(
        next(e for e in series_events(first) if reference_of(e["SUMMARY"]) == code)["SEQUENCE"]
    )
    for reader in READERS.values():
        days = local_days(reader(re_imported(first, second))).get(code, [])
        assert days and max(days) <= end
