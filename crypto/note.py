"""C2SP signed notes (Go ``sumdb/note``) and ``tlog-checkpoint`` bodies, Ed25519 only.

A signed note is UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <name> <base64(key id (4 bytes) || signature)>``. For Ed25519 the
key ID is ``SHA-256(name || 0x0A || 0x01 || pubkey)[:4]`` and the signature covers the
text exactly. A verifier key string is ``<name>+<hex key id>+<base64(0x01 || pubkey)>``.

A checkpoint body is ``<origin>\\n<tree size>\\n<base64 root hash>\\n`` followed by
optional extension lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from crypto.errors import BadSignature, MalformedData
from crypto.keys import PublicKey, SigningKey

ALG_ED25519 = 0x01
SIG_PREFIX = "— "  # em dash, then a space


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise MalformedData(f"invalid key name {name!r}: must be non-empty, no spaces, no '+'")


def key_id(name: str, public: PublicKey) -> bytes:
    """The 4-byte key ID of an Ed25519 note key."""
    _check_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public.raw).digest()[:4]


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise MalformedData(f"{what} is not valid base64") from e


@dataclass(frozen=True, slots=True)
class Verifier:
    """A named Ed25519 note verifier."""

    name: str
    public: PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    def to_string(self) -> str:
        blob = base64.b64encode(bytes([ALG_ED25519]) + self.public.raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse ``name+hexid+base64``; raises :class:`MalformedData`."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise MalformedData("a verifier key has the form name+keyid+base64key")
        name, hex_id, blob = parts
        _check_name(name)
        raw = _b64decode(blob, "verifier key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise MalformedData("verifier key is not an Ed25519 (type 0x01) key")
        verifier = cls(name, PublicKey(raw[1:]))
        if verifier.key_id.hex() != hex_id.lower() or len(hex_id) != 8:
            raise MalformedData("verifier key ID does not match its name and key")
        return verifier


def parse_signer_key(skey: str) -> tuple[str, SigningKey]:
    """Parse Go's ``PRIVATE+KEY+name+hexid+base64(0x01||seed)``; raises :class:`MalformedData`."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise MalformedData("a signer key has the form PRIVATE+KEY+name+keyid+base64key")
    name, hex_id, blob = parts[2], parts[3], parts[4]
    raw = _b64decode(blob, "signer key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise MalformedData("signer key is not an Ed25519 (type 0x01) key")
    key = SigningKey(raw[1:])
    if key_id(name, key.public).hex() != hex_id.lower():
        raise MalformedData("signer key ID does not match its name and key")
    return name, key


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedData("note text must end with a newline")
    if any((ord(c) < 0x20 and c != "\n") or c == "\x7f" for c in text):
        raise MalformedData("note text must not contain control characters")


def sign_note(text: str, name: str, key: SigningKey) -> str:
    """Return the signed note: text, blank line, one Ed25519 signature line."""
    _check_text(text)
    sig = key.sign(text.encode("utf-8"))
    blob = base64.b64encode(key_id(name, key.public) + sig).decode()
    return f"{text}\n{SIG_PREFIX}{name} {blob}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: str
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (name, key id, signature)


def parse_note(msg: str) -> SignedNote:
    """Split a signed note into text and signature lines; raises :class:`MalformedData`."""
    if len(msg) > 1_000_000:
        raise MalformedData("signed note is too large")
    split = msg.rfind("\n\n")
    if split < 0:
        raise MalformedData("signed note has no blank line before its signatures")
    text, sigblock = msg[: split + 1], msg[split + 2 :]
    _check_text(text)
    if not sigblock.endswith("\n"):
        raise MalformedData("signed note must end with a newline")
    sigs: list[tuple[str, bytes, bytes]] = []
    for line in sigblock[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise MalformedData(f"malformed signature line {line[:60]!r}")
        fields = line[len(SIG_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise MalformedData(f"malformed signature line {line[:60]!r}")
        raw = _b64decode(fields[1], "note signature")
        if len(raw) < 5:
            raise MalformedData("note signature is too short")
        sigs.append((fields[0], raw[:4], raw[4:]))
    if not sigs:
        raise MalformedData("signed note has no signatures")
    return SignedNote(text, tuple(sigs))


def open_note(msg: str, verifiers: list[Verifier]) -> SignedNote:
    """Verify a signed note against known verifiers.

    Signature lines by unknown keys are ignored (cosigners); at least one known key must
    sign, and every known key's line must verify. Raises :class:`BadSignature` or
    :class:`MalformedData`.
    """
    note = parse_note(msg)
    data = note.text.encode("utf-8")
    verified = 0
    for name, kid, sig in note.signatures:
        for v in verifiers:
            if v.name == name and v.key_id == kid:
                v.public.verify(data, sig)
                verified += 1
    if not verified:
        raise BadSignature("no signature on the note is by a known key")
    return note


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A parsed ``tlog-checkpoint`` body."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        ext = "".join(line + "\n" for line in self.extensions)
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n{ext}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body; raises :class:`MalformedData`."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise MalformedData("checkpoint needs origin, size and root lines")
        origin, size_s, root_s = lines[0], lines[1], lines[2]
        if not origin:
            raise MalformedData("checkpoint origin is empty")
        if not re.fullmatch(r"0|[1-9][0-9]*", size_s):
            raise MalformedData(f"checkpoint size {size_s[:30]!r} is not a decimal number")
        root = _b64decode(root_s, "checkpoint root")
        if len(root) != 32:
            raise MalformedData("checkpoint root is not 32 bytes")
        return cls(origin, int(size_s), root, tuple(lines[3:-1]))
