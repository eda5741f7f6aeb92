"""The columns each record decoder reads: the row of the matching SELECT has them (a
:class:`~kindcheck.store.sqlite` row or any object with these attributes)."""

from __future__ import annotations

from typing import Protocol


class Identified(Protocol):
    @property
    def id(self) -> str: ...


class ClientColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def data(self) -> bytes: ...


class SessionHeaderColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def header(self) -> bytes: ...


class SessionColumns(SessionHeaderColumns, Protocol):
    @property
    def body(self) -> bytes: ...


class MeldcodeColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def meldcode(self) -> bytes: ...


class OwnedDataColumns(Protocol):
    """A record of a client's in a ``data`` column: a plan, a session's facts record."""

    @property
    def id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def data(self) -> bytes: ...


PlanColumns = OwnedDataColumns
FactsColumns = OwnedDataColumns


class AmendmentColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def session_id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def data(self) -> bytes: ...


class DraftColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def ref_index(self) -> str | None: ...
    @property
    def format_version(self) -> int: ...
    @property
    def data(self) -> bytes: ...
