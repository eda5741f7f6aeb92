"""The commands that open the vault (init, record, list, verify, passwd, backup, restore).

Imported by kindcheck.cli only when the parser is built; the store (SQLModel) is imported
inside each command so ``kindcheck --help`` stays light.
"""

from __future__ import annotations

import argparse
from typing import Any

from kindcheck.errors import KindcheckError


def add_commands(
    commands: Any, common: argparse.ArgumentParser, passphrase: argparse.ArgumentParser
) -> None:
    """Register the vault commands on the sub-command parser."""


def run_app(args: argparse.Namespace) -> int:
    raise KindcheckError("the app is not available yet")
