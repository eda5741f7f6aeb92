"""Correcting a stored session without rewriting its history.

A session's answers, once stored, are never changed in place. A correction is an
:class:`Amendment`: the answers it changes (each with the value before and after), why, by
whom and when. Moving a session filed under the wrong client reference (a typo) is an amendment
too, of kind ``"move"``, that names the reference it came from and the one it goes to.

The original answers plus the amendments, applied in order, give the current answers
(:func:`current_answers`); the outcome follows them, recomputed by the domain's
``compute_outcome`` (:func:`recompute_outcome`). Each change records the value it replaced,
and applying an amendment checks that value: an amendment that does not follow from the
answers before it (one lost, reordered or edited) is refused, not silently applied.

Pure functions over plain data: storing amendments (an encrypted record per session, and an
access-log entry for each) is the store's and the service layer's. ``to_dict`` and
:func:`amendment_from_dict` give the JSON form to store. Messages name fields and ids, never
an answer or a reason (they may hold client data).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from kindcheck.errors import AnswersError, KindcheckError
from kindcheck.text import clean_text, one_line

if TYPE_CHECKING:
    from kindcheck.answers import Session
    from kindcheck.outcome import Outcome
    from kindcheck.questionnaire import Questionnaire

AMENDMENT_FORMAT: Final = 1
AMENDMENT_KINDS: Final = ("correction", "move")
MAX_REASON: Final = 1000
MAX_BY: Final = 200
_PATH = re.compile(
    r"^(?P<group>[a-z][a-z0-9_]*)\[(?P<item>\d{1,3})\]\.(?P<question>[a-z][a-z0-9_]*)$"
)


class AmendmentError(KindcheckError):
    """A correction or move that cannot be made or does not follow from the answers."""


class AmendmentIncomplete(AmendmentError):
    """The answers after a correction do not make a whole session (most often: a changed
    number of children, whose new child's answers a correction cannot give). ``problems``:
    what does not fit, one line each (answer paths, no answers)."""

    def __init__(self, message: str, problems: tuple[str, ...]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class NewAnswer:
    """One answer a correction sets: ``value`` None removes the answer.

    ``item`` is the repeat item (0-based, one per child) for a question asked per child."""

    questionnaire: str
    question: str
    value: Any
    item: int | None = None


@dataclass(frozen=True)
class AnswerChange:
    """One answer changed by an amendment: what it was (None: not answered) and what it is."""

    questionnaire: str
    question: str
    item: int | None
    before: Any
    after: Any

    @property
    def key(self) -> str:
        """The answer as ``question``, or ``question[item]`` for one asked per child."""
        return self.question if self.item is None else f"{self.question}[{self.item}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "questionnaire": self.questionnaire,
            "question": self.question,
            "item": self.item,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class Amendment:
    """A correction of answers, or a move to another client reference; never a rewrite."""

    id: str
    session_id: str
    kind: str  # "correction" or "move"
    reason: str
    by: str
    at: datetime
    changes: tuple[AnswerChange, ...] = ()
    moved_from: str | None = None
    moved_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": AMENDMENT_FORMAT,
            "id": self.id,
            "session_id": self.session_id,
            "kind": self.kind,
            "reason": self.reason,
            "by": self.by,
            "at": self.at.isoformat(),
            "changes": [change.to_dict() for change in self.changes],
            "moved_from": self.moved_from,
            "moved_to": self.moved_to,
        }


def amendment_from_dict(data: Any) -> Amendment:
    """Read an amendment written by ``to_dict``; AmendmentError names the field that is wrong."""
    if not isinstance(data, dict):
        raise AmendmentError("amendment: expected an object")
    expected = {
        "format",
        "id",
        "session_id",
        "kind",
        "reason",
        "by",
        "at",
        "changes",
        "moved_from",
        "moved_to",
    }
    if set(data) != expected:
        missing = sorted(expected - set(data))
        unknown = sorted(str(key) for key in set(data) - expected)
        raise AmendmentError(f"amendment: missing fields {missing}, unknown fields {unknown}")
    if data["format"] != AMENDMENT_FORMAT or isinstance(data["format"], bool):
        raise AmendmentError(
            f"amendment: unsupported format (this version reads {AMENDMENT_FORMAT})"
        )
    for name in ("id", "session_id", "reason", "by"):
        if not isinstance(data[name], str) or not data[name]:
            raise AmendmentError(f"amendment: field '{name}' must be a non-empty text")
    if data["kind"] not in AMENDMENT_KINDS:
        raise AmendmentError("amendment: field 'kind' must be 'correction' or 'move'")
    try:
        at = datetime.fromisoformat(data["at"]) if isinstance(data["at"], str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise AmendmentError("amendment: field 'at' must be a date and time with a zone")
    if not isinstance(data["changes"], list):
        raise AmendmentError("amendment: field 'changes' must be a list")
    changes: list[AnswerChange] = []
    for index, raw in enumerate(data["changes"]):
        where = f"amendment: changes[{index}]"
        keys = {"questionnaire", "question", "item", "before", "after"}
        if not isinstance(raw, dict) or set(raw) != keys:
            raise AmendmentError(f"{where} needs questionnaire, question, item, before, after")
        item = raw["item"]
        if item is not None and (not isinstance(item, int) or isinstance(item, bool) or item < 0):
            raise AmendmentError(f"{where}.item must be a whole number from 0, or null")
        if not isinstance(raw["questionnaire"], str) or not isinstance(raw["question"], str):
            raise AmendmentError(f"{where}: questionnaire and question must be ids")
        changes.append(
            AnswerChange(raw["questionnaire"], raw["question"], item, raw["before"], raw["after"])
        )
    for name in ("moved_from", "moved_to"):
        if data[name] is not None and not isinstance(data[name], str):
            raise AmendmentError(f"amendment: field '{name}' must be a text or null")
    if data["kind"] == "move" and (not data["moved_from"] or not data["moved_to"]):
        raise AmendmentError("amendment: a move names the reference it came from and goes to")
    return Amendment(
        id=data["id"],
        session_id=data["session_id"],
        kind=data["kind"],
        reason=data["reason"],
        by=data["by"],
        at=at,
        changes=tuple(changes),
        moved_from=data["moved_from"],
        moved_to=data["moved_to"],
    )


# ---------------------------------------------------------------------------------------------
# Making amendments


def _clean_reason(reason: str) -> str:
    text = clean_text(reason if isinstance(reason, str) else "").strip()
    if not text:
        raise AmendmentError("give a reason for the change")
    if len(text) > MAX_REASON:
        raise AmendmentError(f"the reason is longer than {MAX_REASON} characters")
    return text


def _clean_by(by: str) -> str:
    text = one_line(by if isinstance(by, str) else "")
    if not text:
        raise AmendmentError("say who makes the change")
    return text[:MAX_BY]


def _now(at: datetime | None) -> datetime:
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise AmendmentError("the time of a change needs a zone")
    return moment.astimezone(UTC).replace(microsecond=0)


def _part_answers(answers: Mapping[str, Any], questionnaire_id: str) -> dict[str, Any]:
    for part in answers.get("questionnaires", []):
        if isinstance(part, dict) and part.get("id") == questionnaire_id:
            found = part.get("answers")
            if isinstance(found, dict):
                return found
    raise AmendmentError(f"the session has no answers to '{questionnaire_id}'")


def _value_at(part: Mapping[str, Any], question: str, item: int | None, group: str | None) -> Any:
    if item is None:
        return part.get(question)
    items = part.get(group or "")
    if not isinstance(items, list) or item >= len(items) or not isinstance(items[item], dict):
        return None
    return items[item].get(question)


def _set_value(
    part: dict[str, Any], question: str, item: int | None, group: str | None, value: Any
) -> None:
    if item is None:
        if value is None:
            part.pop(question, None)
        else:
            part[question] = value
        return
    items = part.setdefault(group or "", [])
    if not isinstance(items, list):
        raise AmendmentError(f"'{group}' is not a list of items")
    while len(items) <= item:
        items.append({})
    if value is None:
        items[item].pop(question, None)
    else:
        items[item][question] = value


def _group_of(answers: Mapping[str, Any], questionnaire_id: str, question_id: str) -> str | None:
    """The repeat group a question is asked in (None outside one), from the questionnaire."""
    questionnaire = _questionnaire(answers, questionnaire_id)
    if not questionnaire.has_question(question_id):
        raise AmendmentError(f"'{question_id}' is not a question of {questionnaire.key}")
    return questionnaire.question(question_id).repeat


def _questionnaire(answers: Mapping[str, Any], questionnaire_id: str) -> Questionnaire:
    from kindcheck.questionnaire import load_shipped

    for part in answers.get("questionnaires", []):
        if isinstance(part, dict) and part.get("id") == questionnaire_id:
            version = part.get("version")
            if isinstance(version, int):
                return load_shipped(questionnaire_id, version)
    raise AmendmentError(f"the session has no answers to '{questionnaire_id}'")


_ANSWER_PATH: Final = re.compile(r"^session: (questionnaires\[\d+\]\.answers\.)?")


def validated(answers: Mapping[str, Any]) -> Session:
    """The answers as a validated session; AmendmentError lists every problem (paths only)."""
    from kindcheck.answers import session_from_dict

    try:
        return session_from_dict(copy.deepcopy(dict(answers)), "session")
    except AnswersError as error:
        # "session: questionnaires[0].answers.children[1].child_age: ..." -> from "children"
        problems = tuple(
            _ANSWER_PATH.sub("", line) for line in str(error).splitlines() if line.strip()
        )
        raise AmendmentIncomplete(
            "the corrected answers do not fit:\n" + str(error), problems
        ) from None


def correct(
    answers: Mapping[str, Any],
    new_answers: Iterable[NewAnswer],
    *,
    session_id: str,
    reason: str,
    by: str,
    at: datetime | None = None,
    amendment_id: str | None = None,
) -> Amendment:
    """A correction of ``answers`` (the session's current answers, Session.to_dict shape).

    Every new answer is checked against its question, and the corrected session as a whole
    must still be valid (a correction that shows a required question needs its answer too).
    Answers that do not change are left out; a correction that changes nothing is refused.
    """
    from kindcheck.questionnaire import check_value

    text, who, moment = _clean_reason(reason), _clean_by(by), _now(at)
    candidate = copy.deepcopy(dict(answers))
    changes: list[AnswerChange] = []
    seen: set[tuple[str, str, int | None]] = set()
    for new in new_answers:
        key = (new.questionnaire, new.question, new.item)
        if key in seen:
            raise AmendmentError(f"'{new.question}' is corrected twice in one correction")
        seen.add(key)
        questionnaire = _questionnaire(candidate, new.questionnaire)
        if not questionnaire.has_question(new.question):
            raise AmendmentError(f"'{new.question}' is not a question of {questionnaire.key}")
        question = questionnaire.question(new.question)
        if (question.repeat is None) != (new.item is None):
            where = "per item: give the item" if question.repeat else "once: give no item"
            raise AmendmentError(f"'{new.question}' is asked {where}")
        if new.item is not None and not 0 <= new.item < 100:
            raise AmendmentError(f"'{new.question}': item {new.item} is out of range")
        value = None
        if new.value is not None:
            try:
                value = check_value(question, new.value)
            except AnswersError as error:
                raise AmendmentError(str(error)) from None
        part = _part_answers(candidate, new.questionnaire)
        before = _value_at(part, new.question, new.item, question.repeat)
        if before == value:
            continue
        _set_value(part, new.question, new.item, question.repeat, value)
        changes.append(
            AnswerChange(new.questionnaire, new.question, new.item, copy.deepcopy(before), value)
        )
    if not changes:
        raise AmendmentError("the correction changes no answer")
    validated(candidate)
    return Amendment(
        id=amendment_id or uuid.uuid4().hex,
        session_id=session_id,
        kind="correction",
        reason=text,
        by=who,
        at=moment,
        changes=tuple(changes),
    )


def move(
    answers: Mapping[str, Any],
    to_reference: str,
    *,
    session_id: str,
    reason: str,
    by: str,
    at: datetime | None = None,
    amendment_id: str | None = None,
) -> Amendment:
    """Moving a session to another client reference: an amendment "moved from X"."""
    from kindcheck.answers import MAX_REFERENCE

    text, who, moment = _clean_reason(reason), _clean_by(by), _now(at)
    target = one_line(to_reference if isinstance(to_reference, str) else "")
    if not target:
        raise AmendmentError("give the client reference to move the session to")
    if len(target) > MAX_REFERENCE:
        raise AmendmentError(f"the client reference is longer than {MAX_REFERENCE} characters")
    client = answers.get("client")
    current = client.get("reference") if isinstance(client, dict) else None
    if not isinstance(current, str) or not current:
        raise AmendmentError("the session names no client reference")
    if current == target:
        raise AmendmentError("the session is already filed under that reference")
    return Amendment(
        id=amendment_id or uuid.uuid4().hex,
        session_id=session_id,
        kind="move",
        reason=text,
        by=who,
        at=moment,
        moved_from=current,
        moved_to=target,
    )


# ---------------------------------------------------------------------------------------------
# Applying amendments


def apply(answers: Mapping[str, Any], amendment: Amendment) -> dict[str, Any]:
    """The answers after one amendment; AmendmentError when it does not follow from them."""
    result = copy.deepcopy(dict(answers))
    if amendment.kind == "move":
        client = result.get("client")
        if not isinstance(client, dict) or client.get("reference") != amendment.moved_from:
            raise AmendmentError(
                f"amendment {amendment.id} moves the session from another reference than "
                "the one it has"
            )
        client["reference"] = amendment.moved_to
        return result
    for change in amendment.changes:
        group = _group_of(result, change.questionnaire, change.question)
        part = _part_answers(result, change.questionnaire)
        if _value_at(part, change.question, change.item, group) != change.before:
            raise AmendmentError(
                f"amendment {amendment.id} does not follow from the answers before it "
                f"('{change.key}' differs); was an earlier amendment lost?"
            )
        _set_value(part, change.question, change.item, group, copy.deepcopy(change.after))
    return result


def current_answers(original: Mapping[str, Any], amendments: Sequence[Amendment]) -> dict[str, Any]:
    """The original answers with every amendment applied, in the order given."""
    answers = copy.deepcopy(dict(original))
    for amendment in amendments:
        answers = apply(answers, amendment)
    return answers


@dataclass(frozen=True)
class OutcomeContext:
    """What the vault knows that an outcome depends on (see ``compute_outcome``)."""

    meldcode_open: bool = False
    open_handoffs: int = 0
    group: str | None = None


def recompute_outcome(
    original: Mapping[str, Any],
    amendments: Sequence[Amendment],
    context: OutcomeContext | None = None,
) -> Outcome:
    """The outcome of the corrected answers, by the domain's ``compute_outcome``."""
    from kindcheck.outcome import compute_outcome

    context = context or OutcomeContext()
    session = validated(current_answers(original, amendments))
    return compute_outcome(
        session,
        meldcode_open=context.meldcode_open,
        open_handoffs=context.open_handoffs,
        group=context.group,
    )


def parse_answer_path(path: str) -> tuple[str, int | None]:
    """``"question"`` or ``"group[2].question"`` (a CLI's way to name one answer) as
    (question id, item); AmendmentError for anything else."""
    match = _PATH.match(path)
    if match:
        return match["question"], int(match["item"])
    if re.fullmatch(r"[a-z][a-z0-9_]*", path):
        return path, None
    raise AmendmentError(
        f"'{one_line(path)[:80]}' is not a question id or group[item].question "
        "(e.g. children[0].child_age)"
    )
