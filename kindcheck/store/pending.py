"""Access-log entries of a vault that could only be read, kept on this computer until it can
be written again (SECURITY.md, "Read-only media").

A vault on read-only media can still be listed, verified and backed up; what is read is still
logged (NEN 7513), but the entries cannot go into the file. They go to a small file in the
rollback counter's folder (:func:`.rollback.state_dir`), encrypted with AES-256-GCM under a key
derived from the data key (so it holds no client reference in plain text, and only this vault
opens it), and are appended to the vault's own log, with their original times, the next time
it is opened writable; then the file is deleted. Each entry keeps the id it will have in the
log, so an append interrupted before the file was deleted is not repeated.

If the entry cannot be kept (no writable state folder), the read is refused, as a read whose
log entry cannot be written is refused on a writable vault.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kindcheck.errors import VaultError
from kindcheck.store.keys import _vault_id
from kindcheck.store.rollback import state_dir

_NONCE: Final = 12
_LIMIT: Final = 16 * 1024 * 1024  # a pending log larger than this is not read (damaged)
NOTE: Final = " (written later: the vault was read-only)"


class PendingLog:
    """The pending entries of one vault on this computer."""

    def __init__(self, data_key: bytes) -> None:
        vault_id = _vault_id(data_key)
        name = hashlib.sha256(f"kindcheck pending log {vault_id}".encode("ascii")).hexdigest()
        self._name = f"pending-{name[:32]}.bin"
        self._aead = AESGCM(
            HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"kindcheck pending log v1"
            ).derive(data_key)
        )

    @property
    def path(self) -> Path:
        return state_dir() / self._name

    def entries(self) -> list[dict[str, Any]]:
        """The pending entries, oldest first; none if there is no (readable) pending file."""
        try:
            with open(self.path, "rb") as handle:
                blob = handle.read(_LIMIT + 1)
        except OSError:
            return []
        if len(blob) <= _NONCE or len(blob) > _LIMIT:
            return []
        try:
            plain = self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], self._name.encode())
            entries = json.loads(plain.decode("utf-8"))
        except (InvalidTag, ValueError):
            return []
        if not isinstance(entries, list):
            return []
        return [entry for entry in entries if isinstance(entry, dict)]

    def add(self, entry: dict[str, Any]) -> None:
        """Keep one more entry; VaultError if it cannot be kept."""
        entries = [*self.entries(), entry]
        text = json.dumps(entries, ensure_ascii=False, sort_keys=True).encode("utf-8")
        nonce = secrets.token_bytes(_NONCE)
        blob = nonce + self._aead.encrypt(nonce, text, self._name.encode())
        path = self.path
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
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise VaultError(
                "the vault is read-only and this access could not be logged on this computer "
                f"either ({error.strerror or 'error'}), so nothing was opened"
            ) from None

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
