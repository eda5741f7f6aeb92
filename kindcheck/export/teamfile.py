"""Team files: a laptop's exact counts, encrypted to the team lead, and merged by the lead.

The envelope: ephemeral X25519, HKDF-SHA256 over the shared secret and both public keys,
AES-256-GCM with the clear header as associated data.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kindcheck.errors import ExportError

from .counts import Counts, add
from .facts import SCHEMA_VERSION

TEAM_FILE_FORMAT: Final = "kindcheck-team-file"
TEAM_FILE_VERSION: Final = 1  # of the envelope (crypto layout), independent of the counts
_MAX_TEAM_FILE: Final = 16 * 1024 * 1024

_HKDF_INFO: Final = b"kindcheck team file v1"
_NONCE_BYTES: Final = 12
_KEY_BYTES: Final = 32
_HEADER_FIELDS: Final = ("format", "version", "schema_version", "export_id", "ephemeral_public_key")


def make_team_keypair(passphrase: bytes | str | None = None) -> tuple[bytes, bytes]:
    """A new team key pair as (private PEM, public PEM); the private PEM optionally encrypted."""
    private = X25519PrivateKey.generate()
    if passphrase:
        secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(secret)
        )
    else:
        encryption = serialization.NoEncryption()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _load_private(pem: bytes, passphrase: bytes | str | None) -> X25519PrivateKey:
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(pem, password=secret or None)
    except TypeError:
        raise ExportError(
            "the team key is protected by a passphrase: give the passphrase"
            if not secret
            else "the team key is not protected by a passphrase"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ExportError(
            "the team key cannot be read: wrong passphrase, or not a team key file"
        ) from None
    if not isinstance(key, X25519PrivateKey):
        raise ExportError("the team key is not an X25519 key made by `kindcheck team-key`")
    return key


def _load_public(pem: bytes) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm):
        raise ExportError(
            "the team public key cannot be read (expected a PEM file made by `kindcheck team-key`)"
        ) from None
    if not isinstance(key, X25519PublicKey):
        raise ExportError("the team public key is not an X25519 key made by `kindcheck team-key`")
    return key


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _file_key(shared: bytes, ephemeral: bytes, team: bytes) -> bytes:
    # Both public keys go into the derivation so a key is bound to this exchange (as in ECIES).
    return HKDF(hashes.SHA256(), _KEY_BYTES, salt=None, info=_HKDF_INFO + ephemeral + team).derive(
        shared
    )


def _aad(header: Mapping[str, Any]) -> bytes:
    # The clear header is authenticated: changing the export id or schema breaks decryption.
    return json.dumps(
        {k: header[k] for k in _HEADER_FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def seal_team_file(
    counts: Counts,
    public_key_pem: bytes,
    laptop_id: str,
    months: Iterable[str] | None = None,
    exported_on: str | None = None,
    released: Mapping[str, tuple[int, Mapping[str, Any]]] | None = None,
) -> bytes:
    """The laptop's unsuppressed counts, encrypted to the team lead's public key.

    ``months``: the closed months the file covers (also those with nothing in them), frozen
    in the laptop's release ledger; ``exported_on``: the day the file was made; ``released``:
    what the laptop released itself (row -> (threshold, cells as shown)), so that the team's
    release protects those files too.

    ``laptop_id`` is a stable pseudonymous id of the installation (inside the ciphertext), so
    that `merge` can refuse two files of one laptop that count the same period twice.
    """
    if not isinstance(counts, Counts):
        raise ExportError("a team file holds Counts only")
    if (
        not isinstance(laptop_id, str)
        or not 1 <= len(laptop_id) <= 100
        or not laptop_id.isprintable()
    ):
        raise ExportError("the laptop id must be 1 to 100 printable characters")
    team_public = _load_public(public_key_pem)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    key = _file_key(ephemeral.exchange(team_public), ephemeral_raw, _raw(team_public))
    header: dict[str, Any] = {
        "format": TEAM_FILE_FORMAT,
        "version": TEAM_FILE_VERSION,
        "schema_version": counts.schema_version,
        "export_id": str(uuid.uuid4()),
        "ephemeral_public_key": base64.b64encode(ephemeral_raw).decode("ascii"),
    }
    # A fresh random nonce per encryption, never a counter (counters repeat after a restore).
    nonce = secrets.token_bytes(_NONCE_BYTES)
    payload: dict[str, Any] = {"laptop_id": laptop_id, "counts": counts.to_dict()}
    if months is not None:
        payload["months"] = sorted(months)
    if exported_on is not None:
        payload["exported_on"] = exported_on
    if released is not None:
        payload["released"] = {row: [t, dict(cells)] for row, (t, cells) in released.items()}
    plaintext = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(header))
    envelope = {
        **header,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
    }
    return json.dumps(envelope, indent=1).encode("utf-8") + b"\n"


@dataclass(frozen=True, slots=True)
class _Opened:
    export_id: str
    laptop_id: str
    counts: Counts
    months: tuple[str, ...] | None = None  # the closed months it covers (None: an old file)
    exported_on: str | None = None
    released: dict[str, tuple[int, dict[str, Any]]] | None = None


def _b64(value: Any, size: int | None, name: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or (size is not None and len(raw) != size):
        raise ExportError(f"{name}: is damaged ({what} is not valid)")
    return raw


def _open(data: bytes, key: X25519PrivateKey, name: str) -> _Opened:
    if not isinstance(data, bytes | bytearray) or len(data) > _MAX_TEAM_FILE:
        raise ExportError(f"{name}: is not a Kindcheck team file (empty or too large)")
    try:
        envelope = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("format") != TEAM_FILE_FORMAT:
        raise ExportError(f"{name}: is not a Kindcheck team file")
    if envelope.get("version") != TEAM_FILE_VERSION:
        raise ExportError(
            f"{name}: team file version {envelope.get('version')!r}; this "
            f"Kindcheck reads version {TEAM_FILE_VERSION}"
        )
    schema_version = envelope.get("schema_version")
    if schema_version != SCHEMA_VERSION:
        raise ExportError(
            f"{name}: made with export schema {schema_version!r}, this Kindcheck "
            f"uses schema {SCHEMA_VERSION}: make all team files with the same "
            f"Kindcheck version"
        )
    missing = [f for f in (*_HEADER_FIELDS, "nonce", "ciphertext") if f not in envelope]
    if missing:
        raise ExportError(f"{name}: is damaged (missing {', '.join(missing)})")
    export_id = envelope["export_id"]
    try:
        valid_id = isinstance(export_id, str) and str(uuid.UUID(export_id)) == export_id
    except ValueError:
        valid_id = False
    if not valid_id:
        raise ExportError(f"{name}: is damaged (the export id is not valid)")
    ephemeral = _b64(envelope["ephemeral_public_key"], _KEY_BYTES, name, "the public key")
    nonce = _b64(envelope["nonce"], _NONCE_BYTES, name, "the nonce")
    ciphertext = _b64(envelope["ciphertext"], None, name, "the ciphertext")
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    except ValueError:  # a low-order point: no shared secret, so no file of ours
        raise ExportError(f"{name}: is damaged (the public key is not valid)") from None
    file_key = _file_key(shared, ephemeral, _raw(key.public_key()))
    try:
        plaintext = AESGCM(file_key).decrypt(nonce, ciphertext, _aad(envelope))
    except InvalidTag:
        raise ExportError(
            f"{name}: this team file was not made for this key (or it was "
            f"changed after it was made)"
        ) from None
    try:
        payload = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("laptop_id"), str):
        raise ExportError(f"{name}: is damaged (the counts cannot be read)")
    counts = Counts.from_dict(payload.get("counts"), source=name)
    months = payload.get("months")
    if months is not None and (
        not isinstance(months, list)
        or not all(isinstance(m, str) and len(m) == 7 and m[4] == "-" for m in months)
    ):
        raise ExportError(f"{name}: is damaged (the months it covers cannot be read)")
    exported_on = payload.get("exported_on")
    released: dict[str, tuple[int, dict[str, Any]]] = {}
    raw_released = payload.get("released", {})
    if not isinstance(raw_released, dict):
        raise ExportError(f"{name}: is damaged (what the laptop released cannot be read)")
    for row, item in raw_released.items():
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], int)
            or not isinstance(item[1], dict)
        ):
            raise ExportError(f"{name}: is damaged (what the laptop released cannot be read)")
        released[str(row)] = (item[0], item[1])
    return _Opened(
        export_id,
        payload["laptop_id"],
        counts,
        None if months is None else tuple(months),
        exported_on if isinstance(exported_on, str) else None,
        released,
    )


def open_team_file(
    data: bytes,
    private_key_pem: bytes,
    passphrase: bytes | str | None = None,
    name: str = "team file",
) -> Counts:
    """The counts inside one team file."""
    return _open(data, _load_private(private_key_pem, passphrase), name).counts


def merge(
    team_files: Iterable[tuple[str, bytes]],
    private_key_pem: bytes,
    passphrase: bytes | str | None = None,
) -> Counts:
    """Add up (name, bytes) team files; refuse copies, double-counted periods and mismatches.

    Refused: the same export id twice (a copied file), and two files from one laptop that share
    a period (a laptop that exported twice: its sessions would count twice; keep the newer).
    Files from one laptop over disjoint periods are fine.
    """
    key = _load_private(private_key_pem, passphrase)
    seen: dict[str, str] = {}
    laptops: dict[str, list[tuple[str, set[str]]]] = {}
    result: Counts | None = None
    first_name = ""
    for name, data in team_files:
        opened = _open(data, key, name)
        if opened.export_id in seen:
            raise ExportError(
                f"{name}: is the same team file as {seen[opened.export_id]} "
                f"(export id {opened.export_id}); adding both would count it twice"
            )
        seen[opened.export_id] = name
        periods = set(opened.counts.periods)
        for other, other_periods in laptops.get(opened.laptop_id, []):
            shared = periods & other_periods
            if shared:
                raise ExportError(
                    f"{name}: comes from the same laptop as {other} and counts {len(shared)} "
                    f"of the same period(s) (first {min(shared)}); use only the newest team "
                    f"file of each laptop"
                )
        laptops.setdefault(opened.laptop_id, []).append((name, periods))
        if result is None:
            result, first_name = opened.counts, name
        elif result.period_type != opened.counts.period_type:
            raise ExportError(
                f"{name}: counts per {opened.counts.period_type}, but {first_name} "
                f"per {result.period_type}; make all team files with the same "
                f"--period"
            )
        else:
            result = add(result, opened.counts)
    if result is None:
        raise ExportError("no team files to merge")
    return result


def open_team_files(
    team_files: Iterable[tuple[str, bytes]],
    private_key_pem: bytes,
    passphrase: bytes | str | None = None,
) -> list[_Opened]:
    """Every team file opened, copies and double-counting laptops refused (as :func:`merge`)."""
    key = _load_private(private_key_pem, passphrase)
    seen: dict[str, str] = {}
    laptops: dict[str, str] = {}
    out: list[_Opened] = []
    for name, data in team_files:
        opened = _open(data, key, name)
        if opened.export_id in seen:
            raise ExportError(
                f"{name}: is the same team file as {seen[opened.export_id]} "
                f"(export id {opened.export_id}); adding both would count it twice"
            )
        seen[opened.export_id] = name
        if opened.laptop_id in laptops:
            raise ExportError(
                f"{name}: comes from the same laptop as {laptops[opened.laptop_id]}; use only "
                f"the newest team file of each laptop (it holds every closed month)"
            )
        laptops[opened.laptop_id] = name
        if opened.months is None:
            raise ExportError(
                f"{name}: was made by an older Kindcheck (without closed periods); make the "
                f"team file again with this version"
            )
        out.append(opened)
    if not out:
        raise ExportError("no team files to merge")
    return out


def ledger_key(private_key_pem: bytes, passphrase: bytes | str | None) -> bytes:
    """The key of the team's release ledger, derived from the team's private key."""
    key = _load_private(private_key_pem, passphrase)
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=_LEDGER_INFO).derive(
        raw
    )


_LEDGER_INFO: Final = b"kindcheck team release ledger v1"
TEAM_LEDGER_FORMAT: Final = "kindcheck-team-ledger"


def seal_team_ledger(document: Mapping[str, Any], key: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    header = {"format": TEAM_LEDGER_FORMAT, "version": 1}
    aad = json.dumps(header, sort_keys=True).encode("utf-8")
    plaintext = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, aad)
    envelope = {
        **header,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
    }
    return json.dumps(envelope, indent=1).encode("utf-8") + b"\n"


def open_team_ledger(data: bytes, key: bytes, name: str) -> dict[str, Any]:
    try:
        envelope = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("format") != TEAM_LEDGER_FORMAT:
        raise ExportError(f"{name}: is not a Kindcheck team ledger")
    header = {"format": TEAM_LEDGER_FORMAT, "version": envelope.get("version")}
    nonce = _b64(envelope.get("nonce"), _NONCE_BYTES, name, "the nonce")
    ciphertext = _b64(envelope.get("ciphertext"), None, name, "the ciphertext")
    try:
        plaintext = AESGCM(key).decrypt(
            nonce, ciphertext, json.dumps(header, sort_keys=True).encode("utf-8")
        )
    except InvalidTag:
        raise ExportError(
            f"{name}: this team ledger belongs to another team key (or was changed)"
        ) from None
    document = json.loads(plaintext.decode("utf-8"))
    if not isinstance(document, dict):
        raise ExportError(f"{name}: is damaged")
    return document
