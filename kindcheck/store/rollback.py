"""Rollback detection: the vault's generation kept outside the file, and the warning kept until
the user acknowledges it (SECURITY.md "Rollback detection").

Everything the file says about itself can be replaced by an older copy of the whole file. So a
second copy of the vault's generation lives outside the data dir, in :func:`state_dir`
(:class:`_RollbackCounter`): the highest generation this computer has seen. An unlock that
finds the vault older warns (:data:`ROLLBACK_WARNING`) and writes a *marker* beside the
counter (:class:`_RollbackMarker`): from then on every unlock on this computer warns, however
many saves follow, until the user acknowledges the older copy (``Store.acknowledge_rollback``,
``kindcheck verify --accept-older``) or restores a backup through Kindcheck (which is an
acknowledgement). Opening the vault never adopts the older generation by itself.

Both files are small JSON documents named by a value derived from the data key (so the name
identifies the vault without revealing anything, and backups of one vault share it) with an
HMAC under another key derived from the data key: they cannot be forged or moved to another
vault's name without the key, and hold no client data. A file that fails its check is
ignored (and replaced). Writing them is best effort: a read-only or missing state folder must
never stop a save.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kindcheck.store.keys import _vault_id

# The second copy of the vault's generation counter lives outside the data dir: in
# platformdirs' user_state_dir("kindcheck"), or here (tests, portable use).
STATE_DIR_ENV: Final = "KINDCHECK_STATE_DIR"
ROLLBACK_WARNING: Final = (
    "This vault is older than the last one opened on this computer (generation {found}, "
    "expected at least {expected}). If you restored a backup on purpose, this is expected; "
    "otherwise the file may have been replaced."
)
_READ_LIMIT: Final = 4096


def state_dir() -> Path:
    """Where the rollback counters live: KINDCHECK_STATE_DIR, else the platform's per-user
    state folder (platformdirs ``user_state_dir("kindcheck")``, e.g.
    ``~/.local/state/kindcheck`` on Linux)."""
    from_env = os.environ.get(STATE_DIR_ENV, "")
    if from_env:
        return Path(from_env).expanduser()
    from platformdirs import user_state_dir

    return Path(user_state_dir("kindcheck", appauthor=False))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _write_private(path: Path, content: str) -> None:
    """Replace ``path`` with ``content`` (0600, never through a link); best effort."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        descriptor = os.open(
            temporary,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
            0o600,
        )
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(_READ_LIMIT))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class _Keyed:
    """A file in :func:`state_dir` named and authenticated with keys derived from the data key."""

    PREFIX = "vault"
    INFO = b"kindcheck rollback counter v1"

    def __init__(self, data_key: bytes) -> None:
        vault_id = _vault_id(data_key)
        name = hashlib.sha256(f"kindcheck rollback counter {vault_id}".encode("ascii"))
        self._name = f"{self.PREFIX}-{name.hexdigest()[:32]}.json"
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self.INFO).derive(
            data_key
        )

    @property
    def path(self) -> Path:
        return state_dir() / self._name

    def _mac(self, message: str) -> str:
        return hmac.new(self._key, message.encode("ascii"), hashlib.sha256).hexdigest()


class _RollbackCounter(_Keyed):
    """The highest generation of the vault this computer has seen, outside the file."""

    def _generation_mac(self, generation: int) -> str:
        return self._mac(f"kindcheck generation {self._name} {generation}")

    def read(self) -> int | None:
        data = _read_json(self.path)
        if data is None:
            return None
        generation, mac = data.get("generation"), data.get("mac")
        if not _is_count(generation) or not isinstance(mac, str):
            return None
        assert isinstance(generation, int)
        if not hmac.compare_digest(mac, self._generation_mac(generation)):
            return None
        return generation

    def write(self, generation: int) -> None:
        content = {
            "format": "kindcheck-generation",
            "version": 1,
            "generation": generation,
            "mac": self._generation_mac(generation),
        }
        _write_private(self.path, json.dumps(content))


@dataclass(frozen=True)
class RollbackStatus:
    """An older copy of the vault was found on this computer and not yet acknowledged:
    ``found`` is the file's generation then (None: unreadable), ``expected`` the highest this
    computer had seen, ``noticed`` the day it was first found."""

    found: int | None
    expected: int
    noticed: date

    @property
    def warning(self) -> str:
        found = "unknown" if self.found is None else str(self.found)
        return ROLLBACK_WARNING.format(found=found, expected=self.expected)


class _RollbackMarker(_Keyed):
    """The warning kept until acknowledged: ``rollback-<name>.json`` beside the counter."""

    PREFIX = "rollback"
    INFO = b"kindcheck rollback marker v1"

    def _status_mac(self, found: int | None, expected: int, noticed: str) -> str:
        return self._mac(f"kindcheck rollback {self._name} {found} {expected} {noticed}")

    def read(self) -> RollbackStatus | None:
        data = _read_json(self.path)
        if data is None:
            return None
        found, expected = data.get("found"), data.get("expected")
        noticed, mac = data.get("noticed"), data.get("mac")
        if (
            not (found is None or _is_count(found))
            or not _is_count(expected)
            or not isinstance(noticed, str)
            or not noticed.isascii()
            or not isinstance(mac, str)
        ):
            return None
        assert isinstance(expected, int) and (found is None or isinstance(found, int))
        if not hmac.compare_digest(mac, self._status_mac(found, expected, noticed)):
            return None
        try:
            day = date.fromisoformat(noticed)
        except ValueError:
            return None
        return RollbackStatus(found, expected, day)

    def write(self, status: RollbackStatus) -> None:
        noticed = status.noticed.isoformat()
        content = {
            "format": "kindcheck-rollback",
            "version": 1,
            "found": status.found,
            "expected": status.expected,
            "noticed": noticed,
            "mac": self._status_mac(status.found, status.expected, noticed),
        }
        _write_private(self.path, json.dumps(content))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
