"""Ed25519 identity keys (PyNaCl) and their key files.

A private key file holds the 32-byte seed as hex on one line. It is created with mode
0600 and refused at load time if group or others can read it, as ssh does.
"""

from __future__ import annotations

import functools
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import nacl.exceptions
import nacl.signing

from crypto.errors import BadSignature, KeyFileError, MalformedData


@functools.lru_cache(maxsize=64)
def _verify_key(raw: bytes) -> nacl.signing.VerifyKey:
    return nacl.signing.VerifyKey(raw)


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key (32 bytes)."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise MalformedData(f"an Ed25519 public key is 32 bytes, got {len(self.raw)}")

    @classmethod
    def from_hex(cls, text: str) -> PublicKey:
        """Parse 64 hex characters; raises :class:`MalformedData`."""
        try:
            raw = bytes.fromhex(text)
        except ValueError as e:
            raise MalformedData(f"not a hex public key: {text[:80]!r}") from e
        return cls(raw)

    def hex(self) -> str:
        return self.raw.hex()

    def verify(self, message: bytes, signature: bytes) -> None:
        """Verify an Ed25519 signature; raises :class:`BadSignature`."""
        if len(signature) != 64:
            raise BadSignature(f"an Ed25519 signature is 64 bytes, got {len(signature)}")
        try:
            _verify_key(self.raw).verify(message, signature)
        except nacl.exceptions.BadSignatureError as e:
            raise BadSignature("signature does not verify") from e
        except nacl.exceptions.CryptoError as e:
            raise BadSignature(f"signature check failed: {e}") from e


class SigningKey:
    """An Ed25519 private key. Never printed, never serialised except to its key file."""

    __slots__ = ("_key",)

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise MalformedData(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        self._key = nacl.signing.SigningKey(seed)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def public(self) -> PublicKey:
        return PublicKey(bytes(self._key.verify_key))

    @property
    def seed(self) -> bytes:
        return bytes(self._key)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte detached signature of ``message``."""
        return bytes(self._key.sign(message).signature)

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public.hex()[:16]}…)"


def write_key_file(path: Path, key: SigningKey) -> None:
    """Create ``path`` (mode 0600) holding the key; refuses to overwrite an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as e:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from e
    except OSError as e:
        raise KeyFileError(f"cannot create key file {path}: {e.strerror}") from e
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (key.seed.hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def load_key_file(path: Path) -> SigningKey:
    """Load a private key; raises :class:`KeyFileError` with a message a person can act on."""
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise KeyFileError(f"key file {path} is missing") from e
    except OSError as e:
        raise KeyFileError(f"cannot stat key file {path}: {e.strerror}") from e
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"key file {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise KeyFileError(f"cannot read key file {path}: {e}") from e
    try:
        seed = bytes.fromhex(text)
        return SigningKey(seed)
    except (ValueError, MalformedData) as e:
        raise KeyFileError(f"key file {path} does not hold a 32-byte hex seed") from e
