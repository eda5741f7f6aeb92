"""The errors a user can cause, each with a message written for a person.

The CLI prints the message on stderr and exits 1; the app shows it in an error dialog.
Messages never contain client data (names, answers, notes): they name fields, files and
record ids only, so that a message copied into a ticket or a log leaks nothing.

``str(error)`` is the English text. An error may also carry a message ``key`` of the catalog
(kindcheck/locale/messages.toml) and the ``values`` for its fields; then
:func:`kindcheck.i18n.error_message` shows it in the person's language. Errors without a key
are shown as they are (English) until their module gets keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Self


class Phrase:
    """A catalog text used inside another error's message ("nothing was saved"), so that the
    whole message is said in the person's language (:func:`kindcheck.i18n.error_message`)."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def in_language(self, lang: str) -> str:
        from kindcheck.i18n import t

        return t(self.key, lang)

    def __str__(self) -> str:
        return self.in_language("en")

    def __repr__(self) -> str:
        return f"Phrase({self.key!r})"


class KindcheckError(Exception):
    """Base class for every error the user can cause or fix."""

    key: str | None = None
    """The catalog key of this message (None: the English text is all there is)."""

    values: Mapping[str, Any] = MappingProxyType({})
    """The values of the message's ``{name}`` fields."""

    def __init__(
        self, *args: object, key: str | None = None, values: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(*args)
        if key is not None:
            self.key = key
        if values is not None:
            self.values = MappingProxyType(dict(values))

    @classmethod
    def from_catalog(cls, key: str, /, **values: Any) -> Self:
        """The error whose message is catalog entry ``key``: English as ``str(error)``, and
        shown in the person's language by :func:`kindcheck.i18n.error_message`."""
        from kindcheck.i18n import t

        return cls(t(key, "en", **values), key=key, values=values)

    def in_language(self, lang: str) -> str | None:
        """The message in ``lang`` when the error carries it itself (None: use ``key``)."""
        return None


class QuestionnaireError(KindcheckError):
    """A questionnaire file is malformed; carries every problem found at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class AnswersError(KindcheckError):
    """An answers file or an answer does not fit its questionnaire.

    ``problems`` are the English lines; ``localized`` may hold the same lines per language
    (a problem without a catalog text stays English there)."""

    def __init__(
        self, problems: list[str], *, localized: Mapping[str, list[str]] | None = None
    ) -> None:
        self.problems = list(problems)
        self.localized = {lang: list(lines) for lang, lines in (localized or {}).items()}
        super().__init__("\n".join(self.problems))

    def in_language(self, lang: str) -> str | None:
        lines = self.localized.get(lang)
        return "\n".join(lines) if lines is not None else None


class ConditionError(KindcheckError):
    """A show_if condition cannot be parsed."""


class VaultError(KindcheckError):
    """The vault cannot be opened, read or written."""


class WrongPassphrase(VaultError):
    """The passphrase or recovery key does not open the vault.

    Always the same message, whatever was wrong, so it tells an attacker nothing.
    """

    key = "error.wrong_passphrase"

    def __init__(self) -> None:
        super().__init__("wrong passphrase")


class RecordDamaged(VaultError):
    """One stored record fails to decrypt or to parse.

    ``record`` is the record's name as the store knows it (``table/id``, the id as it is in the
    file, so the app can look it up); the message itself only ever holds a cleaned id.
    """

    def __init__(self, message: str, *, record: str | None = None) -> None:
        super().__init__(message)
        self.record = record


class SlotDamaged(VaultError):
    """Every key slot of one kind is damaged: that secret (``kind``: "passphrase" or
    "recovery") no longer opens the vault; the other one still does. The message says which
    slot and what to do."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class SchemaRefused(VaultError):
    """The vault file's tables, indexes, triggers or views are not exactly what Kindcheck
    made; ``problems`` names each difference. Nothing was written."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = list(problems)


class VaultLocked(VaultError):
    """Another running copy of the app holds the vault."""


class FollowUpError(KindcheckError):
    """A follow-up plan, rule or change is invalid (the message names no client data)."""


class ExportError(KindcheckError):
    """An export, a team file or a merge cannot be made (the message names files, never clients)."""
