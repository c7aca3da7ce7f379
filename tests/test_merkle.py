"""crypto.merkle against RFC 9162 written out naively here, and against published vectors.

The reference functions below follow RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1
(PROOF/SUBPROOF) literally, recursively, over the leaf inputs; proof *verification* is
checked against recursive folds that mirror those definitions. Every tree size 1..64,
every leaf index and every pair of sizes is covered, with mutated proofs and parameters.

The published values are the RFC 6962 reference tree of ``transparency-dev/merkle``:
leaves, roots and empty-tree hash from ``testonly/constants.go``; inclusion and
consistency proofs from ``cmd/proofgen/main.go`` (leaf numbers there are 1-based).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from crypto.errors import ProofError
from crypto.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

MAX = 64


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (RFC 9162 §2.1.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + d[0])
    k = _k(n)
    return _h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def rfc_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*rfc_path(m, d[:k]), mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), mth(d[:k])]


def rfc_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return rfc_subproof(m, d, True)


def rfc_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), mth(d[:k])]


def _node(left: bytes, right: bytes) -> bytes:
    return _h(b"\x01" + left + right)


def fold_path(m: int, n: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root that PATH's structure implies for leaf m of n, or None if it cannot fit."""
    if not 0 <= m < n:
        return None
    if n == 1:
        return leaf if not path else None
    if not path:
        return None
    k = _k(n)
    *inner, last = path
    if m < k:
        sub = fold_path(m, k, leaf, inner)
        return None if sub is None else _node(sub, last)
    sub = fold_path(m - k, n - k, leaf, inner)
    return None if sub is None else _node(last, sub)


def fold_proof(
    m: int, n: int, proof: Sequence[bytes], b: bool, first_root: bytes
) -> tuple[bytes, bytes] | None:
    """(old root, new root) that SUBPROOF's structure implies, or None if it cannot fit."""
    if m == n:
        if b:
            return (first_root, first_root) if not proof else None
        return (proof[0], proof[0]) if len(proof) == 1 else None
    if not proof:
        return None
    k = _k(n)
    *inner, last = proof
    if m <= k:
        sub = fold_proof(m, k, inner, b, first_root)
        return None if sub is None else (sub[0], _node(sub[1], last))
    sub = fold_proof(m - k, n - k, inner, False, first_root)
    return None if sub is None else (_node(last, sub[0]), _node(last, sub[1]))


def inclusion_ok(m: int, n: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    return fold_path(m, n, leaf, path) == root


def consistency_ok(m: int, n: int, r1: bytes, r2: bytes, proof: Sequence[bytes]) -> bool:
    if not 0 < m <= n:
        return False
    if m == n:
        return not proof and r1 == r2
    return fold_proof(m, n, proof, True, r1) == (r1, r2)


def canopy_inclusion_ok(m: int, n: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    try:
        verify_inclusion(leaf, m, n, path, root)
    except ProofError:
        return False
    return True


def canopy_consistency_ok(m: int, n: int, r1: bytes, r2: bytes, proof: Sequence[bytes]) -> bool:
    try:
        verify_consistency(m, n, r1, r2, proof)
    except ProofError:
        return False
    return True


DATA = [f"entry {i}".encode() for i in range(MAX)]
LEAVES = [leaf_hash(d) for d in DATA]
ROOTS = [mth(DATA[:n]) for n in range(MAX + 1)]


def _flipped(proof: list[bytes], j: int) -> list[bytes]:
    out = list(proof)
    b = bytearray(out[j])
    b[(j * 7) % len(b)] ^= 0x20
    out[j] = bytes(b)
    return out


def test_hashes_and_empty_tree() -> None:
    assert leaf_hash(b"abc") == _h(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == _h(b"\x01" + b"L" * 32 + b"R" * 32)
    assert EMPTY_ROOT == _h(b"") == root_from_leaf_hashes([]) == CompactRange().root()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_roots_and_compact_range_for_every_size() -> None:
    compact = CompactRange()
    for n in range(1, MAX + 1):
        compact.append(LEAVES[n - 1])
        assert compact.size == n
        assert root_from_leaf_hashes(LEAVES[:n]) == ROOTS[n], n
        assert compact.root() == ROOTS[n], n


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_inclusion_proofs_for_every_index(n: int) -> None:
    root = ROOTS[n]
    for m in range(n):
        proof = inclusion_proof(LEAVES, m, n)
        assert proof == rfc_path(m, DATA[:n]), (m, n)
        assert inclusion_proof(LEAVES[:n], m) == proof
        leaf = LEAVES[m]
        assert inclusion_ok(m, n, leaf, proof, root)
        verify_inclusion(leaf, m, n, proof, root)
        # Any flipped byte, a wrong leaf, a wrong root, a cut or padded proof: ProofError.
        bad: list[tuple[bytes, list[bytes], bytes]] = [
            (leaf, _flipped(proof, j), root) for j in range(len(proof))
        ]
        bad += [
            (LEAVES[(m + 1) % MAX], proof, root),
            (leaf, proof, ROOTS[n - 1]),
            (leaf, [*proof, root], root),
            (leaf, [b"", *proof], root),
            (leaf, [*proof, b""], root),
        ]
        if proof:
            bad += [(leaf, proof[:-1], root), (leaf, proof[1:], root)]
        for leaf_x, proof_x, root_x in bad:
            with pytest.raises(ProofError):
                verify_inclusion(leaf_x, m, n, proof_x, root_x)
        # Other indexes and sizes fail exactly when the RFC structure says they must.
        others = {(m - 1, n), (m + 1, n), (m ^ 1, n), (m ^ 2, n), (n, n), (-1, n)}
        others |= {(m, n - 1), (m, n + 1), (m, 2 * n), (m, n // 2), (m, 0)}
        for m2, n2 in sorted(others - {(m, n)}):
            want = inclusion_ok(m2, n2, leaf, proof, root)
            assert canopy_inclusion_ok(m2, n2, leaf, proof, root) == want, (m, n, m2, n2)
            if m2 != m:
                assert not want, (m, n, m2, n2)  # distinct leaves never verify elsewhere


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_consistency_proofs_for_every_pair(n: int) -> None:
    r2 = ROOTS[n]
    for m in range(1, n + 1):
        r1 = ROOTS[m]
        proof = consistency_proof(LEAVES, m, n)
        assert proof == ([] if m == n else rfc_proof(m, DATA[:n])), (m, n)
        assert consistency_proof(LEAVES[:n], m) == proof
        assert consistency_ok(m, n, r1, r2, proof)
        verify_consistency(m, n, r1, r2, proof)
        bad: list[tuple[bytes, bytes, list[bytes]]] = [
            (r1, r2, _flipped(proof, j)) for j in range(len(proof))
        ]
        if m != n:
            bad += [
                (r1, r2, []),
                (r2, r1, proof),
                (r1, ROOTS[n - 1], proof),
                (ROOTS[m - 1], r2, proof),
                (r1, r2, [*proof, r1]),
                (r1, r2, [*proof, b""]),
                (r1, r2, [b"", *proof]),
                (r1, r2, [proof[0], *proof]),
                (r1, r2, proof[:-1]),
            ]
        else:
            bad += [(r1, r2, [r1]), (r1, ROOTS[n - 1], [])]
        for r1x, r2x, proof_x in bad:
            with pytest.raises(ProofError):
                verify_consistency(m, n, r1x, r2x, proof_x)
        others = {(m - 1, n), (m + 1, n), (m ^ 2, n), (m, n + 1), (m, n - 1), (m, 2 * n)}
        others |= {(m, n // 2), (0, n), (n + 1, n)}
        for m2, n2 in sorted(others - {(m, n)}):
            want = consistency_ok(m2, n2, r1, r2, proof)
            assert canopy_consistency_ok(m2, n2, r1, r2, proof) == want, (m, n, m2, n2)


def test_size_is_bound_only_through_the_root() -> None:
    """RFC 9162 verification uses the tree size only for the shape of the proof.

    Neighbouring sizes often share that shape, so a proof for (leaf 0, size 3, root of 3)
    also verifies as "size 4" with the root of 3. That is why a verifier must take the size
    and the root from the same signed checkpoint (docs/log-format.md, section 6).
    """
    proof = inclusion_proof(LEAVES, 0, 3)
    verify_inclusion(LEAVES[0], 0, 4, proof, ROOTS[3])
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 4, proof, ROOTS[4])
    cons = consistency_proof(LEAVES, 1, 3)
    verify_consistency(1, 4, ROOTS[1], ROOTS[3], cons)
    with pytest.raises(ProofError):
        verify_consistency(1, 4, ROOTS[1], ROOTS[4], cons)


def test_proof_generation_refuses_impossible_requests() -> None:
    for m, n in [(-1, 4), (4, 4), (0, 0), (0, MAX + 1)]:
        with pytest.raises(ValueError):
            inclusion_proof(LEAVES, m, n)
    for m, n in [(0, 4), (5, 4), (1, MAX + 1)]:
        with pytest.raises(ValueError):
            consistency_proof(LEAVES, m, n)


def test_verification_refuses_impossible_parameters() -> None:
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], -1, 1, [], LEAVES[0])
    with pytest.raises(ProofError):
        verify_consistency(0, 1, EMPTY_ROOT, ROOTS[1], [])
    with pytest.raises(ProofError):
        verify_consistency(2, 1, ROOTS[2], ROOTS[1], [])


# --- published vectors (transparency-dev/merkle, the RFC 6962 reference tree) -------------

REF_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
# testonly/constants.go RootHashes(), indexed by tree size.
REF_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# cmd/proofgen/main.go inclusionProofs, as (0-based index, size, path).
REF_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# cmd/proofgen/main.go consistencyProofs, as (size1, size2, proof).
REF_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
REF_LEAF_HASHES = [leaf_hash(d) for d in REF_LEAVES]


def test_published_reference_roots() -> None:
    compact = CompactRange()
    assert compact.root().hex() == REF_ROOTS[0]
    for n in range(len(REF_LEAVES) + 1):
        assert root_from_leaf_hashes(REF_LEAF_HASHES[:n]).hex() == REF_ROOTS[n], n
        assert mth(REF_LEAVES[:n]).hex() == REF_ROOTS[n], n
        if n:
            compact.append(REF_LEAF_HASHES[n - 1])
            assert compact.root().hex() == REF_ROOTS[n], n


@pytest.mark.parametrize(("index", "size", "path"), REF_INCLUSION)
def test_published_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(REF_LEAF_HASHES, index, size)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(REF_ROOTS[size])
    verify_inclusion(REF_LEAF_HASHES[index], index, size, proof, root)
    for idx, sz in [(index, size * 2), (index ^ 2, size), (index + 1, size)]:
        if (idx, sz) != (index, size):
            with pytest.raises(ProofError):
                verify_inclusion(REF_LEAF_HASHES[index], idx, sz, proof, root)


@pytest.mark.parametrize(("first", "second", "path"), REF_CONSISTENCY)
def test_published_consistency_proofs(first: int, second: int, path: list[str]) -> None:
    proof = consistency_proof(REF_LEAF_HASHES, first, second)
    assert [p.hex() for p in proof] == path
    r1, r2 = bytes.fromhex(REF_ROOTS[first]), bytes.fromhex(REF_ROOTS[second])
    verify_consistency(first, second, r1, r2, proof)
    if first != second:
        with pytest.raises(ProofError):
            verify_consistency(first, second, r2, r1, proof)
        with pytest.raises(ProofError):
            verify_consistency(first + 1, second, r1, r2, proof)
