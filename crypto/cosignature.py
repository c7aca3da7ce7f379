"""C2SP ``tlog-cosignature/v1`` with Ed25519: a witness's timestamped statement about a checkpoint.

A cosignature is a note signature line ``— <name> base64(key id || timestamp || sig)``
where the key ID is ``SHA-256(name || 0x0A || 0x04 || pubkey)[:4]`` (algorithm byte 0x04,
distinct from a plain note key's 0x01), the timestamp a big-endian u64 of POSIX seconds,
and the Ed25519 signature covers ``"cosignature/v1\\ntime <timestamp>\\n"`` followed by the
checkpoint's whole note body. A witness verifier key is ``<name>+<hex key id>+base64(0x04
|| pubkey)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from crypto.errors import BadSignature, MalformedData
from crypto.keys import PublicKey, SigningKey
from crypto.note import SIG_PREFIX, parse_note

ALG_COSIGNATURE_V1 = 0x04
MAX_TIMESTAMP = 2**63 - 1


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise MalformedData(f"invalid witness name {name!r}: non-empty, no spaces, no '+'")


def cosigner_key_id(name: str, public: PublicKey) -> bytes:
    """The 4-byte key ID of an Ed25519 ``cosignature/v1`` key."""
    _check_name(name)
    data = name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public.raw
    return hashlib.sha256(data).digest()[:4]


def signed_message(body: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` signature covers: header, time line, the checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedData("cosignature timestamp is outside 0..2^63-1")
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True, slots=True)
class Cosigner:
    """A named witness verifier key (``cosignature/v1``, Ed25519)."""

    name: str
    public: PublicKey

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public)

    def to_string(self) -> str:
        blob = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public.raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, vkey: str) -> Cosigner:
        """Parse ``name+hexid+base64(0x04||key)``; raises :class:`MalformedData`."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise MalformedData("a witness key has the form name+keyid+base64key")
        name, hex_id, blob = parts
        _check_name(name)
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError) as e:
            raise MalformedData("witness key is not valid base64") from e
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise MalformedData("not a cosignature/v1 witness key (type 0x04, 32-byte key)")
        cosigner = cls(name, PublicKey(raw[1:]))
        if len(hex_id) != 8 or cosigner.key_id.hex() != hex_id.lower():
            raise MalformedData("witness key ID does not match its name and key")
        return cosigner

    def verify(self, body: str, timestamp: int, signature: bytes) -> None:
        """Check a cosignature over a checkpoint body; raises :class:`BadSignature`."""
        self.public.verify(signed_message(body, timestamp), signature)


def cosign(body: str, name: str, key: SigningKey, timestamp: int) -> bytes:
    """The Ed25519 signature of a ``cosignature/v1`` over ``body`` at ``timestamp``."""
    _check_name(name)
    return key.sign(signed_message(body, timestamp))


def signature_line(name: str, key_id: bytes, timestamp: int, signature: bytes) -> str:
    """The note signature line of a cosignature (ends with a newline)."""
    blob = base64.b64encode(key_id + struct.pack(">Q", timestamp) + signature).decode()
    return f"{SIG_PREFIX}{name} {blob}\n"


@dataclass(frozen=True, slots=True)
class Cosignature:
    cosigner: Cosigner
    timestamp: int


def verify_cosignatures(note: str, cosigners: list[Cosigner]) -> list[Cosignature]:
    """The valid cosignatures in ``note`` by the given witnesses (each witness once).

    Lines by other keys are ignored; a line by a given witness that does not verify raises
    :class:`BadSignature`; a malformed note raises :class:`MalformedData`.
    """
    parsed = parse_note(note)
    found: dict[bytes, Cosignature] = {}
    for name, kid, blob in parsed.signatures:
        for c in cosigners:
            if c.name != name or c.key_id != kid:
                continue
            if len(blob) != 72:
                raise BadSignature(f"cosignature by {name} is not timestamp + Ed25519")
            (ts,) = struct.unpack(">Q", blob[:8])
            c.verify(parsed.text, ts, blob[8:])
            found[c.public.raw] = Cosignature(c, ts)
    return list(found.values())
