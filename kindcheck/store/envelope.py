"""How a record's plaintext is laid out before encryption: record format 2.

Format 2 (storage schema 3 and later) puts every record's JSON in an *envelope* and pads it:

    "KE" | envelope version (1 byte) | generation (8 bytes) | payload length (4 bytes)
    | payload (UTF-8 JSON) | zero bytes up to the padded length

and encrypts the whole with AES-256-GCM (kindcheck.vault.RecordCipher, associated data: table
and column, row id, parent id, format version 2). So:

- the *generation* of the write transaction that wrote the record is authenticated with it. It
  sits inside the ciphertext, not in a plain column: a plain per-row generation would show a
  thief which sessions were changed after they were saved (only sessions whose Meldcode steps
  were ticked are ever rewritten). GCM authenticates plaintext and associated data alike, so a
  changed generation fails the tag just as a changed associated data would.
- the ciphertext's size says little about its content. Each kind of record has a minimum
  size chosen above its usual largest size (:data:`MINIMUM`), and above that the padded length
  is Padmé's (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication
  with PURBs", PETS 2019): at most 12% overhead, and the size leaks only O(log log n) bits of
  the length. Two intakes that differ in one signal, a Meldcode record before and after its
  first step, and plans of families with more or fewer children fall in one bucket.

Format 1 (storage schema 2 and earlier: the JSON alone, no generation, no padding) is still
read, so an older vault or backup opens; migration 2 -> 3 re-seals every record as format 2.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import orjson

from kindcheck.errors import RecordDamaged
from kindcheck.vault import RecordCipher

LEGACY_FORMAT: Final = 1  # JSON only (storage schema 1 and 2)
RECORD_FORMAT: Final = 2  # envelope with the generation, padded (storage schema 3)

_HEADER: Final = struct.Struct(">2sBQI")
_MAGIC: Final = b"KE"
_ENVELOPE_VERSION: Final = 1
HEADER_BYTES: Final = _HEADER.size  # 15
# The same header for a reader that checks its first three bytes at once (see facts_opener).
SEALED_HEADER: Final = struct.Struct(">3sQI")
SEALED_START: Final = _MAGIC + bytes([_ENVELOPE_VERSION])

# The smallest padded plaintext per record kind (its label in the associated data), envelope
# header included. Chosen above the sizes measured on synthetic sessions: header 273-284 bytes,
# body 2,028-4,039, Meldcode steps 12-675 (five steps with notes), plan 227-330, client 86 plus
# about 50 per session in its manifest, log entry 263-299, state and profile under 500, facts
# 200-260 (345 with every problem domain, four questionnaires and two-digit counts).
MINIMUM: Final[dict[str, int]] = {
    "session.header": 384,
    "session.facts": 384,
    "session.body": 4096,
    "session.meldcode": 1024,
    "followup_plan": 512,
    "client": 512,
    "access_log": 384,
    "meta": 512,
    "draft": 1024,
    "amendment": 4096,
}
_DEFAULT_MINIMUM: Final = 512
_DECODE: Final = json.JSONDecoder().raw_decode  # we write no whitespace around the JSON


def padme(length: int) -> int:
    """Padmé: ``length`` rounded up so that only the top bits of its binary form remain.

    With E = floor(log2 L) and S = floor(log2 E) + 1, the low E - S bits are cleared (rounded
    up): the overhead stays under 12% and the number of possible sizes is small."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    size_bits = exponent.bit_length()
    mask = (1 << (exponent - size_bits)) - 1
    return (length + mask) & ~mask


def padded_length(length: int, minimum: int) -> int:
    """The plaintext size a record of ``length`` bytes is padded to."""
    return max(minimum, padme(length))


class Opened(NamedTuple):
    """A decrypted record: its JSON value and the generation that wrote it (None for a
    format 1 record, which has none). (A named tuple: reports open one per session.)"""

    value: dict[str, Any]
    generation: int | None


def seal_json(
    cipher: RecordCipher, label: str, record_id: str, value: Any, generation: int
) -> bytes:
    """Encrypt ``value`` as a format 2 record written by ``generation``. TypeError or
    ValueError for a value JSON cannot hold (nothing is written then)."""
    payload = json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")
    head = _HEADER.pack(_MAGIC, _ENVELOPE_VERSION, generation, len(payload))
    size = padded_length(len(head) + len(payload), MINIMUM.get(label, _DEFAULT_MINIMUM))
    plaintext = head + payload + bytes(size - len(head) - len(payload))
    return cipher.encrypt(label, record_id, plaintext, RECORD_FORMAT)


def opener(cipher: RecordCipher, label: str) -> Callable[[str, bytes, int], Opened]:
    """:func:`open_json` for the records of one kind (``open(record_id, blob, format)``)."""

    def open_record(record_id: str, blob: bytes, format_version: int) -> Opened:
        return open_json(cipher, label, record_id, blob, format_version)

    return open_record


def open_json(
    cipher: RecordCipher, label: str, record_id: str, blob: bytes, format_version: int
) -> Opened:
    """Decrypt a record of either format. RecordDamaged (a short message the caller replaces
    with the record's name) when the tag fails, the envelope is malformed, the padding is
    not all zero bytes or the payload is not a JSON object; an unknown format is damage too.
    (The cipher's opener for the kind does what is the same for every record once: reports
    open one record per session.)"""
    if format_version == LEGACY_FORMAT:
        value = cipher.decrypt_json(label, record_id, blob, LEGACY_FORMAT)
        if not isinstance(value, dict):
            raise RecordDamaged("damaged")
        return Opened(value, None)
    if format_version != RECORD_FORMAT:
        raise RecordDamaged(f"format {format_version}")
    return unseal(cipher.opener(label, RECORD_FORMAT)(record_id, bytes(blob)))


def sealed_generation(plaintext: bytes) -> int | None:
    """The generation in a format 2 record's decrypted plaintext, without reading its JSON
    (None when the envelope is not one :func:`seal_json` writes)."""
    if len(plaintext) < HEADER_BYTES:
        return None
    magic, version, generation, _length = _HEADER.unpack_from(plaintext)
    return int(generation) if magic == _MAGIC and version == _ENVELOPE_VERSION else None


def unseal(plaintext: bytes) -> Opened:
    """A format 2 record's decrypted plaintext read: its envelope, padding and JSON object;
    RecordDamaged when any of them is not as :func:`seal_json` writes it."""
    if len(plaintext) < HEADER_BYTES:
        raise RecordDamaged("damaged")
    magic, version, generation, length = _HEADER.unpack_from(plaintext)
    end = HEADER_BYTES + length
    if (
        magic != _MAGIC
        or version != _ENVELOPE_VERSION
        or end > len(plaintext)
        or plaintext.count(0, end) != len(plaintext) - end
    ):
        raise RecordDamaged("damaged")
    payload = plaintext[HEADER_BYTES:end]
    # We write the object alone, no whitespace around it: a payload that does not begin and
    # end with its braces was not written here (orjson would skip the whitespace).
    if payload[:1] != b"{" or payload[-1:] != b"}":
        raise RecordDamaged("damaged")
    try:
        # orjson parses in about half the json module's time (every report and verify parse
        # one record per row: most of a read's time) and gives the same values for what
        # seal_json writes. What it refuses the json module may still read (a lone surrogate
        # escape, NaN): that is read as before. (It reads an integer beyond 64 bits as a
        # float; none is written: answers are bounded by NUMBER_LIMIT, the rest are counts.)
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        value = _parse_strictly(payload)
    if type(value) is not dict:
        raise RecordDamaged("damaged")
    return Opened(value, generation)


def _parse_strictly(payload: bytes) -> Any:
    """The payload parsed by the json module: exactly one JSON value, nothing around it;
    RecordDamaged otherwise."""
    try:
        text = payload.decode("utf-8")
        value, parsed = _DECODE(text)
    except (ValueError, RecursionError):
        raise RecordDamaged("damaged") from None
    if parsed != len(text):
        raise RecordDamaged("damaged")
    return value
