"""Reading one question of a questionnaire file, or taking one over whole from another file
(``from``, format 2). Every problem goes to the file's problem list, with line and id."""

from __future__ import annotations

from typing import Any, Protocol

from .files import KEY
from .model import (
    _ID,
    QUESTION_TYPES,
    ROLES,
    TEXT_WORDINGS,
    YESNO_VALUES,
    Option,
    Prefill,
    Question,
)
from .reading import Problems, Reader, hint

_QUESTION_KEYS_1 = frozenset(
    {
        "id",
        "type",
        "text",
        "help",
        "source",
        "required",
        "show_if",
        "options",
        "min",
        "max",
        "repeat",
        "domain",
        "problem_answers",
        "signal",
        "signal_answers",
        "prefill_if",
        "prefill",
        "role",
        "text_one",
        "help_one",
    }
)
_QUESTION_KEYS_2 = (_QUESTION_KEYS_1 - {"help", "help_one"}) | {
    "help_client_one",
    *(f"text_{wording}" for wording in TEXT_WORDINGS),
    "help_client",
    "guidance",
    "concern",
    "concern_answers",
    "open_answers",
    "open_item",
    "reask",
    "same_as",
    "scp_area",
    "events",
}
# Next to `from`, a question may only say where it stands and whether it is required.
INCLUDE_KEYS = frozenset({"id", "from", "show_if", "required", "repeat"})


class RawFiles(Protocol):
    """The other content files beside the one being read, by key (``kindcheck-v2``)."""

    def raw(self, key: str) -> tuple[dict[str, Any], str, str] | None: ...


class QuestionReader(Reader):
    """Builds :class:`Question` values for a file of format ``file_format``."""

    def __init__(self, problems: Problems, file_format: int, files: RawFiles) -> None:
        super().__init__(problems)
        self.format = file_format
        self.files = files

    # -- questions --------------------------------------------------------------------------

    def build_entry(self, raw: dict[str, Any], line: int) -> Question | None:
        """A question of the file, or one taken over whole from another (``from``)."""
        if "from" not in raw:
            return self.build_question(raw, line)
        question_id = raw.get("id")
        where = question_id if isinstance(question_id, str) else None
        if self.format != 2:
            self.add(line, where, "unknown key 'from' (taking a question over needs format 2)")
            return None
        merged = self.included(raw, line, where)
        return None if merged is None else self.build_question(merged, line, raw["from"])

    def included(self, raw: dict[str, Any], line: int, where: str | None) -> dict[str, Any] | None:
        for key in sorted(set(raw) - INCLUDE_KEYS):
            self.add(
                line,
                where,
                f"'{key}' cannot stand next to 'from' (allowed: show_if, required, repeat)",
            )
        source_key = raw["from"]
        if not isinstance(source_key, str) or not KEY.match(source_key):
            self.add(line, where, "'from' must name a questionnaire, such as \"kindcheck-v2\"")
            return None
        found = self.files.raw(source_key)
        if found is None:
            self.add(line, where, f"'from' names '{source_key}', which is not in this folder")
            return None
        source_data = found[0]
        originals = {
            q.get("id"): q for q in source_data.get("questions", []) if isinstance(q, dict)
        }
        original = originals.get(where)
        if original is None:
            self.add(
                line,
                where,
                f"'{source_key}' has no question '{where}'"
                + hint(str(where), [str(key) for key in originals]),
            )
            return None
        if "from" in original:
            self.add(
                line,
                where,
                f"'{where}' in '{source_key}' is itself taken from '{original['from']}': "
                "take it from there",
            )
            return None
        if raw.get("repeat", original.get("repeat")) != original.get("repeat"):
            self.add(
                line,
                where,
                f"'repeat' differs from the original's ({original.get('repeat')!r} in "
                f"'{source_key}')",
            )
        merged = dict(original)
        for key in ("show_if", "required"):
            if key in raw:
                merged[key] = raw[key]
        return merged

    def build_question(
        self, raw: dict[str, Any], line: int, included_from: str | None = None
    ) -> Question | None:
        question_id = raw.get("id")
        if not isinstance(question_id, str) or not _ID.match(question_id):
            self.add(line, None, "a question needs an 'id' that is a lower-case identifier")
            return None
        where = question_id
        v2 = self.format == 2
        known_keys = _QUESTION_KEYS_2 if v2 else _QUESTION_KEYS_1
        for key in sorted(set(raw) - known_keys):
            if v2 and key == "help":
                self.add(
                    line,
                    where,
                    "'help' is format 1: use 'help_client' (read aloud to the client) and "
                    "'guidance' (for the clinician)",
                )
                continue
            self.add(line, where, f"unknown key '{key}'{hint(key, known_keys)}")
        question_type = raw.get("type")
        if question_type not in QUESTION_TYPES:
            self.add(
                line,
                where,
                f"unknown type {question_type!r}; expected one of " + ", ".join(QUESTION_TYPES),
            )
            question_type = "text"
        text = self.localized(raw.get("text"), line, where, "text")
        help_key = "help_client" if v2 else "help"
        help_client = self.localized(raw.get(help_key), line, where, help_key)
        guidance = self.localized(raw.get("guidance"), line, where, "guidance") if v2 else None
        source = raw.get("source")
        if not isinstance(source, str) or not source.strip():
            self.add(line, where, "'source' must say what the question rests on")
            source = ""
        required = raw.get("required", True)
        if not isinstance(required, bool):
            self.add(line, where, "'required' must be true or false")
            required = True
        options = self.build_options(raw, line, where, question_type)
        minimum, maximum = self.bounds(raw, line, where, question_type)
        role = raw.get("role")
        if role is not None and role not in ROLES:
            self.add(line, where, f"unknown role {role!r}")
            role = None
        values = _allowed_values(question_type, options)
        answer_lists = {
            key: self.answer_list(raw, key, line, where, values)
            for key in ("problem_answers", "signal_answers", "concern_answers", "open_answers")
        }
        prefill = raw.get("prefill")
        prefills: tuple[Prefill, ...] = ()
        if isinstance(prefill, list):
            prefills = self.prefill_list(prefill, line, where, values)
            prefill = None
            if "prefill_if" in raw:
                self.add(line, where, "a list of prefills has its conditions: no 'prefill_if'")
        else:
            if prefill is not None and values is not None and prefill not in values:
                self.add(line, where, f"'prefill' {prefill!r} is not an answer of this question")
            if ("prefill" in raw) != ("prefill_if" in raw):
                self.add(line, where, "'prefill' and 'prefill_if' go together")
        help_one_key = "help_client_one" if v2 else "help_one"
        text_one = (
            self.localized(raw["text_one"], line, where, "text_one") if "text_one" in raw else None
        )
        help_one = (
            self.localized(raw[help_one_key], line, where, help_one_key)
            if help_one_key in raw
            else None
        )
        text_wordings = tuple(
            (wording, self.localized(raw[key], line, where, key))
            for wording in TEXT_WORDINGS
            if (key := f"text_{wording}") in raw
        )
        for key in ("repeat", "domain", "signal", "concern", "same_as", "scp_area"):
            if key in raw and not isinstance(raw[key], str):
                self.add(line, where, f"'{key}' must be an id")
        open_item = None
        if v2 and "open_item" in raw:
            open_item = self.localized(raw["open_item"], line, where, "open_item")
        reask = raw.get("reask")
        if reask is not None and not isinstance(reask, str):
            self.add(line, where, "'reask' must be \"next_contact\"")
            reask = None
        events = self.flag(raw, "events", line, where) if v2 else False

        def text_of(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) else None

        return Question(
            id=question_id,
            type=question_type,
            text=text,
            help_client=help_client,
            source=source,
            line=line,
            required=required,
            show_if=self.condition(raw.get("show_if"), line, where, "show_if"),
            show_if_source=text_of("show_if"),
            options=options,
            minimum=minimum,
            maximum=maximum,
            repeat=text_of("repeat"),
            domain=text_of("domain"),
            problem_answers=answer_lists["problem_answers"],
            signal=text_of("signal"),
            signal_answers=answer_lists["signal_answers"],
            prefill_if=self.condition(raw.get("prefill_if"), line, where, "prefill_if"),
            prefill=prefill,
            role=role,
            guidance=guidance,
            concern=text_of("concern"),
            concern_answers=answer_lists["concern_answers"],
            open_answers=answer_lists["open_answers"],
            open_item=open_item,
            reask=reask,
            same_as=text_of("same_as"),
            scp_area=text_of("scp_area"),
            records_events=events,
            included_from=included_from,
            text_one=text_one,
            help_one=help_one,
            text_wordings=text_wordings,
            prefills=prefills,
        )

    def prefill_list(
        self, raw: list[Any], line: int, where: str, values: Any
    ) -> tuple[Prefill, ...]:
        """``prefill = [ { if = '...', value = "yes" }, ... ]``: the first whose condition
        holds is pre-marked."""
        rules: list[Prefill] = []
        for item in raw:
            if not isinstance(item, dict) or set(item) != {"if", "value"}:
                self.add(line, where, "each prefill is a table { if = '...', value = ... }")
                continue
            value = item["value"]
            if values is not None and value not in values:
                self.add(line, where, f"'prefill' {value!r} is not an answer of this question")
                continue
            condition = self.condition(item["if"], line, where, "prefill")
            if condition is not None:
                rules.append(Prefill(condition, value))
        return tuple(rules)

    def build_options(
        self, raw: dict[str, Any], line: int, where: str, question_type: str
    ) -> tuple[Option, ...]:
        raw_options = raw.get("options")
        if question_type not in ("choice", "multi"):
            if raw_options is not None:
                self.add(line, where, f"a {question_type} question has no 'options'")
            return ()
        if not isinstance(raw_options, list) or not raw_options:
            self.add(line, where, f"a {question_type} question needs 'options'")
            return ()
        options: list[Option] = []
        seen: set[str] = set()
        for raw_option in raw_options:
            option_id = raw_option.get("id") if isinstance(raw_option, dict) else None
            if not isinstance(option_id, str) or not _ID.match(option_id):
                self.add(line, where, "each option needs an 'id' that is a lower-case identifier")
                continue
            if option_id in seen:
                self.add(line, where, f"duplicate option id '{option_id}'")
            seen.add(option_id)
            exclusive = False
            if self.format == 2 and "exclusive" in raw_option:
                exclusive = raw_option["exclusive"] is True
                if not isinstance(raw_option["exclusive"], bool):
                    self.add(
                        line, where, f"option '{option_id}': 'exclusive' must be true or false"
                    )
                elif exclusive and question_type != "multi":
                    self.add(
                        line,
                        where,
                        f"option '{option_id}' is 'exclusive', which only a multi question can be",
                    )
            options.append(
                Option(
                    option_id,
                    self.localized(raw_option, line, where, f"option {option_id}"),
                    exclusive,
                )
            )
        return tuple(options)

    def bounds(
        self, raw: dict[str, Any], line: int, where: str, question_type: str
    ) -> tuple[int | None, int | None]:
        result: list[int | None] = []
        for key in ("min", "max"):
            value = raw.get(key)
            if value is not None and question_type != "number":
                self.add(line, where, f"'{key}' applies to number questions only")
                value = None
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                self.add(line, where, f"'{key}' must be a whole number")
                value = None
            result.append(value)
        minimum, maximum = result
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add(line, where, "'min' is larger than 'max'")
        return minimum, maximum

    def answer_list(
        self, raw: dict[str, Any], key: str, line: int, where: str, values: tuple[str, ...] | None
    ) -> tuple[str, ...]:
        answers = raw.get(key, [])
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            self.add(line, where, f"'{key}' must be a list of answers")
            return ()
        if values is None and answers:
            self.add(line, where, f"'{key}' needs a yesno, choice or multi question")
            return ()
        for answer in answers:
            if values is not None and answer not in values:
                self.add(
                    line,
                    where,
                    f"'{key}' names {answer!r}, which is not an answer of this question",
                )
        return tuple(answers)


def _allowed_values(question_type: str, options: tuple[Option, ...]) -> tuple[str, ...] | None:
    if question_type == "yesno":
        return YESNO_VALUES
    if question_type in ("choice", "multi"):
        return tuple(option.id for option in options)
    return None
