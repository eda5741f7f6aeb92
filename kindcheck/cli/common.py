"""What every command shares: the language and its texts, THE place that writes to the
terminal, output to a file or standard output, secrets, and opening the vault through the
service layer.

Nothing heavy is imported at the top (``kindcheck --help`` stays fast): the service, and with it
the store, is imported inside :func:`vault_service`.

Writing: every line the command line shows goes through :func:`echo`, which strips control
characters (ESC, CSI, bells, bidi overrides) from the whole text, so an id, a file name or an
error text that came from a file or a person cannot move the cursor or rewrite the screen. Data
for ``-o -`` goes through :func:`write_stdout`: exact bytes into a pipe or file, through
:func:`echo` on a terminal. A reader that goes away (``| head``) raises :class:`OutputClosed`,
which :func:`kindcheck.cli.main` turns into a quiet exit.

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
import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from kindcheck.errors import KindcheckError
from kindcheck.i18n import LANGUAGES, plural, t
from kindcheck.text import clean_text

if TYPE_CHECKING:
    from kindcheck.service.vault_service import VaultService

PASSPHRASE_FILE_ENV = "KINDCHECK_PASSPHRASE_FILE"
STDOUT = "-"
"""``-o -``: standard output instead of a file."""


class UsageError(KindcheckError):
    """A command line that cannot be carried out as written (exit 2)."""


class OutputClosed(Exception):
    """Standard output was closed by its reader (``kindcheck ... | head``)."""


# --------------------------------------------------------------------------------------------
# Language and texts


def resolve_language(argv: Sequence[str]) -> str:
    """The language of everything the command line prints: ``--lang`` in ``argv``, else
    ``KINDCHECK_LANG``, else the settings file's ``lang``, else Dutch (the app's order)."""
    explicit = _lang_in(argv)
    if explicit in LANGUAGES:  # no need to find and read the settings file
        return str(explicit)
    from kindcheck.settings import preferred_language

    return preferred_language(explicit)


def _lang_in(argv: Sequence[str]) -> str | None:
    """The value of the last ``--lang`` in ``argv``, read before argparse runs: argparse's own
    messages and the help must already be in that language."""
    found = None
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and index + 1 < len(argv):
            found = argv[index + 1]
        elif word.startswith("--lang="):
            found = word.split("=", 1)[1]
    return found


def lang(args: argparse.Namespace) -> str:
    """The language of what a command prints: nl or en."""
    chosen = getattr(args, "ui_lang", None)
    if chosen in LANGUAGES:
        return str(chosen)
    from kindcheck.settings import preferred_language

    return preferred_language(getattr(args, "lang", None))


def text(key: str, lang: str, /, **values: Any) -> str:
    """Catalog message ``cli.<key>`` in ``lang``."""
    return t(f"cli.{key}", lang, **values)


def counted(key: str, count: int, lang: str, /, **values: Any) -> str:
    """Catalog message ``cli.<key>`` for ``count`` things: the plural form that fits."""
    return plural(f"cli.{key}", count, lang, **values)


def fail(key: str, /, **values: Any) -> NoReturn:
    """Stop the command with catalog message ``cli.<key>`` (exit 1), in the chosen language."""
    raise KindcheckError.from_catalog(f"cli.{key}", **values)


def usage_fail(key: str, /, **values: Any) -> NoReturn:
    """Stop the command: the command line cannot be carried out as written (exit 2)."""
    raise UsageError.from_catalog(f"cli.{key}", **values)


# --------------------------------------------------------------------------------------------
# Writing: the one place


def echo(line: str = "", *, err: bool = False, end: str = "\n") -> None:
    """Write ``line`` to standard output (or standard error) with every control character
    except line breaks and tabs removed. The only function in kindcheck.cli that writes text."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # pythonw, a desktop launcher without a console
        return
    if err:
        # What is already on its way to standard output comes first, as it was written.
        with contextlib.suppress(OSError, ValueError):
            if sys.stdout is not None:
                sys.stdout.flush()
    try:
        stream.write(clean_text(line) + end)
        if err:
            stream.flush()
    except OSError as error:
        if err:
            return  # nowhere left to say anything
        raise _closed(error) from None


def write_stdout(data: bytes) -> None:
    """``-o -``: ``data`` exactly as a file would hold it, into a pipe or a redirect; through
    :func:`echo` when standard output is a terminal (what reaches a screen is cleaned)."""
    stream = sys.stdout
    if stream is None:
        return
    if is_terminal(stream):
        echo(data.decode("utf-8", "replace"), end="")
        return
    buffer: IO[bytes] | None = getattr(stream, "buffer", None)
    try:
        stream.flush()
        if buffer is None:  # a text-only stream (tests capture output so)
            stream.write(data.decode("utf-8"))
        else:
            buffer.write(data)
            buffer.flush()
    except OSError as error:
        raise _closed(error) from None


def flush_stdout() -> None:
    """Everything written so far, out now: a closed pipe shows here rather than at exit."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except OSError as error:
        raise _closed(error) from None


def _closed(error: OSError) -> BaseException:
    # A closed pipe: EPIPE on POSIX (BrokenPipeError); Windows reports EINVAL on the flush.
    if isinstance(error, BrokenPipeError) or error.errno in (errno.EPIPE, errno.EINVAL):
        return OutputClosed()
    return error


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def is_stdout(path: Path | str | None) -> bool:
    return path is not None and str(path) == STDOUT


def print_table(rows: Sequence[Sequence[str]], caps: Sequence[int]) -> None:
    """Rows as aligned columns, each at most its cap wide (longer cells are cut)."""
    widths = [min(max(len(row[i]) for row in rows), caps[i]) for i in range(len(caps))]
    for row in rows:
        echo(
            "  ".join(
                cell[:width].ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


def print_damaged(damaged: Sequence[str]) -> None:
    """Each damaged record, named on stderr."""
    for problem in damaged:
        echo(f"kindcheck: {problem}", err=True)


# --------------------------------------------------------------------------------------------
# The vault


def vault_service(args: argparse.Namespace) -> VaultService:
    """The service over the vault in the data dir, nothing opened yet (use it in ``with``: it
    closes the vault at the end)."""
    from kindcheck.service.vault_service import VaultService

    return VaultService(data_dir(args), lang=lang(args))


def data_dir(args: argparse.Namespace) -> Path:
    """The vault's folder (kindcheck.settings.resolve_data_dir)."""
    from kindcheck.settings import resolve_data_dir

    return resolve_data_dir(getattr(args, "data_dir", None))


def given_data_dir(args: argparse.Namespace) -> Path | None:
    """The data dir as given (``--data-dir``, else KINDCHECK_DATA_DIR), None: the app decides."""
    given: Path | None = getattr(args, "data_dir", None)
    if given is None and os.environ.get("KINDCHECK_DATA_DIR"):
        given = Path(os.environ["KINDCHECK_DATA_DIR"])
    return given


def unlock(
    args: argparse.Namespace, secrets: SecretSource | None = None, *, inspect: bool = False
) -> VaultService:
    """The service with the vault opened by the passphrase; the rollback warning printed.
    ``inspect``: opened read-only to list problems (`kindcheck verify`)."""
    service = vault_service(args)
    if not service.exists():
        # Before asking: no point typing a passphrase for a vault that is not there.
        fail("vault.no_vault", folder=service.data_dir)
    secrets = secrets or SecretSource(args)
    service.unlock(secrets.read("passphrase_prompt", "the_passphrase"), inspect=inspect)
    warn_rollback(service, service.lang)
    return service


def warn_rollback(service: VaultService, lang: str) -> None:
    """The rollback warning (store.ROLLBACK_WARNING), on stderr, once per replaced file."""
    warning = service.rollback_warning
    if warning:
        echo(text("warning", lang, text=warning), err=True)


def login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (some containers)
        return "unknown"


# --------------------------------------------------------------------------------------------
# Secrets


class SecretSource:
    """The secrets one command reads: stdin lines, the passphrase file's lines, or prompts.

    Prompts and descriptions are keys under ``cli.secret`` in the catalog."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._lang = lang(args)
        self._stdin = bool(getattr(args, "passphrase_stdin", False))
        self._file = None if self._stdin else (os.environ.get(PASSPHRASE_FILE_ENV) or None)
        self._file_lines: list[str] | None = None
        self._line = 0

    @property
    def interactive(self) -> bool:
        return not self._stdin and self._file is None

    def read(self, prompt: str, what: str, **values: Any) -> str:
        """The next secret (``prompt`` and ``what``: keys under ``cli.secret``)."""
        self._line += 1
        if self._stdin:
            return self._stdin_line(what)
        if self._file is not None:
            return self._file_line(what)
        return self._prompt(text(f"secret.{prompt}", self._lang, **values), what)

    def read_new(self, what: str = "the_new_passphrase") -> str:
        """A new passphrase: asked twice on a terminal, checked before anything is derived."""
        from kindcheck.passphrase import MIN_LENGTH, check_new_passphrase

        first = self.read("new_prompt", what, minimum=MIN_LENGTH)
        check_new_passphrase(first)
        if self.interactive:
            again = self._prompt(text("secret.repeat_prompt", self._lang), what)
            if again != first:
                fail("secret.differ")
        return first

    def _stdin_line(self, what: str) -> str:
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.readline() if stream is not None else sys.stdin.readline().encode()
        if not raw:
            self._fail("secret.expected_on_stdin", what, line=self._line)
        return self._line_text(raw, what)

    def _file_line(self, what: str) -> str:
        assert self._file is not None
        if self._file_lines is None:
            from kindcheck.paths import readable_by_others

            if exposed := readable_by_others(self._file):
                warning = text(
                    "secret.file_exposed",
                    self._lang,
                    variable=PASSPHRASE_FILE_ENV,
                    path=self._file,
                    reason=exposed,
                )
                echo(warning, err=True)
            try:
                with open(self._file, "rb") as handle:
                    raw = handle.read(64 * 1024)
            except OSError as error:
                fail("secret.file_unreadable", variable=PASSPHRASE_FILE_ENV, reason=error.strerror)
            self._file_lines = [self._line_text(line, what) for line in raw.split(b"\n")]
        if self._line > len(self._file_lines) or (
            self._line == len(self._file_lines) and self._file_lines[-1] == ""
        ):
            self._fail(
                "secret.expected_in_file", what, line=self._line, variable=PASSPHRASE_FILE_ENV
            )
        return self._file_lines[self._line - 1]

    @staticmethod
    def _prompt(prompt: str, what: str) -> str:
        """Ask on the terminal with ``prompt`` (in the chosen language), nothing echoed."""
        if not is_terminal(sys.stdin):
            raise SecretError("secret.no_terminal", what, {"variable": PASSPHRASE_FILE_ENV})
        import getpass  # here: 3 ms that `kindcheck --help` need not pay

        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise SecretError("secret.nothing_given", what, {}) from None

    def _fail(self, key: str, what: str, **values: Any) -> NoReturn:
        """Error ``key`` about secret ``what``: ``{what}`` is itself a message (say "de
        wachtzin" in Dutch), so the error carries it in each language."""
        raise SecretError(key, what, values)

    def _line_text(self, raw: bytes, what: str) -> str:
        # Only the line end goes: spaces at either end can be part of a passphrase.
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._fail("secret.not_utf8", what)


class SecretError(KindcheckError):
    """A secret that could not be read; its message names the secret in the chosen language."""

    def __init__(self, key: str, what: str, values: dict[str, Any]) -> None:
        self.what = what
        self.message_key = f"cli.{key}"
        self.message_values = values
        super().__init__(self.render("en"))

    def render(self, lang: str) -> str:
        what = t(f"cli.secret.{self.what}", lang)
        return t(self.message_key, lang, what=what, **self.message_values)


def error_text(error: BaseException, lang: str) -> str:
    """An error's message in ``lang`` (its own English text when it has no catalog key)."""
    from kindcheck.i18n import error_message

    if isinstance(error, SecretError):
        return error.render(lang)
    return error_message(error, lang)


__all__ = [
    "STDOUT",
    "OutputClosed",
    "SecretSource",
    "UsageError",
    "counted",
    "echo",
    "error_text",
    "fail",
    "is_stdout",
    "lang",
    "print_damaged",
    "print_table",
    "text",
    "unlock",
    "usage_fail",
    "vault_service",
    "write_stdout",
]
