"""Keys: opening key slots, the blind index of client references, the vault's pseudonymous id.

The data key itself is only ever held inside the store (see :mod:`kindcheck.vault` for the key
slots that wrap it). From it the store derives, with HKDF and distinct labels, the key of the
blind index (:class:`_BlindIndex`), the vault id (:func:`_vault_id`) and the rollback counter's
keys (:mod:`.audit`); none of them reveals the data key or another derived key.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kindcheck.errors import SlotDamaged, VaultError, WrongPassphrase
from kindcheck.passphrase import Secret
from kindcheck.text import clean_text, one_line
from kindcheck.vault import RECOVERY, KeySlot, UnlockThrottle, open_slot

# One throttle per process: the app retries in-process, and each failure (wrong passphrase or
# recovery key, from any Store) makes the next attempt wait longer. See vault.UnlockThrottle.
# Read through default_throttle() at call time, so replacing it (tests do) takes effect.
_THROTTLE = UnlockThrottle()


def default_throttle() -> UnlockThrottle:
    """The process's unlock throttle, used when a caller passes none."""
    return _THROTTLE


def normalise_reference(reference: str) -> str:
    """The form of a client reference that the blind index is computed over.

    Control characters dropped, Unicode NFKC, whitespace runs collapsed, case folded: "epd 12"
    and "EPD  12" find the same client. Display keeps the reference as it was typed.
    """
    if not isinstance(reference, str):
        raise VaultError("a client reference is text")
    text = unicodedata.normalize("NFKC", clean_text(reference))
    return " ".join(text.split()).casefold()


PSEUDONYM_PREFIX = "deleted-"


class _BlindIndex:
    """HMAC-SHA256 over the normalised reference, with a key derived from the data key.

    Lets a reference be found with one indexed lookup instead of decrypting every client. The
    key is secret, so someone holding the file cannot test guesses of EPD numbers against it;
    it is per vault, so the same reference in two vaults gives unrelated values.
    """

    def __init__(self, data_key: bytes) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"kindcheck blind index v1"
        ).derive(data_key)
        self._pseudonym_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"kindcheck client pseudonym v1"
        ).derive(data_key)

    @property
    def fingerprint(self) -> bytes:
        """A value that identifies the data key without revealing it (or the index key)."""
        return hmac.new(self._key, b"kindcheck key fingerprint", hashlib.sha256).digest()

    def __call__(self, reference: str) -> str:
        normalised = normalise_reference(reference)
        if not normalised:
            raise VaultError("a client reference must not be empty")
        return hmac.new(self._key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()

    def pseudonym(self, reference: str) -> str:
        """What the access log says instead of a deleted client's reference: "deleted-" and 16
        hex digits of an HMAC of the normalised reference under its own derived key. The same
        for every entry of the client (the entries still read as one client's), and, with the
        vault's key, findable again from the reference (``kindcheck log --client REF``), but it
        reveals nothing of the reference by itself and differs from the blind index."""
        normalised = normalise_reference(reference)
        digest = hmac.new(self._pseudonym_key, normalised.encode("utf-8"), hashlib.sha256)
        return PSEUDONYM_PREFIX + digest.hexdigest()[:16]


def _vault_id(data_key: bytes) -> str:
    """A stable pseudonymous id of the vault: derived from the data key (so it reveals nothing
    about it, survives passphrase changes and is shared by the vault's backups)."""
    return (
        HKDF(
            algorithm=hashes.SHA256(),
            length=16,
            salt=None,
            info=b"kindcheck vault id v1",
        )
        .derive(data_key)
        .hex()
    )


@dataclass(frozen=True)
class DamagedSlot:
    """A key slot that cannot be used: its document does not parse, or says another kind than
    its plain ``kind`` column. The other slots still open the vault."""

    slot_id: str
    kind: str  # the plain column: which secret no longer opens the vault
    reason: str

    @property
    def message(self) -> str:
        return f"key slot {one_line(self.slot_id)} ({one_line(self.kind)}): {self.reason}; " + (
            what_to_do(self.kind)
        )


def what_to_do(kind: str) -> str:
    """What a user does about a damaged slot of ``kind``: re-wrap it with the other secret."""
    if kind == RECOVERY:
        return (
            "the recovery key no longer opens the vault. The passphrase still does: make a new "
            "recovery key now (`kindcheck passwd --new-recovery-key`)"
        )
    return (
        "the passphrase no longer opens the vault. Open it with the recovery key and set a new "
        "passphrase (`kindcheck passwd --recovery`)"
    )


@dataclass(frozen=True)
class SlotSet:
    """The vault's key slots: the ones that parse, and the damaged ones, each named."""

    usable: tuple[tuple[str, KeySlot], ...]
    damaged: tuple[DamagedSlot, ...]


def _parse_slots(rows: Iterable[tuple[str, str, str]]) -> SlotSet:
    """Key slots from (id, kind, slot JSON) rows. One damaged slot never hides another."""
    usable: list[tuple[str, KeySlot]] = []
    damaged: list[DamagedSlot] = []
    for slot_id, kind, text in rows:
        try:
            slot = KeySlot.from_json(text)
            if slot.kind != kind:
                raise VaultError("its kind does not match")
        except VaultError as error:
            damaged.append(DamagedSlot(str(slot_id), str(kind), f"damaged ({error})"))
            continue
        usable.append((str(slot_id), slot))
    return SlotSet(tuple(usable), tuple(damaged))


def _open_any(slots: SlotSet, kind: str, secret: str | bytes | Secret) -> bytes:
    """The data key from the first usable slot of ``kind`` that ``secret`` opens.

    KDF parameters are checked for every slot before any derivation (vault.open_slot), so an
    edited slot is refused without spending memory or time. A damaged slot of another kind is
    no obstacle; when every slot of ``kind`` is damaged, the message says which and what to do.
    """
    candidates = [slot for _slot_id, slot in slots.usable if slot.kind == kind]
    if not candidates:
        damaged = [slot for slot in slots.damaged if slot.kind == kind]
        if damaged:
            raise SlotDamaged(damaged[0].message, kind=kind)
        raise VaultError(f"the vault has no {kind} key slot")
    for slot in candidates:
        if slot.kdf is not None:
            slot.kdf.check()
    for slot in candidates:
        try:
            return open_slot(slot, secret)
        except WrongPassphrase:
            continue
    raise WrongPassphrase()
