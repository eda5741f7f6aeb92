"""What every command shares: secrets, the data dir and language, opening the vault through the
service layer, and printing.

Nothing heavy is imported at the top (``kindcheck --help`` stays fast): the service, and with it
the store, is imported inside :func:`vault_service`.

Secrets (passphrase, recovery key) come from, in this order:

1. ``--passphrase-stdin``: lines of standard input, one secret per line (only the line end is
   removed). ``passwd``: line 1 the current passphrase, line 2 the new one. ``passwd
   --recovery``: line 1 the recovery key, line 2 the new passphrase. ``init``: line 1 the new
   passphrase.
2. ``KINDCHECK_PASSPHRASE_FILE``: the lines of that file, in the same order (most commands read
   only the first line).
3. The terminal (getpass, nothing echoed). A new passphrase is asked twice there.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.errors import KindcheckError
from kindcheck.text import one_line

if TYPE_CHECKING:
    from kindcheck.service.vault_service import VaultService

PASSPHRASE_FILE_ENV = "KINDCHECK_PASSPHRASE_FILE"

Texts = Mapping[str, Mapping[str, str]]
"""Lines a command prints, by key, then language."""

_WARNING: Texts = {
    "warning": {"nl": "kindcheck: waarschuwing: {text}", "en": "kindcheck: warning: {text}"},
}


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit 2)."""


def say(texts: Texts, key: str, lang: str, **values: Any) -> str:
    """One of a command's own lines in ``lang`` (English when it has no such language)."""
    line = texts[key]
    return line.get(lang, line["en"]).format(**values)


# --------------------------------------------------------------------------------------------
# Settings


def settings_from(args: argparse.Namespace) -> tuple[Path | None, str]:
    """The data dir (None: the app decides) and language as given, for the commands that do not
    open the vault: ``--data-dir``, else KINDCHECK_DATA_DIR; ``--lang``, else KINDCHECK_LANG."""
    data_dir = getattr(args, "data_dir", None)
    if data_dir is None and os.environ.get("KINDCHECK_DATA_DIR"):
        data_dir = Path(os.environ["KINDCHECK_DATA_DIR"])
    return data_dir, getattr(args, "lang", None) or os.environ.get("KINDCHECK_LANG", "nl")


def data_dir(args: argparse.Namespace) -> Path:
    """The vault's folder (kindcheck.settings.resolve_data_dir)."""
    from kindcheck.settings import resolve_data_dir

    return resolve_data_dir(getattr(args, "data_dir", None))


def lang(args: argparse.Namespace) -> str:
    """The language of what a vault command prints: nl or en."""
    chosen = getattr(args, "lang", None) or os.environ.get("KINDCHECK_LANG", "nl")
    return chosen if chosen in ("nl", "en") else "nl"


# --------------------------------------------------------------------------------------------
# The vault


def vault_service(args: argparse.Namespace) -> VaultService:
    """The service over the vault in the data dir, nothing opened yet (use it in ``with``: it
    closes the vault at the end)."""
    from kindcheck.service.vault_service import VaultService

    return VaultService(data_dir(args), lang=lang(args))


def unlock(
    args: argparse.Namespace, secrets: SecretSource | None = None, *, inspect: bool = False
) -> VaultService:
    """The service with the vault opened by the passphrase; the rollback warning printed.
    ``inspect``: opened read-only to list problems (`kindcheck verify`)."""
    service = vault_service(args)
    if not service.exists():
        # Before asking: no point typing a passphrase for a vault that is not there.
        raise KindcheckError(
            f"there is no vault in {service.data_dir}: create one with `kindcheck init`"
        )
    secrets = secrets or SecretSource(args)
    service.unlock(secrets.read("Passphrase: ", "the passphrase"), inspect=inspect)
    warn_rollback(service, service.lang)
    return service


def warn_rollback(service: VaultService, lang: str) -> None:
    """The rollback warning (store.ROLLBACK_WARNING), on stderr, once per replaced file."""
    warning = service.rollback_warning
    if warning:
        print(say(_WARNING, "warning", lang, text=warning), file=sys.stderr)


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (some containers)
        return "unknown"


# --------------------------------------------------------------------------------------------
# Printing


def table_lines(rows: Sequence[Sequence[str]], caps: Sequence[int]) -> list[str]:
    """Rows as aligned columns, each at most its cap wide (longer cells are cut)."""
    widths = [min(max(len(row[i]) for row in rows), caps[i]) for i in range(len(caps))]
    return [
        "  ".join(
            cell[:width].ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def print_damaged(damaged: Sequence[str]) -> None:
    """Each damaged record, named on stderr."""
    for problem in damaged:
        print(f"kindcheck: {problem}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Secrets


class SecretSource:
    """The secrets one command reads: stdin lines, the passphrase file's lines, or prompts."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._stdin = bool(getattr(args, "passphrase_stdin", False))
        self._file = None if self._stdin else (os.environ.get(PASSPHRASE_FILE_ENV) or None)
        self._file_lines: list[str] | None = None
        self._line = 0

    @property
    def interactive(self) -> bool:
        return not self._stdin and self._file is None

    def read(self, prompt: str, what: str) -> str:
        """The next secret."""
        self._line += 1
        if self._stdin:
            return self._stdin_line(what)
        if self._file is not None:
            return self._file_line(what)
        return self._prompt(prompt, what)

    def read_new(self, prompt: str, what: str = "the new passphrase") -> str:
        """A new passphrase: asked twice on a terminal, checked before anything is derived."""
        from kindcheck.passphrase import check_new_passphrase

        first = self.read(prompt, what)
        check_new_passphrase(first)
        if self.interactive:
            again = self._prompt("Repeat it: ", what)
            if again != first:
                raise KindcheckError("the two passphrases differ; nothing was changed")
        return first

    def _stdin_line(self, what: str) -> str:
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.readline() if stream is not None else sys.stdin.readline().encode()
        if not raw:
            raise KindcheckError(f"expected {what} on line {self._line} of standard input")
        return _line_text(raw, what)

    def _file_line(self, what: str) -> str:
        assert self._file is not None
        if self._file_lines is None:
            from kindcheck.paths import readable_by_others

            if exposed := readable_by_others(self._file):
                print(
                    f"kindcheck: warning: {PASSPHRASE_FILE_ENV} ({one_line(str(self._file))}): "
                    f"{exposed}; make it private (chmod 600)",
                    file=sys.stderr,
                )
            try:
                with open(self._file, "rb") as handle:
                    raw = handle.read(64 * 1024)
            except OSError as error:
                raise KindcheckError(
                    f"{PASSPHRASE_FILE_ENV} cannot be read ({error.strerror})"
                ) from None
            self._file_lines = [_line_text(line, what) for line in raw.split(b"\n")]
        if self._line > len(self._file_lines) or (
            self._line == len(self._file_lines) and self._file_lines[-1] == ""
        ):
            raise KindcheckError(f"expected {what} on line {self._line} of {PASSPHRASE_FILE_ENV}")
        return self._file_lines[self._line - 1]

    @staticmethod
    def _prompt(prompt: str, what: str) -> str:
        if not sys.stdin.isatty():
            raise KindcheckError(
                f"no terminal to ask for {what}: use --passphrase-stdin or {PASSPHRASE_FILE_ENV}"
            )
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise KindcheckError(f"no {what} given") from None


def _line_text(raw: bytes, what: str) -> str:
    # Only the line end goes: spaces at either end can be part of a passphrase.
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KindcheckError(f"{what} is not UTF-8 text") from None
