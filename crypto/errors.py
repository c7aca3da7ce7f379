"""Typed errors for crypto: bad data from outside vs. key-file problems."""

from __future__ import annotations


class CryptoError(Exception):
    """Root of every error raised by :mod:`crypto`."""


class BadSignature(CryptoError):
    """A signature did not verify against the key and message it claims."""


class MalformedData(CryptoError):
    """Bytes or text from outside do not have the expected shape."""


class KeyFileError(CryptoError):
    """A key file is missing, unreadable, malformed or too widely readable."""


class ProofError(CryptoError):
    """A Merkle inclusion or consistency proof does not verify."""
