"""`canopy review`, `canopy report`, `canopy retention`, `canopy log show`: the commands
and their bad input (missing or wrong review key, a key file others can read, an entry
kind with no policy, a sealed detail that does not open)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from support import run_canopy

from hub.local import DataDir
from hub.privacy import KeyStore, PrivacyError, policy_from

DETAILS = "man asleep in the doorway of 23 Elm St, seemed unwell"


def test_review_keygen_set_key_report_show(tmp_path: Path) -> None:
    data, keys = tmp_path / "hub", tmp_path / "reviewer"
    assert run_canopy("init", "--name", "Corner Shop", data=data).code == 0
    r = run_canopy("review", "keygen", "--out", str(keys))
    assert r.code == 0, r.err
    assert stat.S_IMODE(os.stat(keys / "review.key").st_mode) == 0o600
    again = run_canopy("review", "keygen", "--out", str(keys))
    assert again.code == 1 and "never overwritten" in again.err

    # details before a review key is set: refused, nothing kept
    r = run_canopy("report", "medical", "--place", "Elm St", "--details", DETAILS, data=data)
    assert r.code == 1 and "no review key" in r.err
    # the private half is refused as a hub's key
    r = run_canopy("review", "set-key", str(keys / "review.key"), data=data)
    assert r.code == 1 and "private half" in r.err
    r = run_canopy(
        "review", "set-key", str(keys / "review.pub"), "--privacy-delay", "600", data=data
    )
    assert r.code == 0, r.err
    assert json.loads(r.out.splitlines()[1])["delay"] == 600

    r = run_canopy("report", "medical", "--place", "Elm St", "--details", DETAILS, data=data)
    assert r.code == 0 and "details sealed" in r.out, r.err
    r = run_canopy("report", "medical", "--place", "23 Elm St", data=data)
    assert r.code == 1 and "no house numbers" in r.err
    r = run_canopy("report", "gossip", data=data)
    assert r.code == 1 and "unknown category 'gossip'; one of: noise" in r.err

    shown = run_canopy("log", "show", "--json", data=data)
    assert shown.code == 0 and DETAILS not in shown.out
    [entry] = [json.loads(line) for line in shown.out.splitlines()]
    assert entry["category"] == "medical" and "box" not in entry and "sid" not in entry
    assert entry["withheld"] == {"fields": ["sid", "box"], "why": "sealed"}

    r = run_canopy("review", "show", "--key", str(keys / "review.key"), data=data)
    assert r.code == 0, r.err
    assert r.out.strip().endswith(f"report [medical @ Elm St]: {DETAILS}")

    # a key others can read is refused; a wrong key opens nothing; a missing one says so
    os.chmod(keys / "review.key", 0o644)
    r = run_canopy("review", "show", "--key", str(keys / "review.key"), data=data)
    assert r.code == 1 and "readable by others" in r.err
    os.chmod(keys / "review.key", 0o600)
    assert run_canopy("review", "keygen", "--out", str(tmp_path / "other")).code == 0
    r = run_canopy("review", "show", "--key", str(tmp_path / "other" / "review.key"), data=data)
    assert r.code == 0 and "does not open with this review key" in r.out
    assert "1 sealed entries, 0 opened" in r.err
    r = run_canopy("review", "show", "--key", str(tmp_path / "nope.key"), data=data)
    assert r.code == 1 and "no review private key" in r.err
    (tmp_path / "bad.key").write_text("zz\n")
    os.chmod(tmp_path / "bad.key", 0o600)
    r = run_canopy("review", "show", "--key", str(tmp_path / "bad.key"), data=data)
    assert r.code == 1 and "64 hex digits" in r.err

    # a damaged key file: that entry says so, nothing else is lost
    [path] = KeyStore(DataDir(data)).dir.glob("*.keys")
    record = path.read_bytes()
    path.write_bytes(record[:16] + bytes(80))  # the same id, a key that is no sealed key
    r = run_canopy("review", "show", "--key", str(keys / "review.key"), data=data)
    assert r.code == 0 and "(does not open: the entry key does not open" in r.out

    # retention from the command line (nothing old yet)
    r = run_canopy("retention", "run", data=data)
    assert r.code == 0 and "destroyed the keys of 0 sealed details" in r.out, r.err


def test_a_kind_with_no_policy_and_bad_policy_values_are_refused() -> None:
    try:
        policy_from({"alert": "sealed"})
    except PrivacyError as e:
        assert "no privacy policy for 'alert'" in str(e)
        assert "note, checkin, checkout, incident" in str(e)
    else:
        raise AssertionError("a policy for a kind without one was accepted")
    for bad, why in (
        ({"checkin": "sealed"}, "privacy.checkin"),
        ({"delay": -1}, "privacy.delay"),
        ({"categories": ["no spaces"]}, "privacy.categories"),
        ({"categories": []}, "at least one category"),
    ):
        try:
            policy_from(bad)
        except PrivacyError as e:
            assert why in str(e), (bad, str(e))
        else:
            raise AssertionError(f"{bad} was accepted")


def test_a_damaged_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=data).code == 0
    (data / "privacy.json").write_text('{"note": "shout"}')
    r = run_canopy("report", "noise", data=data)
    assert r.code == 1 and "is not a privacy policy" in r.err and "privacy.note" in r.err
