"""The saved clock never goes backwards across reboots and survives hostile files."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest

from hub.daemon import CLOCK_FILE, ClockError, SavedClock, chrony_sample
from hub.log import TimeSource


def test_time_source_numbers_match_the_entry_format() -> None:
    assert [(s.name, int(s)) for s in TimeSource] == [
        ("UNSYNCED", 0),
        ("GPS", 1),
        ("MESH", 2),
        ("NTP", 3),
        ("MANUAL", 4),
    ]


def test_saved_time_survives_a_reboot_with_a_clock_stuck_in_the_past(tmp_path: Path) -> None:
    before = SavedClock(tmp_path)
    assert before.load() == 0.0
    assert before.now(1_760_000_000.0, TimeSource.GPS).source is TimeSource.GPS
    assert before.save(1_760_000_100.0) == 1_760_000_100.0

    after = SavedClock(tmp_path)  # power cut; the Pi boots thinking it is 2022
    after.load()
    t = after.now(1_650_000_000.0)
    assert t.seconds == 1_760_000_100.0
    assert t.held_back and t.source is TimeSource.UNSYNCED
    later = after.now(1_760_000_200.0, TimeSource.MESH)
    assert later.seconds == 1_760_000_200.0 and not later.held_back
    assert later.source is TimeSource.MESH


def test_now_never_goes_backwards_within_a_run(tmp_path: Path) -> None:
    clock = SavedClock(tmp_path)
    assert clock.now(100.0).seconds == 100.0
    assert clock.now(50.0).seconds == 100.0
    clock.observe(500.0)
    assert clock.now(200.0).seconds == 500.0
    # saving with a system clock behind the floor keeps the floor
    assert clock.save(10.0) == 500.0
    assert (tmp_path / CLOCK_FILE).read_text().strip() == "500.000000"


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    clock = SavedClock(tmp_path)
    for t in (1.0, 2.0, 3.0):
        clock.save(t)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CLOCK_FILE]


@pytest.mark.parametrize("content", [b"yesterday", b"nan", b"inf", b"-5", b"1e300", b"\xff\xfe"])
def test_hostile_saved_file_is_a_typed_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / CLOCK_FILE).write_bytes(content)
    with pytest.raises(ClockError):
        SavedClock(tmp_path).load()


def test_unwritable_directory_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ClockError):
        SavedClock(tmp_path / "missing").save(1.0)


def test_chrony_sample_reaches_a_sock_refclock(tmp_path: Path) -> None:
    path = str(tmp_path / "chrony.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(5)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
            client.sendto(chrony_sample(1000.25, 999.5), path)
        data = server.recv(128)
    finally:
        server.close()
    sec, usec, offset, pulse, leap, _pad, magic = struct.unpack("@lldiiii", data)
    assert (sec, usec, pulse, leap, magic) == (999, 500000, 0, 0, 0x534F434B)
    assert offset == pytest.approx(0.75)
    with pytest.raises(ValueError):
        chrony_sample(1.0, 1.0, leap=3)


def test_a_clock_that_went_back_is_held_and_counts_on_at_the_monotonic_rate(
    tmp_path: Path,
) -> None:
    mono = [1000.0]
    clock = SavedClock(tmp_path, monotonic=lambda: mono[0])
    assert clock.now(5000.0).seconds == 5000.0
    back = clock.now(5000.0 - 3 * 3600)  # the system clock stepped 3 h back
    assert back.held_back and back.seconds == 5000.0 and back.source.name == "UNSYNCED"
    mono[0] += 600  # ten minutes pass: reminders must not wait 3 h for the clock
    assert clock.now(5600.0 - 3 * 3600).seconds == 5600.0
    assert clock.now(6000.0).seconds == 6000.0  # caught up (or corrected): the clock again


def test_a_step_of_the_system_clock_is_told_with_its_size_and_direction() -> None:
    from hub.daemon.clock import JUMP, JumpWatch, describe_jump

    mono = [0.0]
    watch = JumpWatch(lambda: mono[0])
    assert watch.check(10_000.0) == 0.0  # the first reading has nothing to compare with
    mono[0] += 5
    assert watch.check(10_006.0) == 0.0  # drift, not a step
    mono[0] += 5
    assert watch.check(10_011.0 - 3 * 3600) == -3 * 3600
    assert watch.check(10_011.0 + 3 * 3600) == 6 * 3600
    assert watch.check(10_011.0 + 3 * 3600 + JUMP / 2) == 0.0
    assert "went back 3 h 0 min" in describe_jump(-3 * 3600 + 1)
    assert "jumped forward 6 h 0 min" in describe_jump(6 * 3600)
