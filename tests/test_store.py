"""The feed store: durable appends, torn tails cut, damage refused, a full disk, TinyDB state."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from crypto.merkle import root_from_leaf_hashes
from hub.errors import StoreCorrupt, StoreError, StoreFull
from hub.local import AtomicJSONStorage, open_db
from hub.log import HEADER, FeedFile, FeedReader


def _entry(i: int, size: int = 100) -> bytes:
    n = size - 69
    return b"\x82" + bytes([0x58, n]) + bytes([i % 256]) * n + b"\x58\x40" + bytes(64)


def _feed(path: Path, n: int) -> FeedFile:
    f = FeedFile(path)
    f.open()
    for i in range(n):
        assert f.append(_entry(i)) == i
    return f


def test_append_reopen_and_reader(tmp_path: Path) -> None:
    p = tmp_path / "f.log"
    f = _feed(p, 10)
    reader = FeedReader(p)
    assert reader.refresh() == 10
    assert reader.read(3) == _entry(3)
    f.append(_entry(10))
    assert reader.refresh() == 1 and len(reader) == 11
    root = f.compact.root()
    f.close()
    g = FeedFile(p)
    g.open()
    assert len(g) == 11 and g.compact.root() == root == root_from_leaf_hashes(g.leaves)
    assert g.torn is None


@pytest.mark.parametrize("cut", [1, 4, 7, 8, 50, 107])
def test_torn_tail_is_cut_and_saved(tmp_path: Path, cut: int) -> None:
    p = tmp_path / "f.log"
    _feed(p, 5).close()
    good = p.read_bytes()
    record = HEADER.pack(100, 0) + _entry(9)
    p.write_bytes(good + record[:cut])
    f = FeedFile(p)
    f.open()
    assert len(f) == 5
    assert p.read_bytes() == good
    assert f.torn is not None and f.torn.read_bytes() == record[:cut]
    assert f.append(_entry(5)) == 5


def test_zero_filled_tail_after_power_cut(tmp_path: Path) -> None:
    p = tmp_path / "f.log"
    _feed(p, 3).close()
    good = p.read_bytes()
    p.write_bytes(good + bytes(4096))
    f = FeedFile(p)
    f.open()
    assert len(f) == 3 and p.read_bytes() == good


def test_damage_in_the_middle_is_refused_not_cut(tmp_path: Path) -> None:
    p = tmp_path / "f.log"
    _feed(p, 6).close()
    data = bytearray(p.read_bytes())
    data[2 * (HEADER.size + 100) + 20] ^= 0xFF  # inside record 2
    p.write_bytes(bytes(data))
    f = FeedFile(p)
    with pytest.raises(StoreCorrupt, match="record 2"):
        f.open()
    assert p.read_bytes() == bytes(data)  # nothing rewritten


def test_oversize_entry_refused(tmp_path: Path) -> None:
    f = _feed(tmp_path / "f.log", 1)
    with pytest.raises(StoreError):
        f.append(b"\x82" + bytes(80_000))
    assert len(f) == 1


def test_full_disk_rolls_back_and_keeps_acknowledged(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=False)
    assert r.returncode == 0, "a tmpfs mount is needed (run as root)"
    try:
        p = mnt / "f.log"
        f = FeedFile(p)
        f.open()
        acked = 0
        with pytest.raises(StoreFull, match="disk full"):
            for i in range(10_000):
                f.append(_entry(i, 200))
                acked += 1
        assert acked > 100
        size = os.path.getsize(p)
        assert size == acked * (HEADER.size + 200)  # partial record rolled back
        f.close()
        g = FeedFile(p)
        g.open()
        assert len(g) == acked and g.torn is None
        assert g.read(acked - 1) == _entry(acked - 1, 200)
        g.close()
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_atomic_storage_survives_and_reports_damage(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    db = open_db(path)
    db.table("settings").insert({"a": 1})
    db.close()
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".state.json.")]
    assert leftovers == []
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert open_db(path).table("settings").all() == [{"a": 1}]
    path.write_text("{half a docu")
    with pytest.raises(StoreError, match="not valid JSON"):
        AtomicJSONStorage(path).read()
