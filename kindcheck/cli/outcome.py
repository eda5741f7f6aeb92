"""The commands that need no vault: ``outcome`` (an answers file's outcome) and
``check-questionnaire`` (every problem in questionnaire files)."""

from __future__ import annotations

import argparse
import json
import sys

from .common import settings_from


def cmd_outcome(args: argparse.Namespace) -> int:
    from kindcheck.answers import read_answers_file
    from kindcheck.outcome import compute_outcome, outcome_lines, outcome_to_json

    _data_dir, lang = settings_from(args)
    session = read_answers_file(args.answers)
    outcome = compute_outcome(session)
    if args.json:
        print(json.dumps(outcome_to_json(outcome, lang), ensure_ascii=False, indent=2))
    else:
        print("\n".join(outcome_lines(outcome, lang)))
    return 0


def cmd_check_questionnaire(args: argparse.Namespace) -> int:
    from kindcheck.errors import QuestionnaireError
    from kindcheck.questionnaire import load_questionnaire

    failed = False
    for path in args.files:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            failed = True
            print(str(error), file=sys.stderr)
        else:
            print(f"{path}: ok ({questionnaire.key}, {len(questionnaire.questions)} questions)")
    return 1 if failed else 0
