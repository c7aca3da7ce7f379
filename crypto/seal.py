"""Sealed details: text encrypted under a fresh per-entry key, that key sealed to a review key.

- :func:`review_keypair` makes the neighbourhood's review key pair (Curve25519, 32 bytes each).
- :func:`seal` encrypts ``plaintext`` with XSalsa20-Poly1305 (NaCl ``SecretBox``) under a
  fresh random 32-byte entry key bound to ``sid`` (the 16-byte sealed-detail id), and seals
  that entry key to the review public key (NaCl ``SealedBox``: anonymous sender). The box goes
  into the signed log; the sealed key is kept outside it, so destroying it (retention)
  makes the box unreadable for everyone, for good, while the log's bytes stay the same.
- :func:`unseal` reverses it with the review private key.

Pure: no I/O.
"""

from __future__ import annotations

import os

import nacl.exceptions
import nacl.public
import nacl.secret

from crypto.errors import CryptoError, MalformedData

SID_BYTES = 16
KEY_BYTES = 32
SEALED_KEY_BYTES = KEY_BYTES + 48  # an ephemeral public key (32) and a MAC (16)
BOX_OVERHEAD = nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES  # 40


class UnsealError(CryptoError):
    """A sealed detail does not open: wrong review key, damaged bytes or a shredded key."""


def review_keypair() -> tuple[bytes, bytes]:
    """A fresh ``(public, private)`` review key pair."""
    sk = nacl.public.PrivateKey.generate()
    return bytes(sk.public_key), bytes(sk)


def new_sid() -> bytes:
    return os.urandom(SID_BYTES)


def seal(review_public: bytes, sid: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    """``(box, sealed_key)`` for ``plaintext``; see the module docstring."""
    if len(review_public) != KEY_BYTES:
        raise MalformedData("a review public key is 32 bytes")
    if len(sid) != SID_BYTES:
        raise MalformedData("a sealed-detail id is 16 bytes")
    key = os.urandom(KEY_BYTES)
    box = bytes(nacl.secret.SecretBox(key).encrypt(sid + plaintext))
    sealed_key = nacl.public.SealedBox(nacl.public.PublicKey(review_public)).encrypt(key)
    return box, bytes(sealed_key)


def unseal(review_private: bytes, sid: bytes, box: bytes, sealed_key: bytes) -> bytes:
    """The plaintext; raises :class:`UnsealError` saying which part failed."""
    if len(review_private) != KEY_BYTES:
        raise UnsealError("a review private key is 32 bytes")
    try:
        key = nacl.public.SealedBox(nacl.public.PrivateKey(review_private)).decrypt(sealed_key)
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
        raise UnsealError("the entry key does not open with this review key") from e
    try:
        inner = nacl.secret.SecretBox(key).decrypt(box)
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
        raise UnsealError("the sealed detail is damaged (it does not authenticate)") from e
    if inner[:SID_BYTES] != sid:
        raise UnsealError("the sealed detail belongs to another entry")
    return inner[SID_BYTES:]


PIN_BYTES = 80  # nonce 24, tag 16, node number 8, radio key 32


def seal_pin(secret: bytes, node: int, pkey: bytes) -> bytes:
    """A steward radio's node number and key sealed to the federated hubs' shared pin
    secret: readable by every hub that holds it, by nobody else (and never matchable)."""
    if len(secret) != KEY_BYTES or len(pkey) != 32 or not 0 <= node < 2**64:
        raise MalformedData(
            "a pin is a 64-bit node number and a 32-byte key, under a 32-byte secret"
        )
    return bytes(nacl.secret.SecretBox(secret).encrypt(node.to_bytes(8, "big") + pkey))


def open_pin(secret: bytes, pin: bytes) -> tuple[int, bytes]:
    """``(node, pkey)`` of a sealed pin; raises :class:`UnsealError`."""
    try:
        inner = nacl.secret.SecretBox(secret).decrypt(pin)
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
        raise UnsealError("the pin does not open with this hub's pin secret") from e
    if len(inner) != 40:
        raise UnsealError("the pin is not a node number and a key")
    return int.from_bytes(inner[:8], "big"), inner[8:]
