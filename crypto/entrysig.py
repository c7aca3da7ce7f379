"""Signing and verifying log entries over their shadow header.

An entry on disk and on the air is exactly ``0x82 || bstr(body) || bstr(signature)``: a
CBOR array of two byte strings with minimal length headers. The Ed25519 signature covers::

    DOMAIN (b"canopy-entry-v1\\x00", 16 bytes) || feed key (32) || seq (u64 big-endian)
    || previous entry hash (32; all zeros for seq 0) || body

Only the body and the signature are stored: the feed, the position and the previous
entry give the rest, so a receiver holding entry n-1 can check entry n. The previous
entry hash is the RFC 9162 leaf hash ``SHA-256(0x00 || previous entry bytes)``.
"""

from __future__ import annotations

import struct

import nacl.bindings
import nacl.exceptions

from crypto.errors import BadSignature, MalformedData
from crypto.keys import PublicKey, SigningKey

DOMAIN = b"canopy-entry-v1\x00"
ZERO_HASH = bytes(32)
MAX_BODY = 65535


def _bstr_header(n: int) -> bytes:
    if n < 24:
        return bytes([0x40 | n])
    if n < 0x100:
        return bytes([0x58, n])
    if n <= MAX_BODY:
        return bytes([0x59]) + struct.pack(">H", n)
    raise MalformedData(f"entry body of {n} bytes exceeds {MAX_BODY}")


def signed_message(feed: PublicKey, seq: int, prev: bytes, body: bytes) -> bytes:
    if not 0 <= seq < 2**64:
        raise MalformedData(f"sequence number {seq} out of range")
    if len(prev) != 32:
        raise MalformedData("previous entry hash must be 32 bytes")
    return DOMAIN + feed.raw + struct.pack(">Q", seq) + prev + body


def sign_entry(key: SigningKey, seq: int, prev: bytes, body: bytes) -> bytes:
    """Return the entry bytes for ``body`` at ``seq``, after an entry hashing to ``prev``."""
    sig = key.sign(signed_message(key.public, seq, prev, body))
    return b"\x82" + _bstr_header(len(body)) + body + b"\x58\x40" + sig


def split_entry(entry: bytes) -> tuple[bytes, bytes]:
    """Return ``(body, signature)``; raises :class:`MalformedData` unless the framing is exact."""
    if len(entry) < 1 + 1 + 2 + 64 or entry[0] != 0x82:
        raise MalformedData("entry is not a CBOR array of two items")
    head = entry[1]
    if 0x40 <= head < 0x58:
        n, pos = head - 0x40, 2
    elif head == 0x58:
        n, pos = entry[2], 3
        if n < 24:
            raise MalformedData("entry body length is not minimally encoded")
    elif head == 0x59:
        n, pos = struct.unpack_from(">H", entry, 2)[0], 4
        if n < 0x100:
            raise MalformedData("entry body length is not minimally encoded")
    else:
        raise MalformedData("entry body is not a definite-length byte string")
    end = pos + n
    if len(entry) != end + 66 or entry[end : end + 2] != b"\x58\x40":
        raise MalformedData("entry signature is not a 64-byte string ending the entry")
    return entry[pos:end], entry[end + 2 :]


def verify_entry(feed: PublicKey, seq: int, prev: bytes, entry: bytes) -> bytes:
    """Verify ``entry`` at ``seq`` in ``feed`` after ``prev``; return its body.

    Raises :class:`MalformedData` for bad framing and :class:`BadSignature` when the
    signature does not cover this feed, position, predecessor and body.
    """
    try:
        return FeedVerifier(feed).verify(seq, prev, entry)
    except BadSignature as e:
        raise BadSignature(f"entry {seq}: {e}") from e


def entry_length(data: bytes, pos: int) -> int:
    """Length of the entry starting at ``data[pos]`` in a CBOR sequence of entries.

    Raises :class:`MalformedData` if no complete entry starts there.
    """
    if pos + 2 > len(data) or data[pos] != 0x82:
        raise MalformedData(f"no entry starts at byte {pos}")
    head = data[pos + 1]
    if 0x40 <= head < 0x58:
        n, hdr = head - 0x40, 2
    elif head == 0x58 and pos + 3 <= len(data):
        n, hdr = data[pos + 2], 3
    elif head == 0x59 and pos + 4 <= len(data):
        n, hdr = struct.unpack_from(">H", data, pos + 2)[0], 4
    else:
        raise MalformedData(f"entry at byte {pos} has no valid body header")
    total = hdr + n + 66
    if pos + total > len(data):
        raise MalformedData(f"entry at byte {pos} is truncated")
    return total


class FeedVerifier:
    """Verifies the entries of one feed in a row; the hot loop of ``canopy log verify``.

    Same checks as :func:`verify_entry`, with the per-feed part of the signed message built
    once and libsodium called directly.
    """

    __slots__ = ("_prefix", "_raw")

    def __init__(self, feed: PublicKey) -> None:
        self._raw = feed.raw
        self._prefix = DOMAIN + feed.raw

    def verify(self, seq: int, prev: bytes, entry: bytes) -> bytes:
        """Return the body of ``entry``; raises :class:`MalformedData` or :class:`BadSignature`."""
        body, sig = split_entry(entry)
        if len(prev) != 32 or not 0 <= seq < 2**64:
            raise MalformedData("bad position or previous entry hash")
        # the signed form (signature, then the shadow header and body) in one allocation
        signed = b"".join((sig, self._prefix, seq.to_bytes(8, "big"), prev, body))
        try:
            nacl.bindings.crypto_sign_open(signed, self._raw)
        except nacl.exceptions.CryptoError as e:
            raise BadSignature("signature does not verify for this feed and position") from e
        return body
