"""From a validated session to its outcome.

A session answered with version-1 questionnaires keeps the version-1 rules, so it reads as it
was recorded:

- Safety signals come from every answer given, shown or hidden: no combination of other
  answers can hide one. Any signal puts the Meldcode steps first.
- A domain counts when any of its shown indicators has a problem answer; the count reaching
  the questionnaire's threshold (default 3) raises the flag "hulp bij opvoeden". Advice per
  domain is given for every counted domain, the flag comes on top.
- No minor children and no pregnancy closes the check, and that result is recorded.
- The follow-up rhythm is the default of kindcheck.followup.policy (safety first, then
  stacking, then the 3-monthly rhythm for minor children or a pregnancy).

A format-2 session adds, in this order (docs/CLINICAL.md has every rule with its source):

1. Signals, from every answer of the main questionnaire (shown or hidden, per child too). A
   signal whose ``requires`` does not hold raises its ``otherwise_concern`` instead.
2. Concerns, from shown answers, each with its next steps; open items, from shown answers:
   every unknown that matters, with what to do, and a date to ask again where the
   questionnaire says so.
3. Domains, as in version 1, over the scan with the main questionnaire's ``same_as`` answers;
   and the number of SCP areas among the problems.
4. Advice per counted domain, each item filtered by its ``only_if``/``not_if`` over the
   outcome context: with a violence signal no mediation is ever advised.
5. Hand-offs to offer (``offer_if`` and not ``not_if``).
6. The acute lines, first: "Bij acuut gevaar: bel 112" and Veilig Thuis with any signal; the
   112 line alone with an acute concern.
7. Events named in a follow-up; the rhythm (a concern with children tightens it to 6 weeks;
   while a Meldcode process is open the 2-weekly rhythm holds).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kindcheck.answers import FOLLOWUP, KINDCHECK, SCAN, Part, Session, kindcheck_closed
from kindcheck.conditions import Lookup, Node, truthy
from kindcheck.followup import default_rhythm, rhythm_while_meldcode_open
from kindcheck.i18n import t
from kindcheck.questionnaire import (
    LANGUAGES,
    AdviceItem,
    Catalog,
    Event,
    Localized,
    MeldcodeGuide,
    Question,
    Questionnaire,
    Walker,
    load_guide,
)

from .model import (
    REASK_DAYS,
    ChildInView,
    OpenItem,
    Outcome,
    ProblemDomain,
    RaisedConcern,
    Reason,
    SafetySignal,
)


def meldcode_guide() -> MeldcodeGuide:
    """The version-1 Meldcode guide (meldcode.toml)."""
    return load_guide(1)


def _answer_values(question: Question, answers: dict[str, Any]) -> list[tuple[int | None, Any]]:
    """(item, value) of every answer given to ``question``; item is None outside a group."""
    if question.repeat is None:
        return [(None, answers.get(question.id))]
    items = answers.get(question.repeat)
    if not isinstance(items, list):
        return []
    return [
        (index, item.get(question.id)) for index, item in enumerate(items) if isinstance(item, dict)
    ]


def safety_signals(part: Part) -> list[SafetySignal]:
    """Every signal raised by any answer of the part, whether or not its question is shown
    (the version-1 rule; format 2 adds ``requires``, see :func:`compute_outcome`)."""
    questionnaire = part.questionnaire
    found: list[SafetySignal] = []
    for question in questionnaire.questions:
        if question.signal is None:
            continue
        for _item, value in _answer_values(question, part.answers):
            if question.raises_signal(value):
                name = questionnaire.signal(question.signal).name
                found.append(
                    SafetySignal(question.signal, name, question.id, value, questionnaire.id)
                )
                break
    return found


def problem_domains(
    scan: Questionnaire, visible: dict[str, Any], lookup: Lookup | None = None
) -> list[ProblemDomain]:
    """The domains with at least one shown indicator answered as a problem, in file order.

    ``lookup`` reads the outcome context for the advice items' conditions; without it every
    item without ``only_if`` is kept (the progress line only needs the domains)."""
    domains: list[ProblemDomain] = []
    for domain in scan.domains:
        reasons = tuple(
            Reason(question.id, question.text, visible[question.id])
            for question in scan.questions
            if question.domain == domain.id and question.is_problem(visible.get(question.id))
        )
        if reasons:
            advice = tuple(item for item in domain.advice if _advice_shown(item, lookup))
            domains.append(ProblemDomain(domain.id, domain.name, advice, reasons))
    return domains


def _advice_shown(item: AdviceItem, lookup: Lookup | None) -> bool:
    if lookup is None:
        return item.only_if is None
    if item.only_if is not None and not truthy(item.only_if.evaluate(lookup)):
        return False
    return not (item.not_if is not None and truthy(item.not_if.evaluate(lookup)))


def scp_area_count(scan: Questionnaire, visible: dict[str, Any]) -> int:
    """The number of distinct SCP areas among the shown problem answers ("none" not counted)."""
    return len(
        {
            question.scp_area
            for question in scan.questions
            if question.scp_area not in (None, "none")
            and question.is_problem(visible.get(question.id))
        }
    )


def children_in_view(questionnaire: Questionnaire, visible: dict[str, Any]) -> list[ChildInView]:
    age_question = questionnaire.by_role("child_age")
    if age_question is None or age_question.repeat is None:
        return []

    def role_id(role: str) -> str | None:
        question = questionnaire.by_role(role)
        return question.id if question else None

    items = visible.get(age_question.repeat, [])
    children: list[ChildInView] = []
    for number, item in enumerate(items, 1):
        birth = item.get(role_id("child_birth_date") or "")
        children.append(
            ChildInView(
                number=number,
                age=item.get(age_question.id),
                birth_date=date.fromisoformat(birth) if birth else None,
                living=item.get(role_id("child_living") or ""),
                shared_care=item.get(role_id("child_shared_care") or ""),
            )
        )
    return children


def _role_value(questionnaire: Questionnaire, visible: dict[str, Any], role: str) -> Any:
    question = questionnaire.by_role(role)
    return visible.get(question.id) if question else None


def compute_outcome(
    session: Session,
    *,
    meldcode_open: bool = False,
    open_handoffs: int = 0,
    group: str | None = None,
) -> Outcome:
    """The outcome of one validated session (an intake or a follow-up).

    From the vault: ``meldcode_open`` (the client has an open Meldcode process),
    ``open_handoffs`` (warm hand-offs not yet confirmed) and ``group`` (the user's professional
    group, for the afwegingskader). They change only format-2 outcomes; ``kindcheck outcome
    FILE`` leaves them at their defaults.
    """
    main = session.parts[KINDCHECK if session.kind == "intake" else FOLLOWUP]
    if main.questionnaire.format == 2:
        return _outcome_v2(session, main, meldcode_open, open_handoffs, group)
    return _outcome_v1(session, main)


def _outcome_v1(session: Session, main: Part) -> Outcome:
    context = {"setting": session.setting}
    visible = Walker(main.questionnaire, context, main.answers).visible_answers()
    children = children_in_view(main.questionnaire, visible)
    has_children = _role_value(main.questionnaire, visible, "has_children")
    if has_children is None and session.kind == "followup":
        has_children = "yes" if children else None
    pregnancy = _role_value(main.questionnaire, visible, "pregnancy")
    due = _role_value(main.questionnaire, visible, "pregnancy_due_date")
    check_closed = session.kind == "intake" and kindcheck_closed(main, session.setting)

    signals = [signal for part in session.parts.values() for signal in safety_signals(part)]
    scan_part = session.parts.get(SCAN)
    domains: list[ProblemDomain] = []
    threshold = 3
    if scan_part is not None:
        threshold = scan_part.questionnaire.stacking_threshold
        scan_visible = Walker(scan_part.questionnaire, context, scan_part.answers).visible_answers()
        domains = problem_domains(scan_part.questionnaire, scan_visible)

    minors_or_pregnancy = bool(children) or has_children == "yes" or pregnancy == "yes"
    rhythm = default_rhythm(
        # A signal of unsafety is followed up even without children: the Meldcode also
        # covers domestic violence between adults.
        has_children_or_pregnancy=minors_or_pregnancy or bool(signals),
        safety_signal=bool(signals),
        problem_domain_count=len(domains),
        threshold=threshold,
    )
    open_items: tuple[OpenItem, ...] = ()
    counter = main.questionnaire.by_role("has_children")
    if session.kind == "intake" and has_children == "unknown" and counter is not None:
        # Version 1 said "ask again" without a date; the date makes it an item on the due list.
        reask_on = session.session_date + timedelta(days=REASK_DAYS)
        day = reask_on.isoformat()
        text = Localized(*(t("outcome.children_unknown", lang, day=day) for lang in LANGUAGES))
        open_items = (OpenItem(counter.id, None, "unknown", text, reask_on),)
    return Outcome(
        kind=session.kind,
        children=tuple(children),
        has_children=has_children,
        pregnancy=pregnancy,
        pregnancy_due=date.fromisoformat(due) if due else None,
        check_closed=check_closed,
        safety_signals=tuple(signals),
        meldcode=meldcode_guide() if signals else None,
        scan_done=scan_part is not None,
        problem_domains=tuple(domains),
        stacking_threshold=threshold,
        followup_rhythm=rhythm,
        version=1,
        session_date=session.session_date,
        open_items=open_items,
    )


def _holds(node: Node | None, lookup: Lookup) -> bool:
    """An absent condition holds."""
    return node is None or truthy(node.evaluate(lookup))


class _Raised:
    """Signals, concerns and open items in the order their questions stand, each id once."""

    def __init__(self, catalog: Catalog, main: Questionnaire, requires: Lookup) -> None:
        self.catalog = catalog
        self.main = main
        self.requires = requires
        self.signals: dict[str, SafetySignal] = {}
        self.concerns: dict[str, RaisedConcern] = {}
        self.open_items: list[OpenItem] = []

    def concern(self, concern_id: str, question: Question, item: int | None, value: Any) -> None:
        if concern_id in self.concerns:
            return
        concern = self.catalog.concern(concern_id)
        self.concerns[concern_id] = RaisedConcern(
            concern.id,
            concern.name,
            question.id,
            item,
            value,
            concern.step_texts(),
            concern.acute,
        )

    def signal(self, question: Question, item: int | None, value: Any) -> None:
        signal = self.catalog.signal(question.signal or "")
        if _holds(signal.requires, self.requires):
            if signal.id not in self.signals:
                self.signals[signal.id] = SafetySignal(
                    signal.id, signal.name, question.id, value, self.main.id
                )
        elif signal.otherwise_concern is not None:
            self.concern(signal.otherwise_concern, question, item, value)

    def shown(self, question: Question, item: int | None, value: Any, reask_on: date) -> None:
        if (
            question.concern is not None
            and question.raises_concern(value)
            and _holds(self.catalog.concern(question.concern).requires, self.requires)
        ):
            self.concern(question.concern, question, item, value)
        if question.open_item is not None and question.opens_item(value):
            self.open_items.append(
                OpenItem(
                    question.id,
                    item,
                    value,
                    question.open_item,
                    reask_on if question.reask == "next_contact" else None,
                )
            )


def _outcome_v2(
    session: Session, main: Part, meldcode_open: bool, open_handoffs: int, group: str | None
) -> Outcome:
    questionnaire = main.questionnaire
    catalog = questionnaire.catalog
    if catalog is None:  # the loader refuses a format-2 questionnaire without one
        raise ValueError(f"{questionnaire.key} has no catalog")
    guide = load_guide(2)
    context = {"setting": session.setting, "open_handoffs": open_handoffs}
    walker = Walker(questionnaire, context, main.answers)
    visible = walker.visible_answers()
    requires = walker.lookup()

    raised = _Raised(catalog, questionnaire, requires)
    reask_on = session.session_date + timedelta(days=REASK_DAYS)
    for question in questionnaire.questions:
        shown_values = dict(_answer_values(question, visible))
        for item, value in _answer_values(question, main.answers):
            if question.signal is not None and question.raises_signal(value):
                raised.signal(question, item, value)
            if item in shown_values and shown_values[item] is not None:
                raised.shown(question, item, shown_values[item], reask_on)

    children = children_in_view(questionnaire, visible)
    has_children = _role_value(questionnaire, visible, "has_children")
    if has_children is None and session.kind == "followup":
        has_children = "yes" if children else None
    pregnancy = _role_value(questionnaire, visible, "pregnancy")
    due = _role_value(questionnaire, visible, "pregnancy_due_date")
    check_closed = session.kind == "intake" and kindcheck_closed(main, session.setting)

    scan_part = session.parts.get(SCAN)
    threshold, scan_visible = 3, {}
    if scan_part is not None:
        threshold = scan_part.questionnaire.stacking_threshold
        scan_visible = Walker(
            scan_part.questionnaire, context, scan_part.answers, visible
        ).visible_answers()
        counted = problem_domains(scan_part.questionnaire, scan_visible)
    else:
        counted = []
    signals = list(raised.signals.values())
    concerns = list(raised.concerns.values())
    outcome_context: dict[str, Any] = {
        "setting": session.setting,
        "signals": [s.id for s in signals],
        "concerns": [c.id for c in concerns],
        "domains": [d.id for d in counted],
        "domain_count": len(counted),
        "flag": scan_part is not None and len(counted) >= threshold,
        "minors": has_children,
        "pregnancy": pregnancy,
        "meldcode_open": meldcode_open,
    }
    lookup = outcome_context.get
    domains = (
        problem_domains(scan_part.questionnaire, scan_visible, lookup)
        if scan_part is not None
        else []
    )
    handoffs = tuple(
        handoff
        for handoff in catalog.handoffs
        if truthy(handoff.offer_if.evaluate(lookup))
        and not (handoff.not_if is not None and truthy(handoff.not_if.evaluate(lookup)))
    )
    if signals:
        acute_lines: tuple[Localized, ...] = (guide.acute_line, guide.veilig_thuis_line)
    elif any(concern.acute for concern in concerns):
        acute_lines = (guide.acute_line,)
    else:
        acute_lines = ()
    events: list[Event] = []
    for question in questionnaire.questions:
        chosen = visible.get(question.id) if question.records_events else None
        if isinstance(chosen, list):
            for event_id in chosen:
                if catalog.has_event(event_id) and event_id not in (e.id for e in events):
                    events.append(catalog.event(event_id))

    minors_or_pregnancy = bool(children) or has_children == "yes" or pregnancy == "yes"
    rhythm = default_rhythm(
        has_children_or_pregnancy=minors_or_pregnancy or bool(signals),
        safety_signal=bool(signals),
        problem_domain_count=len(domains),
        threshold=threshold,
        concern=bool(concerns) and minors_or_pregnancy,
    )
    return Outcome(
        kind=session.kind,
        children=tuple(children),
        has_children=has_children,
        pregnancy=pregnancy,
        pregnancy_due=date.fromisoformat(due) if due else None,
        check_closed=check_closed,
        safety_signals=tuple(signals),
        meldcode=guide if signals else None,
        scan_done=scan_part is not None,
        problem_domains=tuple(domains),
        stacking_threshold=threshold,
        followup_rhythm=rhythm_while_meldcode_open(rhythm, meldcode_open),
        version=2,
        session_date=session.session_date,
        acute_lines=acute_lines,
        # Acute concerns first: they come with the 112 line.
        concerns=tuple(sorted(concerns, key=lambda concern: not concern.acute)),
        open_items=tuple(raised.open_items),
        handoffs_offered=handoffs,
        events=tuple(events),
        scp_area_count=(
            scp_area_count(scan_part.questionnaire, scan_visible) if scan_part is not None else None
        ),
        professional_group=guide.group(group),
        meldcode_open=meldcode_open,
    )
