"""The review private key split k-of-n among coordinators (``canopy review split``), and
rebuilt in memory only from ``k`` share files (``canopy review show --share F …``).

The split is Shamir's over GF(2^8) (:mod:`crypto.shamir`). A share file is six text lines,
written 0600 and never overwritten::

    canopy review key share
    split 3f9a0c1d2e4b5a69            <- 8 random bytes naming this split
    share 2 of 5, any 3               <- x, n, k
    public <64 hex>                   <- the review public key (public anyway)
    y <64 hex>                        <- the share
    check <16 hex>                    <- BLAKE2b-64 of the five lines above

so a damaged or edited share, shares of two different splits, a share given twice or too
few shares are each a clear error, and a rebuilt key is checked against ``public`` before
it is used.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import nacl.public

from crypto.errors import MalformedData
from crypto.seal import KEY_BYTES
from crypto.shamir import combine, split
from hub.local import atomic_write
from hub.privacy.policy import PrivacyError, read_private_text

MAGIC = "canopy review key share"


@dataclass(frozen=True, slots=True)
class Share:
    path: Path
    split: str
    x: int
    n: int
    k: int
    public: bytes
    y: bytes


def _check(lines: list[str]) -> str:
    return hashlib.blake2b("".join(ln + "\n" for ln in lines).encode(), digest_size=8).hexdigest()


def _public_of(private: bytes) -> bytes:
    return bytes(nacl.public.PrivateKey(private).public_key)


def share_name(x: int, n: int) -> str:
    return f"review.share-{x}-of-{n}"


def split_key(private: bytes, n: int, k: int, out: Path) -> list[Path]:
    """Write ``n`` share files of ``private`` into ``out``, any ``k`` of which rebuild it."""
    if not 2 <= k <= n <= 255:
        raise PrivacyError("need 2 <= --threshold <= --shares <= 255")
    paths = [out / share_name(x, n) for x in range(1, n + 1)]
    taken = [p for p in paths if p.exists()]
    if taken:
        raise PrivacyError(f"{taken[0]} exists: a share is never overwritten")
    out.mkdir(parents=True, exist_ok=True)
    ident, public = os.urandom(8).hex(), _public_of(private)
    for (x, y), path in zip(split(private, n, k), paths, strict=True):
        lines = [MAGIC, f"split {ident}", f"share {x} of {n}, any {k}", f"public {public.hex()}"]
        lines.append(f"y {y.hex()}")
        lines.append(f"check {_check(lines)}")
        atomic_write(path, "".join(ln + "\n" for ln in lines).encode(), mode=0o600)
    return paths


def _field(line: str, name: str) -> str:
    head, _, value = line.partition(" ")
    if head != name or not value:
        raise ValueError(name)
    return value


def read_share(path: Path) -> Share:
    """One share file; :class:`PrivacyError` says what is wrong with it."""
    text = read_private_text(path, "no share at {path}", "{path} is not a review key share ({e})")
    lines = text.splitlines()
    if len(lines) != 6 or lines[0] != MAGIC:
        raise PrivacyError(f"{path} is not a review key share")
    check = lines[5].removeprefix("check ") if lines[5].startswith("check ") else ""
    if check != _check(lines[:5]):
        raise PrivacyError(f"{path} is damaged: its checksum does not match")
    try:
        ident = _field(lines[1], "split")
        x_s, of, n_s, any_, k_s = _field(lines[2], "share").split(" ")
        if of != "of" or any_ != "any" or not n_s.endswith(","):
            raise ValueError("share")
        x, n, k = int(x_s), int(n_s[:-1]), int(k_s)
        public = bytes.fromhex(_field(lines[3], "public"))
        y = bytes.fromhex(_field(lines[4], "y"))
    except ValueError as e:
        raise PrivacyError(f"{path} is not a review key share (bad line: {e})") from e
    if not (1 <= x <= n and 2 <= k <= n <= 255) or len(public) != KEY_BYTES or len(y) != KEY_BYTES:
        raise PrivacyError(f"{path} is not a review key share (numbers out of range)")
    return Share(path, ident, x, n, k, public, y)


def rebuild_key(paths: list[Path]) -> bytes:
    """The review private key from share files, in memory only (never written)."""
    if not paths:
        raise PrivacyError("give the share files: --share FILE, once per share")
    shares: list[Share] = []
    for path in paths:
        s = read_share(path)
        for other in shares:
            if other.split != s.split:
                raise PrivacyError(
                    f"shares of different splits: {other.path} is of split {other.split}, "
                    f"{s.path} of split {s.split}"
                )
            if other.x == s.x:
                raise PrivacyError(f"share {s.x} given twice ({other.path} and {s.path})")
        shares.append(s)
    k = shares[0].k
    if len(shares) < k:
        raise PrivacyError(f"too few shares: this split needs {k}, got {len(shares)}")
    try:
        private = combine([(s.x, s.y) for s in shares])
    except MalformedData as e:
        raise PrivacyError(f"the shares do not combine: {e}") from e
    if _public_of(private) != shares[0].public:
        raise PrivacyError("the shares do not rebuild this split's review key (a forged share?)")
    return private
