"""The outcome JSON stored with a session, read back in both languages.

The vault stores an outcome as ``outcome_to_json`` made it when the session was saved: ids
(signals, concerns, domains, advice, hand-offs, events), the answers behind them and a few
texts in the language of that moment. :func:`outcome_section` turns it into an
:class:`~kindcheck.record.model.OutcomeSection` by looking every id up in the questionnaire
version the session names (and its catalog and Meldcode guide), so the record reads the same in
Dutch and English and says what was concluded then, not what today's rules would conclude. An
id that cannot be found (it should not happen: versions are never changed once shipped) keeps
the stored text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from kindcheck.answers import FOLLOWUP, KINDCHECK, SCAN, Session
from kindcheck.i18n import t
from kindcheck.questionnaire import LANGUAGES, Localized, Question, Questionnaire, Wording

from .labels import answer_label, both, literal, message
from .model import (
    ChildLine,
    ConcernLine,
    DomainLine,
    Named,
    OpenItemLine,
    OutcomeSection,
    ReasonLine,
    SignalLine,
)

T = TypeVar("T")


def _find(getter: Callable[[str], T], key: Any) -> T | None:
    """``getter(key)``, or None when ``key`` is no id or names nothing."""
    if not isinstance(key, str):
        return None
    try:
        return getter(key)
    except (StopIteration, KeyError, ValueError):
        return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _question(session: Session, question_id: Any, prefer: str | None = None) -> Question | None:
    """The question ``question_id`` of the session's questionnaires (``prefer`` first)."""
    if not isinstance(question_id, str):
        return None
    order = sorted(session.parts, key=lambda key: key != prefer)
    for key in order:
        questionnaire = session.parts[key].questionnaire
        if questionnaire.has_question(question_id):
            return questionnaire.question(question_id)
    return None


def asked_wording(session: Session) -> Wording | None:
    """Whom the questions spoke of (the first questionnaire's answers), as they were asked."""
    main = session.parts.get(KINDCHECK if session.kind == "intake" else FOLLOWUP)
    return main.questionnaire.wording(main.answers) if main is not None else None


def _qa(
    question: Question | None, value: Any, wording: Wording | None
) -> tuple[Localized | None, Localized | None]:
    if question is None:
        return None, None
    return question.worded(wording), answer_label(question, value)


def summary_text(data: Mapping[str, Any]) -> Localized:
    """The one-line summary of ``outcome_summary``, from the outcome JSON."""

    def line(lang: str) -> str:
        def counted(key: str, count: int) -> str:
            if count == 0:
                return t(f"outcome.summary.{key}_none", lang)
            if count == 1:
                return t(f"outcome.summary.{key}_one", lang)
            return t(f"outcome.summary.{key}_many", lang, count=count)

        parts = [counted("signals", len(data.get("safety_signals") or []))]
        if (_int(data.get("version")) or 1) >= 2:
            parts.append(counted("concerns", len(data.get("concerns") or [])))
        if data.get("open_items"):
            parts.append(counted("open_items", len(data["open_items"])))
        if data.get("check_closed"):
            parts.append(t("outcome.summary.check_closed", lang))
        elif not data.get("scan_done"):
            parts.append(t("outcome.summary.no_scan", lang))
        else:
            domains = counted("domains", _int(data.get("problem_domain_count")) or 0)
            if data.get("parenting_support_flag"):
                domains += " " + t("outcome.summary.flag", lang)
            parts.append(domains)
        return t("outcome.summary.line", lang, parts=", ".join(parts))

    return both(line)


def rhythm_text(rhythm: str | None, open_items: bool) -> Localized:
    """The follow-up line of the outcome (as ``outcome_lines`` ends)."""
    if rhythm:
        return both(lambda lang: t("outcome.rhythm", lang, rhythm=t(f"rhythm.{rhythm}", lang)))
    if open_items:
        return both(lambda lang: t("outcome.no_plan_yet", lang))
    return both(lambda lang: t("outcome.no_followup", lang))


def _signals(data: Mapping[str, Any], session: Session, main: Questionnaire) -> list[SignalLine]:
    lines: list[SignalLine] = []
    for raw in data.get("safety_signals") or []:
        if not isinstance(raw, dict):
            continue
        signal_id = str(raw.get("id", ""))
        question = _question(session, raw.get("question"), main.id)
        signal = None
        for part in session.parts.values():
            signal = _find(part.questionnaire.signal, signal_id)
            if signal is not None:
                break
        name = signal.name if signal is not None else literal(str(raw.get("name") or signal_id))
        text, answer = _qa(question, raw.get("answer"), asked_wording(session))
        lines.append(SignalLine(signal_id, name, text, answer))
    return lines


def _concerns(data: Mapping[str, Any], session: Session, main: Questionnaire) -> list[ConcernLine]:
    catalog = main.catalog
    lines: list[ConcernLine] = []
    for raw in data.get("concerns") or []:
        if not isinstance(raw, dict):
            continue
        concern_id = str(raw.get("id", ""))
        concern = _find(catalog.concern, concern_id) if catalog else None
        if concern is not None:
            name, steps = concern.name, concern.step_texts()
        else:
            name = literal(str(raw.get("name") or concern_id))
            steps = tuple(literal(str(s)) for s in raw.get("steps") or [])
        item = _int(raw.get("item"))
        question = _question(session, raw.get("question"), main.id)
        text, answer = _qa(question, raw.get("answer"), asked_wording(session))
        lines.append(
            ConcernLine(
                concern_id,
                name,
                bool(raw.get("acute")),
                None if item is None else item + 1,
                text,
                answer,
                steps,
            )
        )
    return lines


def _open_items(
    data: Mapping[str, Any], session: Session, main: Questionnaire
) -> list[OpenItemLine]:
    lines: list[OpenItemLine] = []
    for raw in data.get("open_items") or []:
        if not isinstance(raw, dict):
            continue
        question = _question(session, raw.get("question"), main.id)
        reask_on = _date(raw.get("reask_on"))
        item = _int(raw.get("item"))
        if question is not None and question.open_item is not None:
            text = question.open_item
        elif question is not None and question.role == "has_children" and reask_on:
            day = reask_on.isoformat()
            text = Localized(*(t("outcome.children_unknown", lang, day=day) for lang in LANGUAGES))
        else:
            text = literal(str(raw.get("text") or ""))
        lines.append(
            OpenItemLine(
                str(raw.get("question", "")), None if item is None else item + 1, text, reask_on
            )
        )
    return lines


def _children(data: Mapping[str, Any]) -> list[ChildLine]:
    lines: list[ChildLine] = []
    for raw in data.get("children") or []:
        if not isinstance(raw, dict):
            continue
        living = raw.get("living")
        lines.append(
            ChildLine(
                number=_int(raw.get("number")) or len(lines) + 1,
                age=_int(raw.get("age")),
                birth_date=_date(raw.get("birth_date")),
                living=message(f"living.{living}") if isinstance(living, str) else None,
            )
        )
    return lines


def _domains(
    data: Mapping[str, Any], scan: Questionnaire | None, wording: Wording | None
) -> list[DomainLine]:
    reasons = data.get("domain_reasons") or {}
    advice_ids = data.get("advice_ids") or {}
    stored_advice = data.get("advice") or {}
    lines: list[DomainLine] = []
    for domain_id in data.get("problem_domains") or []:
        domain = _find(scan.domain, domain_id) if scan else None
        name = domain.name if domain is not None else literal(str(domain_id))
        reason_lines: list[ReasonLine] = []
        for raw in reasons.get(domain_id) or []:
            question_id = str(raw.get("question", "")) if isinstance(raw, dict) else ""
            question = (
                scan.question(question_id) if scan and scan.has_question(question_id) else None
            )
            value = raw.get("answer") if isinstance(raw, dict) else None
            reason_lines.append(
                ReasonLine(
                    question_id,
                    question.worded(wording) if question else literal(question_id),
                    answer_label(question, value) if question else literal(str(value)),
                )
            )
        advice: list[Localized] = []
        wanted = advice_ids.get(domain_id)
        if domain is not None and isinstance(wanted, list):
            by_id = {item.id: item.text for item in domain.advice}
            advice = [by_id[i] for i in wanted if i in by_id]
        if not advice:
            stored = stored_advice.get(domain_id)
            texts = stored if isinstance(stored, list) else [stored] if stored else []
            advice = [literal(str(text)) for text in texts]
        lines.append(DomainLine(str(domain_id), name, tuple(reason_lines), tuple(advice)))
    return lines


def outcome_section(data: Mapping[str, Any], session: Session, source: str) -> OutcomeSection:
    """The stored (or recomputed) outcome JSON of ``session``, in both languages."""
    main = session.parts[KINDCHECK if session.kind == "intake" else FOLLOWUP].questionnaire
    scan_part = session.parts.get(SCAN)
    scan = scan_part.questionnaire if scan_part is not None else None
    catalog = main.catalog
    version = _int(data.get("version")) or 1
    signals = _signals(data, session, main)
    concerns = _concerns(data, session, main)
    acute: tuple[Localized, ...] = ()
    if version >= 2:
        from kindcheck.questionnaire import load_guide

        guide = load_guide(2)
        if signals:
            acute = (guide.acute_line, guide.veilig_thuis_line)
        elif any(concern.acute for concern in concerns):
            acute = (guide.acute_line,)
    handoffs: list[Named] = []
    for handoff_id in data.get("handoffs_offered") or []:
        handoff = _find(catalog.handoff, handoff_id) if catalog else None
        handoffs.append(
            Named(handoff_id, handoff.name, handoff.what)
            if handoff
            else Named(str(handoff_id), literal(str(handoff_id)))
        )
    events: list[Named] = []
    for event_id in data.get("events") or []:
        event = _find(catalog.event, event_id) if catalog else None
        events.append(
            Named(event_id, event.name) if event else Named(str(event_id), literal(str(event_id)))
        )
    open_items = _open_items(data, session, main)
    rhythm = data.get("followup_rhythm")
    rhythm = rhythm if isinstance(rhythm, str) else None
    due = _date(data.get("pregnancy_due_date"))
    return OutcomeSection(
        source=source,
        version=version,
        summary=summary_text(data),
        acute=acute,
        signals=tuple(signals),
        concerns=tuple(concerns),
        open_items=tuple(open_items),
        check_closed=bool(data.get("check_closed")),
        has_minor_children=_text_or_none(data.get("has_minor_children")),
        pregnancy=_text_or_none(data.get("pregnancy")),
        pregnancy_due=due,
        children=tuple(_children(data)),
        scan_done=bool(data.get("scan_done")),
        domains=tuple(_domains(data, scan, asked_wording(session))),
        domain_count=_int(data.get("problem_domain_count")) or 0,
        threshold=_int(data.get("stacking_threshold")) or 3,
        flag=bool(data.get("parenting_support_flag")),
        scp_area_count=_int(data.get("scp_area_count")),
        handoffs_offered=tuple(handoffs),
        events=tuple(events),
        rhythm=rhythm,
        rhythm_text=rhythm_text(rhythm, bool(open_items)),
        data=dict(data),
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
