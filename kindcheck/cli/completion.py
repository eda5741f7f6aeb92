"""``kindcheck --print-completion SHELL``: a completion script for the shell, written by shtab.

shtab turns the parser into a static script once; pressing Tab then runs nothing of Kindcheck
(argcomplete would start Python and import the command line on every Tab, and needs a global
hook). The script completes commands and options, the choices of ``--lang``, ``--format`` and
the like, file names where a command takes a file and folder names where it takes a folder.
README, "Shell completion", says where each shell wants it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import write_stdout

_FOLDER_OPTIONS = frozenset({"--data-dir"})
_FOLDER_COMMANDS = frozenset({"team-key"})  # its -o is a folder


def _mark_paths(parser: argparse.ArgumentParser, shtab: Any, folder_output: bool) -> None:
    """Every argument that takes a Path completes file names, folder names where it is a
    folder (``--data-dir``, ``team-key -o``)."""
    for action in parser._actions:
        if action.type is Path:
            folder = bool(set(action.option_strings) & _FOLDER_OPTIONS) or (
                folder_output and action.dest == "output"
            )
            action.complete = shtab.DIRECTORY if folder else shtab.FILE  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                _mark_paths(child, shtab, name in _FOLDER_COMMANDS)


def print_completion(parser: argparse.ArgumentParser, shell: str) -> int:
    import shtab

    _mark_paths(parser, shtab, folder_output=False)
    script = shtab.complete(parser, shell=shell)
    write_stdout(script.encode("utf-8") if script.endswith("\n") else (script + "\n").encode())
    return 0
