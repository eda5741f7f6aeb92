"""The vault on disk: SQLite tables that only ever hold ciphertext, and the repository API.

The app and the CLI use :class:`Store` and get plain dataclasses back; the SQLModel table
classes never leave this package. Crypto comes from :mod:`kindcheck.vault`, access-log entries
and their hash chain from :mod:`kindcheck.accesslog`.

On disk, in plain text, there are only random ids (uuid4 hex), the per-row record format
version, the schema version, the key slots (wrapped keys, see vault.py), a blind index of each
client reference (HMAC-SHA256, see :mod:`.keys`) and what SQLite itself needs. Everything a
person typed or that describes a client (references, names, answers, notes, session and plan
dates, the vault's user name) is inside AES-256-GCM ciphertext whose associated data binds the
table, the row id, the parent row id and the format version (a blob copied to another row
fails to decrypt).

The store knows no domain: it never imports the questionnaire, answers, outcome, follow-up or
export modules, nor the service layer above it. It stores and returns plain data:

- a session is its answers and its outcome as the dicts the caller made of them
  (``Session.to_dict()`` and ``outcome_to_json``); the store reads only the few fields its
  encrypted list header needs;
- a follow-up plan is taken as any object that gives its own JSON form (:class:`SerialisablePlan`,
  a Protocol: ``to_dict()``; FollowUpPlan is one, and it checked itself when it was made) and a
  rhythm given by its name (a ``str``; the ``Rhythm`` enum is one). It comes back as
  :data:`PlainPlan`, that is ``StoredPlan[dict, str]``: the same JSON and name.
  :class:`StoredPlan` is generic in the plan and rhythm types, so the layer above hands out
  ``StoredPlan[FollowUpPlan, Rhythm]`` with the same fields (kindcheck.service.plans converts,
  and names a plan it cannot read as a damaged record, as the store does).

What to do with these (record a session and tighten its client's plan, decide the plan after a
session) is application logic and follow-up policy, in kindcheck.service and kindcheck.followup.

- a session also has a small *facts* record: what the reports count of it, as JSON the layer
  above derives and gives at save time (the store never looks inside), with its
  date and Meldcode steps taken (:mod:`.facts`). The anonymised export and the due list read
  those, in one pass (:meth:`Store.iter_facts`), never the sessions themselves.

Speed: the store talks to SQLite through the sqlite3 module with constant SQL (:mod:`.sqlite`);
SQLModel and SQLAlchemy are not imported to open a vault (they cost several times the key
derivation to import). The SQLModel table classes describe the schema (:mod:`.models`) and are
imported only where it is compared with them (``kindcheck.store._VaultModel`` imports them).

Modules: :mod:`.schema` (frozen DDL, schema version), :mod:`.models` (the SQLModel classes),
:mod:`.migrations` and :mod:`.upgrade` (storage schema upgrades), :mod:`.records` (the plain
dataclasses and their JSON), :mod:`.facts` (the facts records), :mod:`.sqlite` (connections,
pragmas, error messages, fsync, journal, lock file), :mod:`.keys` (key slots, blind index,
unlock throttle), :mod:`.audit` (state record, access log, rollback counter), :mod:`.base`
(transactions and logging the Store's parts share), one mixin module per part of the Store
(:mod:`.clients`, :mod:`.sessions`, :mod:`.amendments`: corrections and moves of sessions,
:mod:`.reporting`: the facts read for reports, :mod:`.plans`, :mod:`.drafts`,
:mod:`.maintenance`: verify, :mod:`.backup`: backup and restore, :mod:`.erasure`: what deleting
a client leaves in the access log) and :mod:`.repository` (:class:`Store` itself: create,
unlock, lock, close).
Names with a leading underscore are private to the package, shared between its modules.
"""

from __future__ import annotations

from typing import Any

from kindcheck.accesslog import AccessEntry
from kindcheck.errors import VaultError, WrongPassphrase
from kindcheck.passphrase import MIN_LENGTH as MIN_PASSPHRASE_CHARS
from kindcheck.passphrase import check_new_passphrase
from kindcheck.store.client_lists import ClientEvent, HandoffEntry, ReaskEntry
from kindcheck.store.consistency import Problem
from kindcheck.store.facts import StoredFacts
from kindcheck.store.keys import DamagedSlot, normalise_reference
from kindcheck.store.migrations import MIGRATIONS
from kindcheck.store.migrations import _run_migrations as _run_migrations
from kindcheck.store.records import (
    Client,
    ClientOverview,
    DamagedNote,
    Draft,
    MeldcodeStepRecord,
    PlainPlan,
    SerialisablePlan,
    SessionSummary,
    StoredAmendment,
    StoredPlan,
    StoredSession,
)
from kindcheck.store.records import _now as _now
from kindcheck.store.records import recorded_as_of as recorded_as_of
from kindcheck.store.repository import Store
from kindcheck.store.rollback import ROLLBACK_WARNING, STATE_DIR_ENV, RollbackStatus, state_dir
from kindcheck.store.schema import APPLICATION_ID, DB_NAME, SCHEMA_VERSION, SQLITE_MAGIC
from kindcheck.store.sqlite import LOCK_NAME
from kindcheck.store.sqlite import _engine_for as _engine_for

# The underscored names imported "as" themselves stay reachable from the package for the tests
# that use them; they are not part of its API.


def __getattr__(name: str) -> Any:
    # The SQLModel table classes, for the tests that compare the schema with them: imported
    # only when asked for (SQLModel and SQLAlchemy are not imported by opening a vault).
    if name == "_VaultModel":
        from kindcheck.store.models import _VaultModel

        return _VaultModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "APPLICATION_ID",
    "DB_NAME",
    "LOCK_NAME",
    "MIGRATIONS",
    "MIN_PASSPHRASE_CHARS",
    "ROLLBACK_WARNING",
    "SCHEMA_VERSION",
    "SQLITE_MAGIC",
    "STATE_DIR_ENV",
    "AccessEntry",
    "Client",
    "ClientEvent",
    "ClientOverview",
    "DamagedNote",
    "DamagedSlot",
    "Draft",
    "HandoffEntry",
    "MeldcodeStepRecord",
    "PlainPlan",
    "Problem",
    "ReaskEntry",
    "RollbackStatus",
    "SerialisablePlan",
    "SessionSummary",
    "Store",
    "StoredAmendment",
    "StoredFacts",
    "StoredPlan",
    "StoredSession",
    "VaultError",
    "WrongPassphrase",
    "check_new_passphrase",
    "normalise_reference",
    "recorded_as_of",
    "state_dir",
]
