"""Sealed details: text encrypted under a fresh per-entry key, that key sealed to a review key.

- :func:`review_keypair` makes the neighbourhood's review key pair (Curve25519, 32 bytes each).
- :func:`seal` encrypts ``plaintext`` with XSalsa20-Poly1305 (NaCl ``SecretBox``) under a
  fresh random 32-byte entry key bound to ``sid`` (the 16-byte sealed-detail id), and seals
  that entry key to the review public key (NaCl ``SealedBox``: anonymous sender). The box goes
  into the signed log; the sealed key is kept outside it, so destroying it (retention)
  makes the box unreadable for everyone, for good, while the log's bytes stay the same.
- :func:`unseal` reverses it with the review private key.
- Steward radios: :func:`seal_pin` puts a node number and key in a ``SecretBox`` under a
  hub's pin secret (:func:`derive_pin_secret`, or one the neighbourhood installed);
  :func:`share_pin_secrets` seals those secrets to a federated hub's Ed25519 feed key
  (converted to Curve25519), which :func:`open_pin_secrets` opens with that hub's seed.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import os

import nacl.exceptions
import nacl.public
import nacl.secret
import nacl.signing

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


PIN_SECRET_CONTEXT = b"canopy pin secret v1"
MAX_SHARED_SECRETS = 4
SHARE_OVERHEAD = 48  # SealedBox: an ephemeral public key (32) and a MAC (16)


def derive_pin_secret(seed: bytes) -> bytes:
    """A hub's own pin secret, derived one way from its Ed25519 signing seed: every hub has
    one without any setup, and knowing it tells nothing about the seed."""
    if len(seed) != KEY_BYTES:
        raise MalformedData("an Ed25519 seed is 32 bytes")
    return hashlib.blake2b(PIN_SECRET_CONTEXT, key=seed, digest_size=KEY_BYTES).digest()


def share_pin_secrets(peer_feed: bytes, secrets: list[bytes]) -> bytes:
    """``secrets`` (1 to 4 pin secrets) sealed to a peer hub: NaCl ``SealedBox`` to the
    Curve25519 form of its Ed25519 feed key, so only that hub's signing key opens it."""
    if len(peer_feed) != KEY_BYTES:
        raise MalformedData("a hub's feed key is 32 bytes")
    if not 1 <= len(secrets) <= MAX_SHARED_SECRETS or any(len(s) != KEY_BYTES for s in secrets):
        raise MalformedData(f"1 to {MAX_SHARED_SECRETS} pin secrets of 32 bytes each")
    try:
        public = nacl.signing.VerifyKey(peer_feed).to_curve25519_public_key()
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
        raise MalformedData("not a usable Ed25519 feed key") from e
    return bytes(nacl.public.SealedBox(public).encrypt(b"".join(secrets)))


def open_pin_secrets(seed: bytes, box: bytes) -> list[bytes]:
    """The pin secrets a peer sealed to this hub (its Ed25519 signing ``seed``); raises
    :class:`UnsealError` for a box to another hub, or damaged."""
    if len(seed) != KEY_BYTES:
        raise UnsealError("an Ed25519 seed is 32 bytes")
    private = nacl.signing.SigningKey(seed).to_curve25519_private_key()
    try:
        inner = nacl.public.SealedBox(private).decrypt(box)
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
        raise UnsealError("the shared pin secrets do not open with this hub's key") from e
    n, rest = divmod(len(inner), KEY_BYTES)
    if rest or not 1 <= n <= MAX_SHARED_SECRETS:
        raise UnsealError("the shared box does not hold 32-byte pin secrets")
    return [inner[i * KEY_BYTES : (i + 1) * KEY_BYTES] for i in range(n)]
