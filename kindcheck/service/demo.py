"""``kindcheck demo``: a throwaway vault with about 20 synthetic clients in varied states.

The data only (no Textual): kindcheck.screens.launch runs the app on it.

No children, children without problems, 1-2 problem domains, stacking (3 or more), a safety
signal with some Meldcode steps done, follow-ups due and overdue, and a draft to resume: so a
new user can look around at once. Every reference is made up (DEMO-001 ...).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from kindcheck.dates import AMSTERDAM
from kindcheck.questionnaire import Step, Walker
from kindcheck.store import STATE_DIR_ENV, recorded_as_of

from .intake import Intake
from .vault_service import VaultService

__all__ = [
    "DEMO_PASSPHRASE",
    "DEMO_USER",
    "DemoClient",
    "build_demo_service",
    "demo_clients",
    "demo_intake",
]

DEMO_PASSPHRASE = "demo demo demo demo"
DEMO_USER = "Demo"


@dataclass(frozen=True)
class DemoClient:
    reference: str
    days_ago: int
    children: tuple[tuple[int, str], ...] = ()  # (age, living)
    pregnancy: bool = False
    signals: frozenset[str] = frozenset()  # Kindcheck question ids answered "yes"
    problems: frozenset[str] = frozenset()  # problem-scan question ids answered "yes"
    setting: str = "ggz"
    name: str | None = None
    meldcode_done: tuple[str, ...] = ()


FIN = frozenset({"fin_debts"})
THREE = frozenset({"fin_debts", "won_too_small", "net_no_fallback"})
FOUR = frozenset({"fin_arrears", "werk_no_activity", "adm_letters", "opv_worries"})


def demo_clients() -> list[DemoClient]:
    """The synthetic caseload, deterministic."""
    return [
        DemoClient("DEMO-001", 3),
        DemoClient("DEMO-002", 10, children=((4, "always"), (9, "always"))),
        DemoClient("DEMO-003", 20, children=((15, "part_time"),), problems=FIN),
        DemoClient("DEMO-004", 120, children=((2, "always"),), problems=THREE),
        DemoClient(
            "DEMO-005",
            30,
            children=((7, "always"), (11, "elsewhere")),
            signals=frozenset({"sig_domestic_violence"}),
            problems=THREE,
            meldcode_done=("map_signals", "consult"),
        ),
        DemoClient("DEMO-006", 200, children=((16, "always"),)),
        DemoClient("DEMO-007", 45, pregnancy=True),
        DemoClient(
            "DEMO-008", 5, setting="sociaal_domein", children=((6, "always"),), problems=FOUR
        ),
        DemoClient(
            "DEMO-009",
            100,
            children=((1, "always"), (3, "always"), (5, "always")),
            problems=FIN | frozenset({"hh_household"}),
        ),
        DemoClient(
            "DEMO-010",
            60,
            signals=frozenset({"sig_neglect"}),
            children=((8, "always"),),
            problems=FOUR,
        ),
        DemoClient("DEMO-011", 14),
        DemoClient("DEMO-012", 95, children=((12, "part_time"),)),
        DemoClient(
            "DEMO-013",
            50,
            setting="sociaal_domein",
            children=((10, "always"),),
            problems=THREE | FOUR,
        ),
        DemoClient("DEMO-014", 8, children=((17, "elsewhere"),)),
        DemoClient("DEMO-015", 180, children=((9, "always"),), problems=FIN),
        DemoClient(
            "DEMO-016",
            2,
            signals=frozenset({"sig_weapon"}),
            children=((13, "always"),),
            meldcode_done=("map_signals",),
        ),
        DemoClient("DEMO-017", 70),
        DemoClient("DEMO-018", 92, children=((5, "always"), (7, "always")), problems=THREE),
        DemoClient("DEMO-019", 25, children=((3, "part_time"),), pregnancy=True),
        DemoClient(
            "DEMO-020", 150, setting="sociaal_domein", children=((14, "always"),), problems=FOUR
        ),
    ]


def _fill(walker: Walker, choose: Callable[[Step], object]) -> None:
    """Answer every visible step in order with ``choose(step)``; None leaves it empty.

    Conditions only look at earlier answers, so the steps before the current one stay put
    while later ones appear or disappear.
    """
    index = 0
    while index < len(steps := walker.steps()):
        step = steps[index]
        if walker.get(step) is None:
            value = choose(step)
            if value is not None:
                walker.answer(step, value)
            elif step.question.required:
                raise RuntimeError(f"demo: no answer for {step.key}")
        index += 1


# The synthetic caseload was recorded with the version-1 questionnaires, as a vault in use
# today holds them (they stay readable and are shown as recorded); new sessions are version 2.
DEMO_VERSION = 1


def demo_intake(client: DemoClient, today: date) -> Intake:
    intake = Intake(
        reference=client.reference,
        setting=client.setting,
        started=today - timedelta(days=client.days_ago),
        name=client.name,
        version=DEMO_VERSION,
    )
    children = client.children

    def kindcheck_answer(step: Step) -> object:
        question = step.question
        qid = question.id
        if question.role == "has_children":
            return "yes" if children else "no"
        if question.role == "pregnancy":
            return "yes" if client.pregnancy else "no"
        if question.role == "pregnancy_due_date":
            return (today + timedelta(days=90)).isoformat()
        if question.role == "child_count":
            return len(children)
        item = step.item or 0
        if question.role == "child_age":
            return children[item][0]
        if question.role == "child_living":
            return children[item][1]
        if qid in client.signals:
            return "yes"
        if question.type == "yesno":
            return "no" if qid.startswith("sig_") else "yes"
        if question.type == "choice":
            return question.options[0].id
        return None  # optional dates and free text stay empty

    _fill(intake.kindcheck, kindcheck_answer)
    if not intake.check_closed():
        _fill(intake.scan, lambda step: "yes" if step.question.id in client.problems else "no")
    return intake


@contextmanager
def state_kept_in(folder: Path) -> Iterator[None]:
    """While a demo runs, the vault's rollback counter is kept in ``folder`` (the throwaway
    vault's own), not in the user's state folder where it would stay behind."""
    before = os.environ.get(STATE_DIR_ENV)
    os.environ[STATE_DIR_ENV] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(STATE_DIR_ENV, None)
        else:
            os.environ[STATE_DIR_ENV] = before


def build_demo_service(
    folder: Path, today: date | None = None, passphrase: str = DEMO_PASSPHRASE
) -> VaultService:
    """A new vault in ``folder`` with the synthetic caseload; returned unlocked."""
    from kindcheck.outcome import compute_outcome

    today = today or date.today()
    service = VaultService(folder, clock=lambda: today)
    service.create(passphrase, DEMO_USER)
    for client in demo_clients():
        intake = demo_intake(client, today)
        session = intake.session()
        outcome = compute_outcome(session)
        steps = (
            {
                step_id: session.session_date + timedelta(days=1 + n)
                for n, step_id in enumerate(client.meldcode_done)
            }
            if outcome.meldcode
            else {}
        )
        # Recorded on the day it was held, as in practice (the export's periods are the
        # months sessions were recorded in).
        moment = datetime.combine(session.session_date, time(17, 0), AMSTERDAM)
        with recorded_as_of(moment):
            service.record(session, outcome, meldcode_steps=steps)
    # One intake left half-way, to resume from the overview.
    rng = random.Random(7)
    draft = Intake(reference="DEMO-021", setting="ggz", started=today, version=DEMO_VERSION)
    walker = draft.kindcheck
    walker.answer(walker.steps()[0], "yes")
    walker.answer(walker.steps()[1], "no")
    count_step = next(s for s in walker.steps() if s.question.role == "child_count")
    walker.answer(count_step, 2)
    age_step = next(s for s in walker.steps() if s.question.role == "child_age")
    walker.answer(age_step, rng.choice([3, 6, 9]))
    resume = walker.first_unanswered()
    draft.position = resume.key if resume is not None else None
    service.save_draft(draft.draft_id, draft.to_payload(), 1, draft.reference)
    return service
