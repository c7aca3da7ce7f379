"""Shamir's secret sharing over GF(2^8): any ``k`` of ``n`` shares give the secret back,
fewer tell nothing about it.

Each byte of the secret is the constant term of its own random polynomial of degree
``k - 1`` over GF(2^8) (the AES field: x^8 + x^4 + x^3 + x + 1); share ``x`` (1 to 255)
holds every polynomial's value at ``x``. :func:`combine` interpolates at 0 (Lagrange).
Shares carry no integrity of their own: the file format around them does
(:mod:`hub.privacy.shares`).

Pure: no I/O.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from crypto.errors import MalformedData

_EXP = [0] * 510
_LOG = [0] * 256


def _tables() -> None:
    v = 1
    for i in range(255):
        _EXP[i] = v
        _LOG[v] = i
        v ^= (v << 1) ^ (0x11B if v & 0x80 else 0)  # times 3, the field's generator
    for i in range(255, 510):
        _EXP[i] = _EXP[i - 255]


_tables()


def gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def gf_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


def _eval(coeffs: bytes, x: int) -> int:
    """The polynomial ``coeffs[0] + coeffs[1]·x + …`` at ``x`` (Horner)."""
    y = 0
    for c in reversed(coeffs):
        y = gf_mul(y, x) ^ c
    return y


def split(
    secret: bytes, n: int, k: int, random: Callable[[int], bytes] = os.urandom
) -> list[tuple[int, bytes]]:
    """``n`` shares ``(x, y)`` of ``secret``, ``x`` = 1 … n, any ``k`` of which rebuild it."""
    if not 2 <= k <= n <= 255:
        raise MalformedData("shares: 2 <= threshold <= shares <= 255")
    if not secret:
        raise MalformedData("nothing to split")
    ys = [bytearray(len(secret)) for _ in range(n)]
    for i, byte in enumerate(secret):
        coeffs = bytes([byte]) + random(k - 1)
        for x in range(1, n + 1):
            ys[x - 1][i] = _eval(coeffs, x)
    return [(x, bytes(ys[x - 1])) for x in range(1, n + 1)]


def combine(shares: list[tuple[int, bytes]]) -> bytes:
    """The secret from ``k`` or more shares of one split (exactly what the caller gives:
    too few, or shares of different splits, give a wrong secret, not an error)."""
    xs = [x for x, _ in shares]
    if not shares or len(set(xs)) != len(xs) or not all(1 <= x <= 255 for x in xs):
        raise MalformedData("shares need distinct x from 1 to 255")
    size = len(shares[0][1])
    if any(len(y) != size for _, y in shares):
        raise MalformedData("shares of different lengths")
    weights = []
    for j, xj in enumerate(xs):  # Lagrange basis at 0: prod x_m / (x_m - x_j), m != j
        w = 1
        for m, xm in enumerate(xs):
            if m != j:
                w = gf_mul(w, gf_div(xm, xm ^ xj))
        weights.append(w)
    out = bytearray(size)
    for w, (_, y) in zip(weights, shares, strict=True):
        for i in range(size):
            out[i] ^= gf_mul(w, y[i])
    return bytes(out)
