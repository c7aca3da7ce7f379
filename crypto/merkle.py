"""RFC 9162 Merkle tree hashing, inclusion and consistency proofs.

Leaf hash ``SHA-256(0x00 || d)``, node hash ``SHA-256(0x01 || left || right)``; the
tree over n leaves splits at the largest power of two smaller than n (RFC 9162 §2.1.1).
Proof generation and verification follow §2.1.3 and §2.1.4 exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from crypto.errors import ProofError

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """Merkle tree hash of the given leaf hashes; iterative, O(n).

    Level by level: pair neighbours, carry an odd last node up unchanged. That is the tree
    of RFC 9162 (left subtrees are the largest powers of two), built with one hash call
    per node and no per-leaf Python bookkeeping.
    """
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    sha = hashlib.sha256
    while len(level) > 1:
        pairs = [
            sha(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            pairs.append(level[-1])
        level = pairs
    return level[0]


class CompactRange:
    """Incremental root over appended leaves: O(log n) memory and time per append."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def append(self, leaf: bytes) -> None:
        size, cur = 1, leaf
        while self._stack and self._stack[-1][0] == size:
            _, left = self._stack.pop()
            cur = node_hash(left, cur)
            size *= 2
        self._stack.append((size, cur))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        cur = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            cur = node_hash(left, cur)
        return cur


def _subtree(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    return root_from_leaf_hashes(leaves[lo:hi])


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """PATH(m, D[0:n]) of RFC 9162 §2.1.3.1 for leaf ``index`` in the tree of ``size`` leaves."""
    n = len(leaves) if size is None else size
    if not 0 <= index < n <= len(leaves):
        raise ValueError(f"leaf index {index} is not in a tree of size {n}")
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    # Walk down, collecting siblings; they are emitted bottom-up, so reverse at the end.
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_subtree(leaves, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree(leaves, lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> None:
    """Verify an inclusion proof (RFC 9162 §2.1.3.2); raises :class:`ProofError`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def consistency_proof(
    leaves: Sequence[bytes], first: int, second: int | None = None
) -> list[bytes]:
    """PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1."""
    n = len(leaves) if second is None else second
    if not 0 < first <= n <= len(leaves):
        raise ValueError(f"no consistency proof from size {first} to size {n}")
    if first == n:
        return []
    return _subproof(leaves, first, 0, n, True)


def _subproof(leaves: Sequence[bytes], m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if b else [_subtree(leaves, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves, m, lo, lo + k, b), _subtree(leaves, lo + k, hi)]
    return [*_subproof(leaves, m - k, lo + k, hi, False), _subtree(leaves, lo, lo + k)]


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> None:
    """Verify a consistency proof (RFC 9162 §2.1.4.2); raises :class:`ProofError`."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency from size {first} to size {second}")
    if first == second:
        if path:
            raise ProofError("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError("equal sizes but different roots")
        return
    proof = list(path)
    if first & (first - 1) == 0:  # exact power of two: prepend first_root
        proof.insert(0, first_root)
    if not proof:
        raise ProofError("empty consistency proof")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != first_root:
        raise ProofError("consistency proof does not reproduce the first root")
    if sr != second_root:
        raise ProofError("consistency proof does not reproduce the second root")
