"""The review private key split k-of-n among coordinators: Shamir over GF(2^8), share
files with a checksum, and `canopy review show --share …` rebuilding the key in memory.
Hostile input: too few shares, a share twice, shares of different splits, a damaged or
forged share, a share others can read, impossible thresholds."""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from support import run_canopy

from crypto.errors import MalformedData
from crypto.shamir import combine, gf_div, gf_mul, split
from hub.privacy import PrivacyError, keygen, read_private, rebuild_key, split_key

DETAILS = "man asleep in the doorway of 23 Elm St, seemed unwell"


def test_gf256_is_the_aes_field() -> None:
    assert gf_mul(0x57, 0x83) == 0xC1  # FIPS-197, section 4.2
    assert gf_mul(0x57, 0x13) == 0xFE
    assert all(gf_mul(a, gf_div(1, a)) == 1 for a in range(1, 256))
    with pytest.raises(ZeroDivisionError):
        gf_div(1, 0)


def test_any_k_shares_rebuild_the_secret_and_fewer_do_not() -> None:
    secret = os.urandom(32)
    shares = split(secret, 5, 3)
    assert sorted(x for x, _ in shares) == [1, 2, 3, 4, 5]
    for chosen in itertools.combinations(shares, 3):
        assert combine(list(chosen)) == secret
    assert combine(shares) == secret  # more than k agree too
    for chosen in itertools.combinations(shares, 2):
        assert combine(list(chosen)) != secret
    # a fixed polynomial, worked by hand: f(x) = 0x2a + 0x07·x, shares at 1 and 2
    fixed = split(b"\x2a", 2, 2, random=lambda n: b"\x07" * n)
    assert fixed == [(1, bytes([0x2A ^ 0x07])), (2, bytes([0x2A ^ gf_mul(7, 2)]))]
    assert combine(fixed) == b"\x2a"


@pytest.mark.parametrize(("n", "k"), [(3, 1), (2, 3), (256, 2), (0, 0)])
def test_impossible_splits_are_refused(n: int, k: int) -> None:
    with pytest.raises(MalformedData):
        split(b"k" * 32, n, k)


def test_combine_refuses_repeated_or_uneven_shares() -> None:
    shares = split(os.urandom(32), 3, 2)
    with pytest.raises(MalformedData, match="distinct"):
        combine([shares[0], shares[0]])
    with pytest.raises(MalformedData, match="lengths"):
        combine([shares[0], (shares[1][0], shares[1][1][:5])])


def _split(tmp_path: Path, name: str, n: int = 4, k: int = 3) -> tuple[bytes, list[Path]]:
    keys = tmp_path / name
    keygen(keys)
    private = read_private(keys / "review.key")
    return private, split_key(private, n, k, keys / "shares")


def test_share_files_rebuild_the_key_and_refuse_every_bad_set(tmp_path: Path) -> None:
    private, paths = _split(tmp_path, "keys")
    assert [stat.S_IMODE(os.stat(p).st_mode) for p in paths] == [0o600] * 4
    assert all(private.hex() not in p.read_text() for p in paths)
    assert rebuild_key(paths[1:]) == private
    assert rebuild_key([paths[3], paths[0], paths[2]]) == private

    def refused(chosen: list[Path], why: str) -> None:
        with pytest.raises(PrivacyError, match=why):
            rebuild_key(chosen)

    refused(paths[:2], "too few shares: this split needs 3, got 2")
    refused([paths[0], paths[1], paths[0]], "share 1 given twice")
    _, others = _split(tmp_path, "elsewhere")
    refused([paths[0], paths[1], others[2]], "shares of different splits")
    refused([], "give the share files")
    refused([tmp_path / "nope"], "no share at")

    damaged = tmp_path / "damaged"
    lines = paths[2].read_text().splitlines()
    y = lines[4]
    lines[4] = y[:-1] + ("0" if y[-1] != "0" else "1")  # one hex digit of the share
    damaged.write_text("\n".join(lines) + "\n")
    damaged.chmod(0o600)
    refused([paths[0], paths[1], damaged], "damaged: its checksum does not match")

    garbled = tmp_path / "garbled"
    garbled.write_bytes(b"\xff\xfe not a share")
    garbled.chmod(0o600)
    refused([paths[0], paths[1], garbled], "is not a review key share")

    # a share rewritten with a matching checksum (a forgery, or a bug): caught when the
    # rebuilt key does not match the split's public key
    from hub.privacy.shares import _check

    lines[5] = f"check {_check(lines[:5])}"
    forged = tmp_path / "forged"
    forged.write_text("\n".join(lines) + "\n")
    forged.chmod(0o600)
    refused([paths[0], paths[1], forged], "do not rebuild this split's review key")

    paths[0].chmod(0o644)
    refused(paths[:3], "readable by others")
    paths[0].chmod(0o600)

    with pytest.raises(PrivacyError, match="never overwritten"):
        split_key(private, 4, 3, paths[0].parent)
    with pytest.raises(PrivacyError, match="threshold"):
        split_key(private, 3, 4, tmp_path / "x")


def test_canopy_review_split_then_show_with_shares(tmp_path: Path, reviewed: Any) -> None:
    core = reviewed.core()
    try:
        fields = {"category": "medical", "place": "Elm St", "details": DETAILS}
        assert "box" in core.log.append("report", fields).body.named_fields()
    finally:
        core.close()
    data, out = reviewed.data, tmp_path / "coordinators"
    args = ("--key", str(reviewed.key), "--out", str(out))
    r = run_canopy("review", "split", *args, "--shares", "3", "--threshold", "2")
    assert r.code == 0 and "any 2 of these 3 shares" in r.out, r.err
    share = [str(out / f"review.share-{x}-of-3") for x in (1, 2, 3)]

    r = run_canopy("review", "show", "--share", share[2], "--share", share[0], data=data)
    assert r.code == 0 and DETAILS in r.out, r.err
    assert sorted(p.name for p in out.iterdir()) == [Path(s).name for s in share]  # no key
    r = run_canopy("review", "show", "--share", share[1], data=data)
    assert r.code == 1 and "too few shares" in r.err and DETAILS not in r.out
    r = run_canopy("review", "show", "--key", str(reviewed.key), "--share", share[0])
    assert r.code == 1 and "--key review.key, or --share" in r.err
    r = run_canopy("review", "split", *args, "--shares", "3", "--threshold", "1")
    assert r.code == 1 and "threshold" in r.err
