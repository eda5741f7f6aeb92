"""A realistic caseload with known ground truth, recorded through the public store API.

Used by the disclosure (attacker) tests: a seeded plan of clients over a year (children or
none, 0-5 problem domains, safety signals with Meldcode steps, follow-ups held on time, late or
not at all, treatment ended for some, both settings), then `record_visits` stores it the way
the app does (`support.vault.record`, `set_meldcode_step`, the plan saved with its treatment
end), each visit with the clock set to its day. The exact counts behind every file are read back with `kindcheck.export.aggregate`
at the moment the file was made: that is the truth an attacker's bounds are checked against.
"""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import time_machine

from kindcheck.followup import AMSTERDAM, end_treatment
from kindcheck.questionnaire import Question, Walker, load_shipped
from kindcheck.store import Store
from support.vault import record

Kind = Literal["intake", "followup", "end_treatment"]

# How often things happen, roughly as in an adult GGZ / social-domain team (DOMAIN.md): most
# clients are not parents of minors; a problem scan mostly finds 0-2 domains; justice is rare.
# The questionnaires of answers format 1 (the caseload was written for them; version 2 of
# each is format 2, with other questions)
QUESTIONNAIRE_VERSION = 1
CHILDREN_SHARE = 0.45
SOCIAL_DOMAIN_SHARE = 0.3
SIGNAL_SHARE = 0.15  # of intakes with children
UNKNOWN_CHILDREN_SHARE = 0.03  # "don't know": the Kindcheck is not completed
NO_SCAN_SHARE = 0.5  # of intakes without children (the scan is required with children)
DOMAIN_COUNT_WEIGHTS = (30, 25, 20, 12, 8, 5)  # 0..5 domains
DOMAIN_WEIGHTS = {
    "financien": 14,
    "werk": 10,
    "wonen": 8,
    "administratie": 9,
    "huishouden": 6,
    "psychisch": 22,
    "lichamelijk": 9,
    "relaties": 10,
    "opvoeding": 6,
    "netwerk": 7,
    "justitie": 2,
}
FOLLOWUP_BEHAVIOUR = (("on_time", 45), ("late", 25), ("none", 30))
RHYTHM_DAYS = {"safety": 14, "stacking": 42, "children": 91}


@dataclass(frozen=True, slots=True)
class Visit:
    """One thing recorded for a client on a day: an intake, a follow-up or a treatment end."""

    reference: str
    day: date
    kind: Kind
    setting: str = "ggz"
    has_children: Literal["yes", "no", "unknown"] = "no"
    child_ages: tuple[int, ...] = ()
    domains: tuple[str, ...] | None = None  # None: no problem scan
    signal: bool = False
    meldcode_steps: int = 0
    recorded_at: datetime | None = None  # when it was typed in; None: that evening


@dataclass
class Population:
    visits: list[Visit] = field(default_factory=list)

    def sessions(self) -> list[Visit]:
        return [v for v in self.visits if v.kind != "end_treatment"]

    def between(self, first: date, last: date) -> list[Visit]:
        return [v for v in self.visits if first <= v.day <= last]


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _domains(rng: random.Random) -> tuple[str, ...]:
    count = rng.choices(range(6), DOMAIN_COUNT_WEIGHTS)[0]
    pool = dict(DOMAIN_WEIGHTS)
    chosen: list[str] = []
    for _ in range(count):
        pick = rng.choices(list(pool), list(pool.values()))[0]
        chosen.append(pick)
        del pool[pick]
    return tuple(chosen)


def plan_population(
    seed: int, clients: int, first: date, last: date, prefix: str = "EPD-"
) -> Population:
    """``clients`` intakes spread evenly over ``first``..``last``, with their follow-ups."""
    rng = random.Random(seed)
    days = (last - first).days + 1
    visits: list[Visit] = []
    for number in range(clients):
        reference = f"{prefix}{seed % 100:02d}{number:05d}"
        intake_day = first + timedelta(days=rng.randrange(days))
        setting = "sociaal_domein" if rng.random() < SOCIAL_DOMAIN_SHARE else "ggz"
        roll = rng.random()
        if roll < UNKNOWN_CHILDREN_SHARE:
            has_children: Literal["yes", "no", "unknown"] = "unknown"
        elif roll < UNKNOWN_CHILDREN_SHARE + CHILDREN_SHARE:
            has_children = "yes"
        else:
            has_children = "no"
        ages = (
            tuple([rng.randrange(0, 18)] * rng.choice((1, 1, 2, 2, 3)))
            if has_children == "yes"
            else ()
        )
        scanned = has_children != "no" or rng.random() >= NO_SCAN_SHARE
        domains = _domains(rng) if scanned else None
        signal = has_children == "yes" and rng.random() < SIGNAL_SHARE
        visits.append(
            Visit(
                reference,
                intake_day,
                "intake",
                setting,
                has_children,
                ages,
                domains,
                signal,
                rng.randint(1, 3) if signal else 0,
            )
        )
        if has_children != "yes":
            continue
        rhythm = "safety" if signal else "stacking" if len(domains or ()) >= 3 else "children"
        step = RHYTHM_DAYS[rhythm]
        behaviour = _weighted(rng, FOLLOWUP_BEHAVIOUR)
        due = intake_day + timedelta(days=step)
        held = 0
        while behaviour != "none" and held < rng.choice((1, 2, 3)) and due <= last:
            shift = rng.randint(-3, 5) if behaviour == "on_time" else rng.randint(10, 30)
            day = max(due + timedelta(days=shift), intake_day + timedelta(days=1))
            if day > last:
                break
            followup_signal = rng.random() < 0.08
            visits.append(
                Visit(
                    reference,
                    day,
                    "followup",
                    setting,
                    "yes",
                    ages,
                    _domains(rng) if rng.random() < 0.3 else None,
                    followup_signal,
                    rng.randint(1, 2) if followup_signal else 0,
                )
            )
            held += 1
            if followup_signal:
                step = RHYTHM_DAYS["safety"]
            due = day + timedelta(days=step)
            while due + timedelta(days=7) < day:
                due += timedelta(days=step)
        if rng.random() < 0.3:
            end_day = max(v.day for v in visits if v.reference == reference) + timedelta(
                days=rng.randint(1, 20)
            )
            if end_day <= last:
                visits.append(Visit(reference, end_day, "end_treatment", setting))
    order = {"intake": 0, "followup": 1, "end_treatment": 2}
    visits.sort(key=lambda v: (v.day, order[v.kind], v.reference))
    return Population(visits)


# ---------------------------------------------------------------------------------------------
# Answers and recording


def _walk(
    questionnaire_id: str, setting: str, answer_for: dict[str, Any], note: str
) -> dict[str, Any]:
    answers = _walked(questionnaire_id, setting, tuple(sorted(answer_for.items())), note)
    questionnaire = load_shipped(questionnaire_id, QUESTIONNAIRE_VERSION)
    return {
        "id": questionnaire.id,
        "version": questionnaire.version,
        "answers": copy.deepcopy(answers),
    }


@functools.cache
def _walked(
    questionnaire_id: str, setting: str, answer_for: tuple[tuple[str, Any], ...], note: str
) -> dict[str, Any]:
    """Walk the questionnaire as the app does (only visible questions); cached, as a caseload
    repeats the same few combinations of answers many times."""
    chosen = dict(answer_for)
    walker = Walker(load_shipped(questionnaire_id, QUESTIONNAIRE_VERSION), {"setting": setting}, {})
    for _ in range(1000):
        step = walker.first_unanswered()
        if step is None:
            break
        walker.answer(step, _answer(step.question, chosen, note))
    return walker.answers


def _answer(question: Question, answer_for: dict[str, Any], note: str) -> Any:
    if question.id in answer_for:
        return answer_for[question.id]
    if question.type == "yesno":
        return "no"
    if question.type == "choice":
        return question.options[0].id
    if question.type == "multi":
        return [question.options[0].id]
    if question.type == "number":
        return question.minimum if question.minimum is not None else 1
    if question.type == "date":
        return "2020-01-01"
    return note


def _scan_answers(domains: Iterable[str]) -> dict[str, Any]:
    """One problem answer per chosen domain (its first indicator), "no" everywhere else."""
    chosen = set(domains)
    answers: dict[str, Any] = {}
    for question in load_shipped("probleemscan", QUESTIONNAIRE_VERSION).questions:
        if question.domain in chosen and question.problem_answers:
            answers[question.id] = question.problem_answers[0]
            chosen.discard(question.domain)
    assert not chosen, f"no indicator for {chosen}"
    return answers


def _birth_date(day: date, age: int) -> str:
    """A birth date that fits ``age`` on ``day`` (the two must agree): the birthday a month
    before (a 29 February birth avoided)."""
    month = day.month - 1 or 12
    year = day.year - age - (day.month == 1)
    return date(year, month, min(day.day, 28)).isoformat()


def answers_for(visit: Visit) -> dict[str, Any]:
    """The answers file (as a dict) a clinician would have produced for ``visit``."""
    note = "vrije tekst die nergens in een export mag staan"
    parts: list[dict[str, Any]] = []
    children = (
        {
            "child_count": len(visit.child_ages),
            "child_age": visit.child_ages[0],
            "child_birth_date": _birth_date(visit.day, visit.child_ages[0]),
        }
        if (visit.child_ages)
        else {}
    )
    signal = {"sig_other": "yes" if visit.signal else "no"}
    if visit.kind == "intake":
        parts.append(
            _walk(
                "kindcheck",
                visit.setting,
                {"has_minor_children": visit.has_children, "pregnancy": "no", **children, **signal},
                note,
            )
        )
    else:
        parts.append(
            _walk(
                "vervolggesprek",
                visit.setting,
                {**children, "repeat_scan": "yes" if visit.domains is not None else "no", **signal},
                note,
            )
        )
    if visit.domains is not None:
        scan = load_shipped("probleemscan", QUESTIONNAIRE_VERSION)
        assert all(q.type == "yesno" and q.show_if is None for q in scan.questions)
        problems = _scan_answers(visit.domains)  # every question shows: no walk needed
        answers = {q.id: problems.get(q.id, "no") for q in scan.questions}
        parts.append({"id": scan.id, "version": scan.version, "answers": answers})
    return {
        "format": "kindcheck-answers",
        "format_version": 1,
        "kind": visit.kind,
        "client": {"reference": visit.reference},
        "setting": visit.setting,
        "date": visit.day.isoformat(),
        "questionnaires": parts,
    }


@contextmanager
def clock(moment: datetime | date) -> Iterator[None]:
    """The wall clock (and so 'today' in Amsterdam) set to ``moment``; a date means 18:00."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(18, 0), AMSTERDAM)
    with time_machine.travel(moment, tick=False):
        yield


MELDCODE_STEPS = ("map_signals", "consult", "talk_with_client", "weigh", "decide")


def record_visits(store: Store, visits: Iterable[Visit]) -> None:
    """Record each visit on its own day (or at ``recorded_at``), as the app would."""
    for visit in visits:
        with clock(visit.recorded_at or visit.day):
            if visit.kind == "end_treatment":
                client = store.find_client(visit.reference, log=False)
                assert client is not None
                _end_treatment(store, client.id, visit.day)
                continue
            recorded = record(store, answers_for(visit))
            for step_id in MELDCODE_STEPS[: visit.meldcode_steps]:
                store.set_meldcode_step(recorded.session.id, step_id, visit.day)


def _end_treatment(store: Store, client_id: str, day: date) -> None:
    # Plans are read and saved through the service layer where there is one (main after the
    # store became a package), else through the store; drop the fallback once merged.
    try:
        from kindcheck.service import plans as service
    except ImportError:
        stored = store.get_plan(client_id)
        if stored is not None:
            store.save_plan(client_id, end_treatment(stored.plan, day), stored.rhythm)
        return
    current = service.get_plan(store, client_id)
    if current is not None:
        service.save_plan(store, client_id, end_treatment(current.plan, day), current.rhythm)
