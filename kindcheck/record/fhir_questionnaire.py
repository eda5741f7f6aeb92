"""A questionnaire version as an HL7 FHIR R4 ``Questionnaire`` resource, made from its TOML.

- ``url`` is ``<base>/Questionnaire/<id>`` and ``version`` the file's version, so a response
  names exactly the version it was answered with (``<url>|<version>``). The base is
  :data:`CANONICAL_BASE`, a reserved example domain until the organisation publishes the
  questionnaires at a URL of its own (pass ``canonical_base``).
- Texts are Dutch (``language`` "nl"); the English text rides along in the standard
  translation extension on every text, title and option display.
- Item types: yesno and choice are ``choice`` (yes/no/unknown are codes of one code system:
  FHIR's boolean has no "don't know"), multi is ``choice`` with ``repeats``, number is
  ``integer`` (min and max as the minValue/maxValue extensions), date ``date``, text
  ``string`` and longtext ``text`` (with ``maxLength``). A repeat group (one set per child) is
  a ``group`` item with ``repeats``, shown when its count question is above 0.
- ``show_if`` becomes ``enableWhen`` where FHIR can say the same, taking the null rule into
  account (an unanswered question makes every comparison false): ``q == v``, ``v in q``,
  ``q in [..]``, numeric comparisons, ``not`` of those, a bare name (answered and not "no"),
  ``!=`` (with an ``exists`` guard, since FHIR's ``!=`` is true without an answer, or, inside
  an ``or``, as "= each other answer" of a yes/no or choice question), named
  (derived) conditions by their definition, and one level of ``and`` or ``or``. It does not
  map when a condition names the session context (``setting``, ``open_handoffs``), which no
  questionnaire item holds, or mixes ``and`` and ``or`` (``enableBehavior`` is one of the two
  for all of an item's conditions). Every condition also rides along literally in the
  extension :data:`SHOW_IF_URL`; an unmapped one gets the reason in :data:`UNMAPPED_URL`.

Validated with fhir.resources (see :mod:`kindcheck.record.fhir_bundle` for the release line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from kindcheck.conditions import BoolOp, Compare, ListLiteral, Literal, Name, Node, Not
from kindcheck.i18n import t
from kindcheck.questionnaire import (
    SESSION_CONTEXT_NAMES,
    TEXT_LIMITS,
    YESNO_VALUES,
    Localized,
    Question,
    Questionnaire,
)

CANONICAL_BASE: Final = "https://kindcheck.example.org/fhir"
TRANSLATION_URL: Final = "http://hl7.org/fhir/StructureDefinition/translation"
MIN_VALUE_URL: Final = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_URL: Final = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_TYPES: Final = {
    "yesno": "choice",
    "choice": "choice",
    "multi": "choice",
    "number": "integer",
    "date": "date",
    "text": "string",
    "longtext": "text",
}


def show_if_url(base: str = CANONICAL_BASE) -> str:
    return f"{base}/StructureDefinition/show-if"


def unmapped_url(base: str = CANONICAL_BASE) -> str:
    return f"{base}/StructureDefinition/show-if-unmapped"


SHOW_IF_URL: Final = show_if_url()
UNMAPPED_URL: Final = unmapped_url()


def questionnaire_url(questionnaire_id: str, base: str = CANONICAL_BASE) -> str:
    return f"{base}/Questionnaire/{questionnaire_id}"


def canonical(questionnaire: Questionnaire, base: str = CANONICAL_BASE) -> str:
    """The canonical reference with version: ``<url>|<version>``."""
    return f"{questionnaire_url(questionnaire.id, base)}|{questionnaire.version}"


def yesno_system(base: str = CANONICAL_BASE) -> str:
    return f"{base}/CodeSystem/yes-no-unknown"


def option_system(questionnaire: Questionnaire, question: Question, base: str) -> str:
    return f"{base}/CodeSystem/{questionnaire.id}-{question.id}"


def translated(name: str, text: Localized) -> dict[str, Any]:
    """``{name: Dutch, "_name": the English translation extension}``."""
    return {
        name: text.nl,
        f"_{name}": {
            "extension": [
                {
                    "url": TRANSLATION_URL,
                    "extension": [
                        {"url": "lang", "valueCode": "en"},
                        {"url": "content", "valueString": text.en},
                    ],
                }
            ]
        },
    }


def _yesno_text(value: str) -> Localized:
    return Localized(nl=t(f"answer.{value}", "nl"), en=t(f"answer.{value}", "en"))


def answer_coding(
    questionnaire: Questionnaire, question: Question, code: str, base: str = CANONICAL_BASE
) -> dict[str, Any]:
    """The Coding of one option (or yes/no/unknown) of a choice question."""
    if question.type == "yesno":
        return {
            "system": yesno_system(base),
            "code": code,
            **translated("display", _yesno_text(code)),
        }
    option = question.option(code)
    coding: dict[str, Any] = {"system": option_system(questionnaire, question, base), "code": code}
    if option is not None:
        coding |= translated("display", option.text)
    return coding


# ---------------------------------------------------------------------------------------------
# show_if -> enableWhen


class _Unmapped(Exception):
    """A condition enableWhen cannot express; the message says why."""


@dataclass(frozen=True)
class _Mapped:
    conditions: tuple[dict[str, Any], ...]
    behavior: str  # "one" (a single condition), "all" or "any"


class _Mapper:
    def __init__(self, questionnaire: Questionnaire, base: str) -> None:
        self.questionnaire = questionnaire
        self.base = base
        self.derived = {d.id: d.condition for d in questionnaire.derived}

    def question(self, node: Node) -> Question:
        if not isinstance(node, Name):
            raise _Unmapped("compares two values that are not a question and a constant")
        if node.name in SESSION_CONTEXT_NAMES:
            raise _Unmapped(
                f"uses the session context '{node.name}', which no questionnaire item holds"
            )
        if not self.questionnaire.has_question(node.name):
            raise _Unmapped(f"uses '{node.name}', which is not a question of this file")
        return self.questionnaire.question(node.name)

    def answer(self, question: Question, value: Any) -> dict[str, Any]:
        if question.type in ("yesno", "choice", "multi"):
            if not isinstance(value, str):
                raise _Unmapped(f"compares '{question.id}' with a value that is no option")
            coding = answer_coding(self.questionnaire, question, value, self.base)
            return {"answerCoding": {"system": coding["system"], "code": coding["code"]}}
        if question.type == "number" and isinstance(value, int) and not isinstance(value, bool):
            return {"answerInteger": value}
        if question.type == "date" and isinstance(value, str):
            return {"answerDate": value}
        if question.type in TEXT_LIMITS and isinstance(value, str):
            return {"answerString": value}
        raise _Unmapped(f"compares '{question.id}' with a value of another kind")

    def one(self, question: Question, operator: str, value: Any) -> dict[str, Any]:
        return {"question": question.id, "operator": operator, **self.answer(question, value)}

    @staticmethod
    def exists(question: Question, present: bool = True) -> dict[str, Any]:
        return {"question": question.id, "operator": "exists", "answerBoolean": present}

    def map(self, node: Node, prefer: str = "all") -> _Mapped:
        """``prefer`` ("all" or "any") is the behaviour of the enclosing ``and``/``or``: a
        comparison that FHIR can say both ways is said the way that combines."""
        if isinstance(node, Name) and node.name in self.derived:
            return self.map(self.derived[node.name], prefer)
        if isinstance(node, BoolOp):
            behavior = "all" if node.op == "and" else "any"
            conditions: list[dict[str, Any]] = []
            for operand in node.operands:
                mapped = self.map(operand, behavior)
                if mapped.behavior not in ("one", behavior):
                    raise _Unmapped("mixes 'and' and 'or', which enableBehavior cannot express")
                conditions += mapped.conditions
            return _Mapped(tuple(conditions), behavior)
        if isinstance(node, Not):
            return self.negated(node.operand)
        if isinstance(node, Compare):
            return self.compare(node, prefer)
        if isinstance(node, Name):
            return self.truthy(self.question(node), prefer)
        raise _Unmapped("is a constant")

    @staticmethod
    def single_choice(question: Question) -> list[str] | None:
        """The possible answers of a question with one answer from a fixed list."""
        if question.type == "yesno":
            return list(YESNO_VALUES)
        if question.type == "choice":
            return [option.id for option in question.options]
        return None

    def other_than(self, question: Question, excluded: list[Any], prefer: str) -> _Mapped | None:
        """ "Answered, and not one of ``excluded``" as "= each other answer" (for an ``or``)."""
        answers = self.single_choice(question)
        if prefer != "any" or answers is None:
            return None
        rest = tuple(self.one(question, "=", a) for a in answers if a not in excluded)
        if not rest:
            raise _Unmapped(f"excludes every answer of '{question.id}'")
        return _Mapped(rest, "one" if len(rest) == 1 else "any")

    def truthy(self, question: Question, prefer: str = "all") -> _Mapped:
        """A bare name: answered, and not "no" (nor 0 for a number)."""
        if question.type in ("yesno", "choice") and (
            question.type == "yesno" or question.option("no") is not None
        ):
            return self.other_than(question, ["no"], prefer) or _Mapped(
                (self.exists(question), self.one(question, "!=", "no")), "all"
            )
        if question.type == "number":
            return _Mapped((self.exists(question), self.one(question, "!=", 0)), "all")
        return _Mapped((self.exists(question),), "one")

    def negated(self, node: Node) -> _Mapped:
        # FHIR's "!=" holds when no answer equals the value, an unanswered question included:
        # exactly "not (q == v)" and "not (v in q)" under the null rule.
        if isinstance(node, Name) and node.name in self.derived:
            return self.negated(self.derived[node.name])
        if isinstance(node, Compare) and node.op == "==" and isinstance(node.right, Literal):
            question = self.question(node.left)
            return _Mapped((self.one(question, "!=", node.right.value),), "one")
        if isinstance(node, Compare) and node.op == "in" and isinstance(node.left, Literal):
            question = self.question(node.right)
            return _Mapped((self.one(question, "!=", node.left.value),), "one")
        if isinstance(node, Compare) and node.op == "in" and isinstance(node.right, ListLiteral):
            question = self.question(node.left)
            values = [self.literal(item) for item in node.right.items]
            return _Mapped(tuple(self.one(question, "!=", v) for v in values), "all")
        if isinstance(node, Name):
            question = self.question(node)
            if question.type == "yesno" or (
                question.type == "choice" and question.option("no") is not None
            ):
                return _Mapped((self.exists(question, False), self.one(question, "=", "no")), "any")
            return _Mapped((self.exists(question, False),), "one")
        raise _Unmapped("negates a condition that enableWhen cannot turn around")

    @staticmethod
    def literal(node: Node) -> Any:
        if not isinstance(node, Literal):
            raise _Unmapped("compares with something other than a constant")
        return node.value

    def compare(self, node: Compare, prefer: str = "all") -> _Mapped:
        op = node.op
        if op in ("in", "not in") and isinstance(node.left, Literal):
            question = self.question(node.right)  # "debts" in fin_items
            if op == "in":
                return _Mapped((self.one(question, "=", node.left.value),), "one")
            return _Mapped(
                (self.exists(question), self.one(question, "!=", node.left.value)), "all"
            )
        question = self.question(node.left)
        if op in ("in", "not in"):
            if not isinstance(node.right, ListLiteral):
                raise _Unmapped("tests membership in something other than a list")
            values = [self.literal(item) for item in node.right.items]
            if op == "in":
                found = tuple(self.one(question, "=", v) for v in values)
                return _Mapped(found, "one" if len(found) == 1 else "any")
            return self.other_than(question, values, prefer) or _Mapped(
                (self.exists(question), *(self.one(question, "!=", v) for v in values)), "all"
            )
        value = self.literal(node.right)
        if op == "!=":
            return self.other_than(question, [value], prefer) or _Mapped(
                (self.exists(question), self.one(question, "!=", value)), "all"
            )
        operator = "=" if op == "==" else op
        return _Mapped((self.one(question, operator, value),), "one")


def enable_when(
    condition: Node, questionnaire: Questionnaire, base: str = CANONICAL_BASE
) -> tuple[list[dict[str, Any]], str | None] | str:
    """(enableWhen, enableBehavior) for a condition, or the reason it does not map."""
    try:
        mapped = _Mapper(questionnaire, base).map(condition)
    except _Unmapped as reason:
        return str(reason)
    behavior = None if len(mapped.conditions) == 1 else mapped.behavior
    if behavior == "one":
        behavior = "all"
    return list(mapped.conditions), behavior


# ---------------------------------------------------------------------------------------------
# The resource


def _conditioned(
    item: dict[str, Any],
    condition: Node | None,
    source: str | None,
    questionnaire: Questionnaire,
    base: str,
) -> None:
    if condition is None:
        return
    extensions = item.setdefault("extension", [])
    extensions.append({"url": show_if_url(base), "valueString": source or ""})
    mapped = enable_when(condition, questionnaire, base)
    if isinstance(mapped, str):
        extensions.append({"url": unmapped_url(base), "valueString": mapped})
        return
    conditions, behavior = mapped
    item["enableWhen"] = conditions
    if behavior is not None:
        item["enableBehavior"] = behavior


def _question_item(question: Question, questionnaire: Questionnaire, base: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": question.id,
        **translated("text", question.text),
        "type": ITEM_TYPES[question.type],
        "required": question.required,
    }
    if question.type == "multi":
        item["repeats"] = True
    if question.type in TEXT_LIMITS:
        item["maxLength"] = TEXT_LIMITS[question.type]
    if question.type == "yesno":
        codes: list[str] = list(YESNO_VALUES)
    else:
        codes = [option.id for option in question.options]
    if codes:
        item["answerOption"] = [
            {"valueCoding": answer_coding(questionnaire, question, code, base)} for code in codes
        ]
    extensions: list[dict[str, Any]] = []
    if question.type == "number" and question.minimum is not None:
        extensions.append({"url": MIN_VALUE_URL, "valueInteger": question.minimum})
    if question.type == "number" and question.maximum is not None:
        extensions.append({"url": MAX_VALUE_URL, "valueInteger": question.maximum})
    if extensions:
        item["extension"] = extensions
    _conditioned(item, question.show_if, question.show_if_source, questionnaire, base)
    return item


def questionnaire_items(questionnaire: Questionnaire, base: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    index = 0
    questions = questionnaire.questions
    while index < len(questions):
        question = questions[index]
        if question.repeat is None:
            items.append(_question_item(question, questionnaire, base))
            index += 1
            continue
        repeat = questionnaire.repeat(question.repeat)
        members = questionnaire.group_questions(repeat.id)
        label = Localized(
            nl=repeat.label.nl.replace("{n}", "").strip(),
            en=repeat.label.en.replace("{n}", "").strip(),
        )
        count = questionnaire.question(repeat.count_from)
        group: dict[str, Any] = {
            "linkId": repeat.id,
            **translated("text", label),
            "type": "group",
            "repeats": True,
            # Asked once per item, as many times as the count question says.
            "enableWhen": [{"question": count.id, "operator": ">", "answerInteger": 0}],
            "item": [_question_item(member, questionnaire, base) for member in members],
        }
        items.append(group)
        index += len(members)
    return items


def questionnaire_resource(
    questionnaire: Questionnaire, base: str = CANONICAL_BASE
) -> dict[str, Any]:
    """The Questionnaire resource as a plain dict (not yet validated)."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"{questionnaire.id}-{questionnaire.version}",
        "language": "nl",
        "url": questionnaire_url(questionnaire.id, base),
        "version": str(questionnaire.version),
        "name": "".join(part.capitalize() for part in questionnaire.id.split("_")),
        **translated("title", questionnaire.title),
        "status": "active",
        "subjectType": ["Patient"],
    }
    if questionnaire.intro is not None:
        resource |= translated("description", questionnaire.intro)
    resource["item"] = questionnaire_items(questionnaire, base)
    return resource


def questionnaire_to_fhir(
    questionnaire: Questionnaire, canonical_base: str = CANONICAL_BASE
) -> dict[str, Any]:
    """The questionnaire version as a FHIR Questionnaire, validated (a JSON-ready dict)."""
    from .fhir_models import validated

    return validated(questionnaire_resource(questionnaire, canonical_base))
