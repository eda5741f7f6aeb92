"""Questionnaires as data: load and validate a TOML file, then walk it.

The file format is described in questionnaires/FORMAT.md. Loading validates the whole file and
raises one :class:`~kindcheck.errors.QuestionnaireError` listing every problem, each with file,
question id and line, so an author fixes them all in one go. Everything here is plain data and
pure functions.

- :mod:`.model`: the frozen values (Questionnaire, Question, Option, Repeat, Domain, AdviceItem,
  Signal, Derived, ScanCompat).
- :mod:`.catalog`: the outcome catalog of format 2 (signals, concerns, hand-offs, events) and the
  Meldcode guides; :mod:`.catalog_loader` reads them.
- :mod:`.loader`: parsing and validating a file (``load_questionnaire``, ``parse_questionnaire``);
  :mod:`.checks` holds the checks between its parts and between files; :mod:`.reading` what
  every reader shares; :mod:`.files` where content files are and of what kind.
- :mod:`.values`: one answer checked (``check_value``) or read from typed text
  (``parse_user_input``).
- :mod:`.walker`: which question comes next (``Step``, ``Walker``).
- :mod:`.shipped`: the content installed with Kindcheck (``load_shipped``: the newest version
  for a new session, or the version a stored session names; ``load_guide``;
  ``load_shipped_catalog``).

Every name stays importable from ``kindcheck.questionnaire``, including ``clean_text``, which
now lives in :mod:`kindcheck.text`.
"""

from __future__ import annotations

from kindcheck.text import clean_text

from .catalog import (
    Afweging,
    Catalog,
    Concern,
    ConcernStep,
    Decision,
    Event,
    Handoff,
    MeldcodeGuide,
    MeldcodeGuideV2,
    MeldcodeStep,
    ProfessionalGroup,
)
from .catalog_loader import load_catalog, parse_catalog, parse_guide
from .files import questionnaire_dir
from .loader import load_content_file, load_questionnaire, parse_questionnaire
from .model import (
    CONTEXT_NAMES,
    LANGUAGES,
    OUTCOME_CONTEXT_NAMES,
    QUESTION_TYPES,
    ROLES,
    SESSION_CONTEXT_NAMES,
    SETTINGS,
    YESNO_VALUES,
    AdviceItem,
    Answers,
    Derived,
    Domain,
    Localized,
    Option,
    Prefill,
    Question,
    Questionnaire,
    Repeat,
    ScanCompat,
    Section,
    Signal,
    Wording,
)
from .shipped import (
    load_guide,
    load_shipped,
    load_shipped_catalog,
    newest_version,
    shipped_files,
)
from .values import NUMBER_LIMIT, TEXT_LIMITS, check_value, parse_user_input
from .walker import Step, Walker

__all__ = [
    "CONTEXT_NAMES",
    "LANGUAGES",
    "NUMBER_LIMIT",
    "OUTCOME_CONTEXT_NAMES",
    "QUESTION_TYPES",
    "ROLES",
    "SESSION_CONTEXT_NAMES",
    "SETTINGS",
    "TEXT_LIMITS",
    "YESNO_VALUES",
    "AdviceItem",
    "Afweging",
    "Answers",
    "Catalog",
    "Concern",
    "ConcernStep",
    "Decision",
    "Derived",
    "Domain",
    "Event",
    "Handoff",
    "Localized",
    "MeldcodeGuide",
    "MeldcodeGuideV2",
    "MeldcodeStep",
    "Option",
    "Prefill",
    "ProfessionalGroup",
    "Question",
    "Questionnaire",
    "Repeat",
    "ScanCompat",
    "Section",
    "Signal",
    "Step",
    "Walker",
    "Wording",
    "check_value",
    "clean_text",
    "load_catalog",
    "load_content_file",
    "load_guide",
    "load_questionnaire",
    "load_shipped",
    "load_shipped_catalog",
    "newest_version",
    "parse_catalog",
    "parse_guide",
    "parse_questionnaire",
    "parse_user_input",
    "questionnaire_dir",
    "shipped_files",
]
