"""`canopy log verify` on several processes: the same verdict, word for word, as one process,
wherever in the feed (first chunk, a middle one, the last, a chunk boundary) the damage is."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from support import run_canopy

from crypto.entrysig import sign_entry
from crypto.keys import SigningKey
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.note import Checkpoint, Verifier, sign_note
from hub.errors import VerifyError
from hub.log import encode_body, make_body, verify_entries, verify_parallel
from hub.log.parallel import MIN_CHUNK

N = 5 * MIN_CHUNK  # chunks of MIN_CHUNK entries for 2 and 3 jobs: boundaries at 256, 512, ...
KEY = SigningKey(hashlib.sha256(b"canopy test parallel verify").digest())
OTHER = SigningKey(hashlib.sha256(b"canopy test parallel verify, other").digest())
T0 = 1_800_000_000


def _body(i: int, t: int | None = None) -> bytes:
    return encode_body(make_body("note", {"text": f"round {i}"}, time=T0 + i if t is None else t))


def _sign(entries: list[bytes], start: int, bodies: list[bytes], key: SigningKey = KEY) -> None:
    """Re-sign ``bodies`` in place from ``start``, each chained to the entry before it."""
    for k, body in enumerate(bodies):
        i = start + k
        prev = leaf_hash(entries[i - 1]) if i else bytes(32)
        entry = sign_entry(key, i, prev, body)
        if i < len(entries):
            entries[i] = entry
        else:
            entries.append(entry)


@pytest.fixture(scope="module")
def feed() -> list[bytes]:
    entries: list[bytes] = []
    _sign(entries, 0, [_body(i) for i in range(N)])
    return entries


def _flip(entries: list[bytes], i: int) -> list[bytes]:
    out = list(entries)
    bad = bytearray(out[i])
    bad[-5] ^= 0x40  # inside the signature
    out[i] = bytes(bad)
    return out


def _resigned(entries: list[bytes], i: int, body: bytes, key: SigningKey = KEY) -> list[bytes]:
    """A feed that is validly signed up to ``i`` and from there on (so only the change at
    ``i`` is wrong, the chain after it intact)."""
    out = list(entries)
    _sign(out, i, [body], key)
    _sign(out, i + 1, [_body(j) for j in range(i + 1, len(out))])
    return out


HOSTILE: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "bad signature, first chunk": lambda e: _flip(e, 3),
    "bad signature, middle chunk": lambda e: _flip(e, 700),
    "bad signature, last entry": lambda e: _flip(e, N - 1),
    "bad signature, first of a chunk": lambda e: _flip(e, 2 * MIN_CHUNK),
    "bad signature, last of a chunk": lambda e: _flip(e, 2 * MIN_CHUNK - 1),
    "two bad, the first named": lambda e: _flip(_flip(e, 1100), 600),
    "entries swapped across a boundary": lambda e: [
        *e[: MIN_CHUNK - 1],
        e[MIN_CHUNK],
        e[MIN_CHUNK - 1],
        *e[MIN_CHUNK + 1 :],
    ],
    "entry dropped mid-chunk": lambda e: e[:600] + e[601:],
    "entry duplicated at a boundary": lambda e: e[:MIN_CHUNK] + e[MIN_CHUNK - 1 :],
    "time back at a boundary": lambda e: _resigned(e, 4 * MIN_CHUNK, _body(0, T0 - 1)),
    "time back mid-chunk": lambda e: _resigned(e, 900, _body(0, T0)),
    "signed garbage before a boundary": lambda e: _resigned(e, 3 * MIN_CHUNK - 1, b"\xff\x00"),
    "signed by another key": lambda e: _resigned(e, 1000, _body(1000), OTHER),
    "truncated tail entry": lambda e: [*e[:-1], e[-1][:-1]],
}


def _single(feed: list[bytes]) -> str:
    with pytest.raises(VerifyError) as err:
        verify_entries(KEY.public, feed)
    return str(err.value)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_parallel_names_the_same_first_bad_entry(feed: list[bytes], case: str) -> None:
    hostile = HOSTILE[case](feed)
    expected = _single(hostile)
    assert expected.startswith("entry "), expected
    for jobs in (2, 3):
        with pytest.raises(VerifyError) as err:
            verify_parallel(KEY.public, hostile, jobs)
        assert str(err.value) == expected, (case, jobs)


def test_parallel_gives_the_same_tree_and_counts_every_entry(feed: list[bytes]) -> None:
    steps: list[int] = []
    got = verify_parallel(KEY.public, feed, 2, steps.append)
    assert got == verify_entries(KEY.public, feed)
    assert got.root == root_from_leaf_hashes([leaf_hash(e) for e in feed])
    assert (got.size, got.last_time) == (N, T0 + N - 1)
    assert sum(steps) == N and len(steps) > 2  # the progress bar moves chunk by chunk


def _bundle(out: Path, entries: list[bytes]) -> Path:
    origin = f"canopy/parallel/{KEY.public.hex()[:16]}"
    root = root_from_leaf_hashes([leaf_hash(e) for e in entries])
    out.mkdir()
    hexid = KEY.public.hex()
    (out / f"{hexid}.entries").write_bytes(b"".join(entries))
    note = sign_note(Checkpoint(origin, len(entries), root).body(), origin, KEY)
    (out / f"{hexid}.checkpoint").write_text(note)
    (out / f"{hexid}.vkey").write_text(Verifier(origin, KEY.public).to_string() + "\n")
    return out


def test_cli_jobs_say_the_same_as_one_process(feed: list[bytes], tmp_path: Path) -> None:
    good = _bundle(tmp_path / "good", feed)
    ok = [run_canopy("log", "verify", str(good), "--jobs", j) for j in ("1", "2")]
    assert [r.code for r in ok] == [0, 0], ok
    assert ok[0].out == ok[1].out and f"{N} entries" in ok[0].out
    bad = _bundle(tmp_path / "bad", HOSTILE["entry dropped mid-chunk"](feed))
    one, two, every = (
        run_canopy("log", "verify", str(bad), *jobs)
        for jobs in (["--jobs", "1"], ["--jobs", "2"], [])
    )
    assert one.code == two.code == every.code == 2
    assert one.err == two.err == every.err
    assert "entry 600" in one.err and one.out == ""


@pytest.mark.parametrize("jobs", ["0", "-2", "lots", "1e3", "100000"])
def test_cli_refuses_a_bad_jobs_count(tmp_path: Path, jobs: str) -> None:
    r = run_canopy("log", "verify", str(tmp_path), "--jobs", jobs)
    assert r.code == 2
    assert "--jobs" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize("size", [2 * MIN_CHUNK + 1, N - 1, N - MIN_CHUNK // 2])
def test_a_partial_last_chunk_gives_the_same_tree(feed: list[bytes], size: int) -> None:
    """Chunks are whole Merkle subtrees folded by the parent; a feed that is not a multiple
    of the chunk size must still give the serial root."""
    part = feed[:size]
    got = verify_parallel(KEY.public, part, 2)
    assert got == verify_entries(KEY.public, part)
    assert got.root == root_from_leaf_hashes([leaf_hash(e) for e in part])


def test_without_fork_the_entries_travel_with_the_chunks(feed: list[bytes]) -> None:
    """Where processes cannot fork (not Linux), workers cannot inherit the entries: each
    chunk carries its own, and checking those chunks gives the serial tree and first error.
    (Run here in this process: a spawned pool would only add its start-up.)"""
    from hub.log.parallel import _check_chunk, _chunks

    chunks = _chunks(KEY.public, feed, 2, inherit=False)
    assert len(chunks) > 2 and all(c.entries is not None for c in chunks)
    results = [_check_chunk(c) for c in chunks]
    assert [r.error for r in results] == [None] * len(chunks)
    root = root_from_leaf_hashes([r.root for r in results])
    assert root == verify_entries(KEY.public, feed).root
    hostile = HOSTILE["bad signature, first of a chunk"](feed)
    errors = [_check_chunk(c).error for c in _chunks(KEY.public, hostile, 2, inherit=False)]
    assert next(e for e in errors if e is not None) == _single(hostile)
