"""One session in progress: the answers so far, where the clinician is, and its draft form.

A session is an intake (the Kindcheck, then the problem scan unless the check closed) or a
follow-up conversation (``vervolggesprek``, then the problem scan only when ``repeat_scan`` is
"yes"). Both walk the same way, so one class and one screen serve both.

Plain Python (no Textual): the screens change an :class:`Intake` answer by answer, and the walk
through a session is tested without starting the app. The first questionnaire is asked one
question at a time; the problem scan one domain per page. The draft payload
(:meth:`Intake.to_payload`) is what the store keeps encrypted after every answer, so that a
session resumes exactly where it was after a crash or a lock. The answers file a finished
session becomes is built by :meth:`kindcheck.answers.Session.to_dict`, the one writer of that
format.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kindcheck.answers import (
    FOLLOWUP,
    KINDCHECK,
    MAX_NAME,
    SCAN,
    HandoffRecord,
    Part,
    Session,
    closes_kindcheck,
    session_from_dict,
)
from kindcheck.child_dates import ChildDateProblem, child_date_problem
from kindcheck.conditions import truthy
from kindcheck.dates import parse_date_text
from kindcheck.errors import KindcheckError
from kindcheck.outcome import Outcome, compute_outcome, outcome_summary, problem_domains
from kindcheck.questionnaire import (
    SETTINGS,
    Localized,
    Question,
    Questionnaire,
    Step,
    Walker,
    Wording,
    clean_text,
    load_shipped,
    parse_user_input,
)
from kindcheck.questionnaire.shipped import shipped_versions

DRAFT_FORMAT = 1
# New sessions use the newest questionnaires (version 2). A draft begun on version 1 is
# finished on version 1 (its answers fit those questions), and stored sessions of either
# version are read with their own.
APP_QUESTIONNAIRE_VERSION = 2
# "kindcheck" is the phase of the first questionnaire (the Kindcheck or, in a follow-up, the
# conversation); the name stays so that drafts stored by earlier versions resume.
PHASES = ("kindcheck", "scan", "outcome")
KINDS = ("intake", "followup")
# The calendar export only accepts pseudonymous codes (kindcheck.followup): no spaces, so a name
# such as "Jan Jansen" cannot pass, and at least one digit, so a lone surname cannot either.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,62}")


class ReferenceInvalid(KindcheckError):
    """A client reference that is not an EPD number or pseudonym."""


def check_reference(text: str) -> str:
    """The reference as stored, or ReferenceInvalid (the message is an i18n key)."""
    reference = clean_text(text).strip()
    if not reference:
        raise ReferenceInvalid("ui.intake.reference_missing")
    if not _REFERENCE.fullmatch(reference) or not any(ch.isdigit() for ch in reference):
        raise ReferenceInvalid("ui.intake.reference_invalid")
    return reference


def typed_answer(question: Question, text: str) -> Any:
    """What a clinician typed for a number, date or text question, as the answer to store (a
    date as 25-11-2026 or ISO). AnswersError or ValueError when it is not such an answer."""
    return parse_user_input(question, parse_date_text(text) if question.type == "date" else text)


def check_name(text: str) -> str | None:
    name = " ".join(clean_text(text).split())
    if len(name) > MAX_NAME:
        raise ReferenceInvalid("ui.intake.name_too_long")
    return name or None


@dataclass(frozen=True)
class ScanPage:
    """One page of the problem scan: a domain and its visible indicators."""

    domain_id: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class PreviousSession:
    """What a follow-up compares with: the client's sessions before it (from the store)."""

    held_on: date
    scan_on: date | None = None  # the latest session with a problem scan
    scan_count: int | None = None  # its number of problem domains
    signals: tuple[str, ...] = ()  # signal ids raised in the latest session
    meldcode_since: date | None = None  # the session that opened a Meldcode process still on
    # What a version-2 outcome depends on (compute_outcome): the Meldcode process is open (not
    # closed), and the warm hand-offs whose help is not yet confirmed to have started.
    meldcode_open: bool = False
    open_handoffs: int = 0

    def to_payload(self) -> dict[str, Any]:
        return {
            "held_on": self.held_on.isoformat(),
            "scan_on": self.scan_on.isoformat() if self.scan_on else None,
            "scan_count": self.scan_count,
            "signals": list(self.signals),
            "meldcode_since": self.meldcode_since.isoformat() if self.meldcode_since else None,
            "meldcode_open": self.meldcode_open,
            "open_handoffs": self.open_handoffs,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> PreviousSession:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) else None

        held_on = day(data.get("held_on"))
        if held_on is None:
            raise ValueError("held_on")
        count = data.get("scan_count")
        handoffs = data.get("open_handoffs")
        return cls(
            held_on,
            day(data.get("scan_on")),
            count if isinstance(count, int) and not isinstance(count, bool) else None,
            tuple(str(s) for s in data.get("signals") or ()),
            day(data.get("meldcode_since")),
            data.get("meldcode_open") is True,
            handoffs if isinstance(handoffs, int) and not isinstance(handoffs, bool) else 0,
        )


def estimated_ages(
    children: list[tuple[int | None, date | None]], seen_on: date, today: date
) -> list[int]:
    """The children's ages today, from (age, birth date) as recorded on ``seen_on``.

    A birth date gives the exact age; an age alone is moved on by the whole years since
    (the child may have had a birthday more: the clinician confirms every age). Children
    who are 18 by now are left out: they no longer count as minors.
    """
    ages: list[int] = []
    for age, birth_date in children:
        if birth_date is not None:
            now = (
                today.year
                - birth_date.year
                - ((today.month, today.day) < (birth_date.month, birth_date.day))
            )
        elif age is not None:
            years = (
                today.year
                - seen_on.year
                - ((today.month, today.day) < (seen_on.month, seen_on.day))
            )
            now = age + max(0, years)
        else:
            continue
        if 0 <= now <= 17:
            ages.append(now)
    return ages


@dataclass(frozen=True)
class Progress:
    """A question's place in its part: "Kindcheck · Kind 1 · 3/7" (see Intake.progress)."""

    title: Localized
    child: tuple[str | None, str | None]  # the child's label in nl and en, in a repeat group
    number: int
    total: int

    def label(self, lang: str) -> str:
        """The part's name: the child's ("Kind 1") where the part is per child."""
        child = self.child[0] if lang == "nl" else self.child[1]
        return child or self.title.get(lang)


@dataclass
class Intake:
    """A session being filled in (an intake or a follow-up conversation). Mutable: the screens
    change it answer by answer."""

    reference: str
    setting: str
    started: date
    name: str | None = None
    kind: str = "intake"
    draft_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    phase: str = "kindcheck"
    position: str | None = None
    pending_text: dict[str, str] = field(default_factory=dict)
    meldcode_steps: dict[str, str | None] = field(default_factory=dict)
    rhythm: str | None = None
    rhythm_changed: bool = False
    suggested: set[str] = field(default_factory=set)
    """Answers proposed for the clinician to confirm and not confirmed yet: scan answers the
    questionnaire pre-marks, and in a follow-up the children as the last session left them."""
    previous: PreviousSession | None = None
    """For a follow-up: the session before it, to compare with."""
    version: int = APP_QUESTIONNAIRE_VERSION
    """The questionnaires' version: the newest for a new session, a draft's own when resumed."""
    group: str | None = None
    """The user's professional group (for the afwegingskader of a version-2 outcome)."""
    handoffs: list[HandoffRecord] = field(default_factory=list)
    """Warm hand-offs agreed on the outcome page (version 2)."""
    main: Walker = field(init=False)
    """The first questionnaire: the Kindcheck, or the follow-up conversation."""
    scan: Walker = field(init=False)
    _closing_check: Walker | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.setting not in SETTINGS:
            raise ValueError(f"unknown setting {self.setting!r}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.version not in (1, 2):
            raise ValueError(f"unknown questionnaire version {self.version!r}")
        main_context: dict[str, Any] = {"setting": self.setting}
        if self.version >= 2:
            # A follow-up asks whether agreed help started while any is open.
            main_context["open_handoffs"] = self.previous.open_handoffs if self.previous else 0
        self.main = Walker(load_shipped(self.main_id, self.version), main_context)
        self.scan = Walker(
            load_shipped(SCAN, self.version),
            {"setting": self.setting},
            None,
            {} if self.version >= 2 else None,
        )

    @classmethod
    def followup(
        cls,
        reference: str,
        setting: str,
        started: date,
        name: str | None = None,
        child_ages: list[int] | None = None,
        previous: PreviousSession | None = None,
        version: int = APP_QUESTIONNAIRE_VERSION,
    ) -> Intake:
        """A follow-up conversation with the children's number and ages proposed from the
        last session (the clinician confirms or changes each)."""
        intake = cls(
            reference=reference,
            setting=setting,
            started=started,
            version=version,
            name=name,
            kind="followup",
            previous=previous,
        )
        walker = intake.main
        counter = intake.main_questionnaire.by_role("child_count")
        if counter is not None and child_ages is not None:
            counter_step = Step(counter)
            walker.answer(counter_step, len(child_ages))
            intake.suggested.add(counter_step.key)
            age_question = intake.main_questionnaire.by_role("child_age")
            if age_question is not None:
                for item, age in enumerate(child_ages):
                    step = Step(age_question, item)
                    walker.answer(step, age)
                    intake.suggested.add(step.key)
            intake.position = counter_step.key  # start by confirming them, not after them
        first = walker.steps()[0] if walker.steps() else None
        if first is not None and counter is not None and first.question.id != counter.id:
            # Version 2 asks first what happened since last time (an admission, a new
            # child, ...), then the children to confirm.
            intake.position = first.key
        return intake

    # -- the first questionnaire ----------------------------------------------------------

    @property
    def main_id(self) -> str:
        return KINDCHECK if self.kind == "intake" else FOLLOWUP

    @property
    def main_questionnaire(self) -> Questionnaire:
        return self.main.questionnaire

    @property
    def kindcheck(self) -> Walker:
        """The first questionnaire's walker, by its name from before follow-ups existed."""
        return self.main

    @property
    def scan_questionnaire(self) -> Questionnaire:
        return self.scan.questionnaire

    def check_closed(self) -> bool:
        """No minor children and no pregnancy: the check closes and the scan is skipped.
        (An intake only: a follow-up has no check to close.)"""
        if self.kind != "intake":
            return False
        return closes_kindcheck(self.main_questionnaire, self._closing_walker().visible_answers())

    def _closing_walker(self) -> Walker:
        """A walker that walks the Kindcheck as kindcheck_closed does (the setting its only
        context): the Kindcheck's own walker, whose walk is kept between keys, when no
        condition of the questionnaire reads the rest of its context (true of every shipped
        Kindcheck); else one kept for this, over the same answers."""
        check = self._closing_check
        if check is None:
            questionnaire = self.main_questionnaire
            read: set[str] = set()
            for question in questionnaire.questions:
                if question.show_if is not None:
                    read |= question.show_if.names()
            for derived in questionnaire.derived:
                read |= derived.condition.names()
            if read & (set(self.main.context) - {"setting"}):
                check = Walker(questionnaire, {"setting": self.setting})
            else:
                check = self.main
            self._closing_check = check
        if check is not self.main:
            check.answers = self.main.answers  # read only: the same answers, walked again
        return check

    def wants_scan(self) -> bool:
        """Whether the problem scan follows: in an intake unless the check closed, in a
        follow-up when the clinician chose to repeat it."""
        if self.kind == "intake":
            return not self.check_closed()
        return self.main.visible_answers().get("repeat_scan") == "yes"

    def main_step(self, key: str | None) -> Step | None:
        """The visible step of the first questionnaire with this key, else where to resume."""
        steps = self.main.steps()
        for step in steps:
            if step.key == key:
                return step
        return self.main.first_unanswered() or (steps[0] if steps else None)

    def child_label(self, step: Step, lang: str) -> str | None:
        if step.item is None or step.question.repeat is None:
            return None
        repeat = self.main_questionnaire.repeat(step.question.repeat)
        return repeat.label.get(lang).format(n=step.item + 1)

    def child_count(self) -> int:
        counter = self.main_questionnaire.by_role("child_count")
        value = self.main.answers.get(counter.id) if counter else None
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    def child_age(self, item: int) -> int | None:
        """The age given for child ``item`` (0-based), if any."""
        age_question = self.main_questionnaire.by_role("child_age")
        if age_question is None or age_question.repeat is None:
            return None
        items = self.main.answers.get(age_question.repeat)
        if isinstance(items, list) and item < len(items) and isinstance(items[item], dict):
            value = items[item].get(age_question.id)
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        return None

    def children_in_wording(self) -> Wording:
        """Whom the questions speak of, from the first questionnaire's answers so far."""
        return self.main_questionnaire.wording(self.main.answers)

    def progress(self, step: Step) -> Progress:
        """Where ``step`` stands in its part of the first questionnaire.

        A part is a section of the file ([[sections]]), and one part per child in a section
        that starts in a repeat group. The total counts every question of the part that can
        be asked (a question skipped by an answer is jumped over, never taken off the
        total), so a total never changes while the clinician is in a part."""
        questionnaire = self.main_questionnaire
        questions = list(questionnaire.questions)
        section = questionnaire.section_of(step.question.id)
        if section is None:
            members = [q for q in questions if q.repeat == step.question.repeat]
            title = questionnaire.title
        else:
            start = next(i for i, q in enumerate(questions) if q.id == section.first)
            later = [
                i
                for s in questionnaire.sections
                for i, q in enumerate(questions)
                if q.id == s.first and i > start
            ]
            end = min(later) if later else len(questions)
            members = questions[start:end]
            title = section.title
        if step.item is not None:
            members = [q for q in members if q.repeat == step.question.repeat]
        ids = [q.id for q in members]
        number = ids.index(step.question.id) + 1 if step.question.id in ids else 1
        child = self.child_label(step, "nl"), self.child_label(step, "en")
        return Progress(title, child, number, len(ids))

    def child_date_problem(self, step: Step) -> ChildDateProblem | None:
        """After an age or a birth date of a child is stored: whether the two disagree, or
        the birth date follows the session's date (kindcheck.child_dates, the check
        ``kindcheck record`` makes too)."""
        if step.item is None or step.question.role not in ("child_age", "child_birth_date"):
            return None
        return child_date_problem(
            self.main_questionnaire, self.main.answers, step.item, self.started
        )

    # -- the problem scan -----------------------------------------------------------------

    def _sync_scan(self) -> None:
        """The scan as the first questionnaire stands now (:meth:`follow_main`): before its
        pages, counts and answers file are made."""
        self.follow_main()

    def scan_pages(self) -> list[ScanPage]:
        """The visible scan questions grouped by domain, in the order of the domains."""
        self._sync_scan()
        by_domain: dict[str, list[Step]] = {}
        for step in self.scan.steps():
            by_domain.setdefault(step.question.domain or "", []).append(step)
        order = [domain.id for domain in self.scan_questionnaire.domains]
        order += [key for key in by_domain if key not in order]
        return [ScanPage(key, tuple(by_domain[key])) for key in order if key in by_domain]

    def scan_page_index(self, domain_id: str | None) -> int:
        pages = self.scan_pages()
        for index, page in enumerate(pages):
            if page.domain_id == domain_id:
                return index
        # Resume on the first page with an unanswered required question.
        for index, page in enumerate(pages):
            if any(self.scan.get(step) is None and step.question.required for step in page.steps):
                return index
        return max(0, len(pages) - 1)

    def problem_domain_ids(self) -> list[str]:
        """The problem domains counted so far (shown in the progress line)."""
        self._sync_scan()
        visible = self.scan.visible_answers()
        return [domain.id for domain in problem_domains(self.scan_questionnaire, visible)]

    def follow_main(self) -> None:
        """Give the scan what it takes from the first questionnaire, as answered now: the
        answers its prefills may name (``context_from``) and, in format 2, the answers its
        ``same_as`` questions take."""
        visible = self.main.visible_answers()
        scan = self.scan_questionnaire
        for questionnaire_id, names in scan.context_from:
            if questionnaire_id == self.main_questionnaire.id:
                self.scan.context.update({name: visible.get(name) for name in names})
        if scan.format == 2:
            self.scan.main_answers = visible

    def prefilled_from_main(self, step: Step) -> bool:
        """Whether the answer pre-marked on ``step`` comes from the first questionnaire."""
        names = self.scan_questionnaire.context_names()
        lookup = self.scan.lookup()
        for rule in step.question.prefill_rules:
            if truthy(rule.condition.evaluate(lookup)):
                return bool(rule.condition.names() & names)
        return False

    def apply_prefills(self, steps: tuple[Step, ...] | list[Step]) -> None:
        """Pre-mark answers the questionnaire proposes (the clinician sees and can change them)."""
        self.follow_main()
        for step in steps:
            value = self.scan.prefill(step)
            if value is not None:
                self.scan.answer(step, value)

    # -- the session ----------------------------------------------------------------------

    def session_dict(self) -> dict[str, Any]:
        """The answers file of the session as it stands (not validated: see :meth:`session`).
        The visible answers only: an answer hidden by a later change is not part of it."""
        self._sync_scan()
        parts = {self.main_id: Part(self.main_questionnaire, self.main.visible_answers())}
        if self.wants_scan():
            parts[SCAN] = Part(self.scan_questionnaire, self.scan.visible_answers())
        return Session(
            kind=self.kind,
            client_reference=self.reference,
            setting=self.setting,
            session_date=self.started,
            parts=parts,
            client_name=self.name,
            handoffs=tuple(self.handoffs),
        ).to_dict()

    def session(self) -> Session:
        """The validated session (AnswersError when something required is missing)."""
        return session_from_dict(self.session_dict(), self.kind)

    def outcome(self) -> Outcome:
        """The outcome as it will be stored: with the professional group and, for a follow-up,
        what the client's file says (an open Meldcode process, hand-offs not yet confirmed)."""
        previous = self.previous
        return compute_outcome(
            self.session(),
            meldcode_open=previous.meldcode_open if previous else False,
            open_handoffs=previous.open_handoffs if previous else 0,
            group=self.group,
        )

    # -- the draft ------------------------------------------------------------------------

    def to_payload(self) -> dict[str, Any]:
        return {
            "format": DRAFT_FORMAT,
            "kind": self.kind,
            "client": {"reference": self.reference, "name": self.name},
            "setting": self.setting,
            "date": self.started.isoformat(),
            "phase": self.phase,
            "position": self.position,
            "pending_text": dict(self.pending_text),
            "answers": {
                self.main_id: {
                    "version": self.main_questionnaire.version,
                    "answers": self.main.answers,
                },
                SCAN: {"version": self.scan_questionnaire.version, "answers": self.scan.answers},
            },
            "meldcode_steps": dict(self.meldcode_steps),
            "rhythm": self.rhythm,
            "rhythm_changed": self.rhythm_changed,
            "suggested": sorted(self.suggested),
            "previous": self.previous.to_payload() if self.previous else None,
            "handoffs": [handoff.to_dict() for handoff in self.handoffs],
        }

    @classmethod
    def from_payload(cls, draft_id: str, payload: dict[str, Any]) -> Intake:
        """An intake from a stored draft; DraftUnreadable when it does not fit."""
        try:
            kind = payload.get("kind")
            if payload.get("format") != DRAFT_FORMAT or kind not in KINDS:
                raise DraftUnreadable("ui.draft.unreadable")
            previous = payload.get("previous")
            client = payload["client"]
            stored = payload.get("answers") or {}
            main_key = KINDCHECK if kind == "intake" else FOLLOWUP
            version = (stored.get(main_key) or {}).get("version", APP_QUESTIONNAIRE_VERSION)
            if not isinstance(version, int) or isinstance(version, bool):
                raise DraftUnreadable("ui.draft.unreadable")
            if version not in shipped_versions(main_key):
                raise DraftUnreadable("ui.draft.other_version")
            intake = cls(
                version=version,
                reference=check_reference(client["reference"]),
                name=check_name(client.get("name") or ""),
                setting=payload["setting"],
                started=date.fromisoformat(payload["date"]),
                draft_id=draft_id,
                phase=payload["phase"] if payload.get("phase") in PHASES else "kindcheck",
                position=payload.get("position"),
                pending_text={
                    str(k): clean_text(str(v))
                    for k, v in (payload.get("pending_text") or {}).items()
                },
                meldcode_steps=dict(payload.get("meldcode_steps") or {}),
                rhythm=payload.get("rhythm"),
                rhythm_changed=bool(payload.get("rhythm_changed")),
                suggested={str(key) for key in payload.get("suggested") or []},
                kind=kind,
                previous=PreviousSession.from_payload(previous)
                if isinstance(previous, dict)
                else None,
            )
            answers = payload.get("answers") or {}
            for key, walker in ((intake.main_id, intake.main), (SCAN, intake.scan)):
                stored = answers.get(key) or {}
                if (
                    stored.get("version", walker.questionnaire.version)
                    != walker.questionnaire.version
                ):
                    raise DraftUnreadable("ui.draft.other_version")
                walker.answers = _checked_answers(walker, stored.get("answers") or {})
            intake.handoffs = _checked_handoffs(intake, payload.get("handoffs"))
        except DraftUnreadable:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, KindcheckError):
            raise DraftUnreadable("ui.draft.unreadable") from None
        return intake


class DraftUnreadable(KindcheckError):
    """A stored draft that does not fit this version of the app (message: an i18n key)."""


def _checked_answers(walker: Walker, answers: dict[str, Any]) -> dict[str, Any]:
    """Keep only answers that still fit their question (a draft is never fully trusted)."""
    scratch = Walker(walker.questionnaire, walker.context)
    questionnaire = walker.questionnaire
    for key, value in answers.items():
        if any(repeat.id == key for repeat in questionnaire.repeats) and isinstance(value, list):
            for item, item_answers in enumerate(value[:100]):
                if not isinstance(item_answers, dict):
                    continue
                for question_id, item_value in item_answers.items():
                    if questionnaire.has_question(question_id):
                        question = questionnaire.question(question_id)
                        if question.repeat == key and item_value is not None:
                            _try_answer(scratch, Step(question, item), item_value)
        elif questionnaire.has_question(key) and value is not None:
            question = questionnaire.question(key)
            if question.repeat is None:
                _try_answer(scratch, Step(question), value)
    return scratch.answers


def _checked_handoffs(intake: Intake, items: Any) -> list[HandoffRecord]:
    """A draft's hand-offs, validated as an answers file's are; none if they do not fit."""
    if not items or intake.version < 2:
        return []
    data = intake.session_dict()
    data["handoffs"] = items
    try:
        return list(session_from_dict(data, intake.kind).handoffs)
    except KindcheckError:
        return []


def _try_answer(walker: Walker, step: Step, value: Any) -> None:
    with contextlib.suppress(KindcheckError):  # an answer that no longer fits is dropped
        walker.answer(step, value)


def outcome_headline(outcome: Outcome, lang: str) -> str:
    """The outcome screen's first line: signals, domains, the flag (fits 80 columns)."""
    return outcome_summary(outcome, lang, short=True)
