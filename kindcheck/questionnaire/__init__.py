"""Questionnaires as data: load and validate a TOML file, then walk it.

The file format is described in questionnaires/FORMAT.md. Loading validates the whole file and
raises one :class:`~kindcheck.errors.QuestionnaireError` listing every problem, each with file,
question id and line, so an author fixes them all in one go. Everything here is plain data and
pure functions.

- :mod:`.model`: the frozen values (Questionnaire, Question, Option, Repeat, Domain, Signal).
- :mod:`.loader`: parsing and validating a file (``load_questionnaire``, ``parse_questionnaire``).
- :mod:`.values`: one answer checked (``check_value``) or read from typed text
  (``parse_user_input``).
- :mod:`.walker`: which question comes next (``Step``, ``Walker``).
- :mod:`.shipped`: the questionnaires installed with Kindcheck (``load_shipped``).

Every name stays importable from ``kindcheck.questionnaire``, including ``clean_text``, which
now lives in :mod:`kindcheck.text`.
"""

from __future__ import annotations

from kindcheck.text import clean_text

from .loader import load_questionnaire, parse_questionnaire
from .model import (
    CONTEXT_NAMES,
    LANGUAGES,
    QUESTION_TYPES,
    ROLES,
    SETTINGS,
    YESNO_VALUES,
    Answers,
    Domain,
    Localized,
    Option,
    Question,
    Questionnaire,
    Repeat,
    Signal,
)
from .shipped import load_shipped, questionnaire_dir, shipped_files
from .values import NUMBER_LIMIT, TEXT_LIMITS, check_value, parse_user_input
from .walker import Step, Walker

__all__ = [
    "CONTEXT_NAMES",
    "LANGUAGES",
    "NUMBER_LIMIT",
    "QUESTION_TYPES",
    "ROLES",
    "SETTINGS",
    "TEXT_LIMITS",
    "YESNO_VALUES",
    "Answers",
    "Domain",
    "Localized",
    "Option",
    "Question",
    "Questionnaire",
    "Repeat",
    "Signal",
    "Step",
    "Walker",
    "check_value",
    "clean_text",
    "load_questionnaire",
    "load_shipped",
    "parse_questionnaire",
    "parse_user_input",
    "questionnaire_dir",
    "shipped_files",
]
