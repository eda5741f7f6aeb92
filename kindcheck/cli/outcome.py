"""The commands that need no vault: ``outcome`` (an answers file's outcome) and
``check-questionnaire`` (every problem in questionnaire files)."""

from __future__ import annotations

import argparse
import json

from .common import counted, echo, error_text, lang


def cmd_outcome(args: argparse.Namespace) -> int:
    from kindcheck.answers import read_answers_file
    from kindcheck.outcome import compute_outcome, outcome_lines, outcome_to_json

    language = lang(args)
    session = read_answers_file(args.answers)
    outcome = compute_outcome(session)
    if args.json:
        echo(json.dumps(outcome_to_json(outcome, language), ensure_ascii=False, indent=2))
    else:
        echo("\n".join(outcome_lines(outcome, language)))
    return 0


def cmd_check_questionnaire(args: argparse.Namespace) -> int:
    from kindcheck.errors import QuestionnaireError
    from kindcheck.questionnaire import load_questionnaire

    language = lang(args)
    failed = False
    for path in args.files:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            failed = True
            echo(error_text(error, language), err=True)
        else:
            count = len(questionnaire.questions)
            echo(
                counted(
                    "outcome.questionnaire_ok", count, language, path=path, key=questionnaire.key
                )
            )
    return 1 if failed else 0
