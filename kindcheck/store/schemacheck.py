"""The vault file's schema checked against the exact schema Kindcheck made (SECURITY.md,
"The file's schema is checked").

Someone with the file but not the passphrase can add a trigger that deletes every new session
as it is saved, a view, an extra table, index or column, or rebuild a table without a
constraint; ``trusted_schema=OFF`` does not stop triggers. So before anything is written, and
before the key is derived, the rows of ``sqlite_master`` are compared with what the frozen DDL
of the file's storage schema version (:data:`.schema.DDL_BY_VERSION`) makes in a scratch
in-memory database: the same objects (type, name, table) with the same SQL text (whitespace
folded). SQLite keeps the text of every CREATE statement as it ran, and every vault was made
by exactly these statements, so anything else was made by someone else. A version without
frozen DDL (only when tests add a migration) is what that migration made in this process, or
else what replaying the migrations in a scratch database makes.

Every name in a message comes from the file and goes through :func:`kindcheck.text.one_line`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from kindcheck.store.schema import DDL_BY_VERSION, SchemaObject
from kindcheck.store.sqlite import Engine, read_schema
from kindcheck.text import one_line
from kindcheck.vault import RecordCipher, new_data_key

_FROM_DDL: dict[int, tuple[SchemaObject, ...]] = {}
_REPLAYED: dict[tuple[int, tuple[int, ...]], tuple[SchemaObject, ...]] = {}


def _from_ddl(version: int) -> tuple[SchemaObject, ...]:
    if version not in _FROM_DDL:
        scratch = sqlite3.connect(":memory:")
        try:
            for statement in DDL_BY_VERSION[version]:
                scratch.execute(statement)
            _FROM_DDL[version] = tuple(read_schema(scratch))
        finally:
            scratch.close()
    return _FROM_DDL[version]


def _key(version: int, migrations: Mapping[int, Any]) -> tuple[int, tuple[int, ...]]:
    return version, tuple(id(migrations.get(number)) for number in range(version))


def remember_schema(
    version: int, migrations: Mapping[int, Any], objects: Iterable[SchemaObject]
) -> None:
    """What a migration to a version without frozen DDL (only tests add one) made: that is
    the schema of that version, for these migrations."""
    _REPLAYED[_key(version, migrations)] = tuple(objects)


def _replayed(version: int, migrations: Mapping[int, Any]) -> tuple[SchemaObject, ...]:
    steps = tuple(migrations.get(number) for number in range(version))
    key = _key(version, migrations)
    if key not in _REPLAYED:
        engine = Engine(lambda: sqlite3.connect(":memory:", isolation_level=None))
        cipher = RecordCipher(new_data_key())  # a throwaway key: the scratch holds no records
        try:
            with engine.begin() as conn:
                for step in steps:
                    if step is None:
                        return ()
                    step(conn, cipher)
                _REPLAYED[key] = tuple(read_schema(conn))
        finally:
            engine.dispose()
    return _REPLAYED[key]


def expected_schema(version: int, migrations: Mapping[int, Any]) -> tuple[SchemaObject, ...]:
    """What a vault of storage schema ``version`` holds in ``sqlite_master``."""
    if version in DDL_BY_VERSION:
        return _from_ddl(version)
    return _replayed(version, migrations)


def _describe(found: SchemaObject) -> str:
    name, table = one_line(found.name), one_line(found.table)
    if found.type == "trigger":
        return (
            f"the vault file holds a trigger {name} on {table} that Kindcheck did not make: it "
            "could change or delete records behind Kindcheck's back"
        )
    if found.type == "view":
        return f"the vault file holds a view {name} that Kindcheck did not make"
    if found.type == "table":
        return f"the vault file holds an extra table {name} that Kindcheck did not make"
    if found.type == "index":
        return f"the vault file holds an extra index {name} on {table} that Kindcheck did not make"
    return f"the vault file holds a {one_line(found.type)} {name} that Kindcheck did not make"


def _changed_table(found: SchemaObject, expected: SchemaObject) -> str:
    extra = [column for column in found.columns if column not in expected.columns]
    missing = [column for column in expected.columns if column not in found.columns]
    details = [f"extra column {one_line(column)}" for column in extra]
    details += [f"missing column {one_line(column)}" for column in missing]
    if not details:
        details = ["its columns or constraints differ"]
    return f"the table {one_line(found.name)} is not as Kindcheck made it: " + ", ".join(details)


def schema_problems(
    found: Iterable[SchemaObject], version: int, migrations: Mapping[int, Any]
) -> list[str]:
    """One line per difference between the file's schema and storage schema ``version``'s."""
    expected = {item.key: item for item in expected_schema(version, migrations)}
    present = {item.key: item for item in found}
    changed_tables = {
        key[1]
        for key, item in present.items()
        if item.type == "table" and key in expected and item.sql != expected[key].sql
    }
    missing_tables = {key[1] for key in expected if key[0] == "table" and key not in present}

    def about_a_changed_table(item: SchemaObject) -> bool:
        # An automatic index follows from its table's definition: a rebuilt table is the one
        # problem to name, not the indexes SQLite made (or did not make) for it.
        return item.type == "index" and item.sql is None and item.table in changed_tables

    problems: list[str] = []
    for key, item in present.items():
        if key not in expected:
            if not about_a_changed_table(item):
                problems.append(_describe(item))
        elif item.table != expected[key].table or item.sql != expected[key].sql:
            if item.type == "table":
                problems.append(_changed_table(item, expected[key]))
            elif not about_a_changed_table(item):
                problems.append(
                    f"the {one_line(item.type)} {one_line(item.name)} is not as Kindcheck made it"
                )
    for key, item in expected.items():
        if key in present or about_a_changed_table(item):
            continue
        if item.type != "table" and item.table in missing_tables:
            continue
        where = "" if item.type == "table" else f" on {one_line(item.table)}"
        problems.append(f"the {item.type} {one_line(item.name)}{where} is missing")
    return problems


def matching_versions(
    found: Iterable[SchemaObject], newest: int, migrations: Mapping[int, Any]
) -> list[int]:
    """The known storage schema versions whose schema the file has exactly."""
    objects = list(found)
    return [
        version
        for version in range(1, newest + 1)
        if not schema_problems(objects, version, migrations)
    ]


def check_schema(
    found: Iterable[SchemaObject], stored_version: int, newest: int, migrations: Mapping[int, Any]
) -> list[str]:
    """Problems of the file's schema for the version the file says it has. When its tables
    are exactly those of another version, that is the one problem: the stored version was
    edited or damaged (it sits in a plain column)."""
    objects = list(found)
    if stored_version > newest:
        return []  # refused by the caller: a newer Kindcheck made it
    problems = schema_problems(objects, stored_version, migrations)
    if not problems:
        return []
    others = [v for v in matching_versions(objects, newest, migrations) if v != stored_version]
    if others:
        versions = " or ".join(str(version) for version in others)
        return [
            f"the vault's schema version says {stored_version}, but its tables are those of "
            f"storage schema {versions}: the value was edited or damaged"
        ]
    return problems
