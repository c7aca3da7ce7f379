"""INC on the radio: public category and place, details sealed at write time; bad input."""

from __future__ import annotations

from pathlib import Path

from privacy_helpers import files_containing
from steward_helpers import Desk, Radio, refusals

from hub.local import DataDir
from hub.privacy import keygen, policy_from, read_private, read_public, review_sealed, save_policy

DETAILS = "man asleep in the doorway of 23 Elm St, seemed unwell"


def _desk_with_review_key(tmp_path: Path) -> tuple[Desk, Path]:
    desk = Desk(tmp_path / "hub")
    keygen(tmp_path / "reviewer")
    pub = read_public(tmp_path / "reviewer" / "review.pub")
    save_policy(DataDir(tmp_path / "hub"), policy_from({}, pub))
    return desk, tmp_path / "reviewer" / "review.key"


def test_inc_seals_details_and_the_hub_keeps_no_plaintext(tmp_path: Path) -> None:
    desk, key = _desk_with_review_key(tmp_path)
    try:
        alice = Radio(0x11)
        desk.enrol(alice, "alice")
        reply = desk.say(alice, f"INC medical Elm St: {DETAILS}")
        assert reply.startswith("Incident recorded (#") and "details sealed" in reply
        report = desk.entries()[-1]
        f = report.named_fields()
        assert report.kind_name == "report" and report.author == "alice"
        assert (f["category"], f["place"]) == ("medical", "Elm St")
        assert isinstance(f["sid"], bytes) and isinstance(f["box"], bytes)
        assert "text" not in f and "details" not in f
        assert desk.say(alice, "INC noise").startswith("Incident recorded (#")
    finally:
        desk.close()
    # nothing under the data directory holds the details, in any form we wrote them
    assert files_containing(tmp_path / "hub", [DETAILS.encode(), b"asleep"]) == {}
    opened = list(review_sealed(tmp_path / "hub", read_private(key)))
    assert [r.details for r in opened] == [DETAILS, None]
    assert opened[1].problem == "no details were given"


def test_details_in_the_public_part_get_a_warning_and_no_entry(tmp_path: Path) -> None:
    desk, _ = _desk_with_review_key(tmp_path)
    try:
        alice = Radio(0x11)
        desk.enrol(alice, "alice")
        n = len(desk.entries())
        # the example, as a steward would first type it: no category, all public
        out = desk.send(alice.dm("INC man asleep in the doorway of 23 Elm St, seemed unwell"))
        reply = " ".join(out[0].parts)  # type: ignore[union-attr]
        assert reply.startswith("Not recorded: unknown category 'man'; one of: noise, damage")
        assert [r.reason for r in refusals(out)] == ["entry"]
        assert len(reply.encode()) <= 200
        # a house number or a long place is details in the public part
        reply = desk.say(alice, "INC medical 23 Elm St: unwell")
        assert reply == (
            "Not recorded: the place is public: a street or area, no house numbers; "
            "put details after ':'."
        )
        reply = desk.say(alice, "INC medical by the old church near the bus stop: unwell")
        assert "at most 4 words" in reply
        assert (
            desk.say(alice, "INC : unwell")
            == "INC needs a category, e.g. INC noise Elm St: details."
        )
        assert len(desk.entries()) == n  # nothing written
    finally:
        desk.close()


def test_without_a_review_key_details_are_refused_not_kept_in_clear(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "hub")
    try:
        alice = Radio(0x11)
        desk.enrol(alice, "alice")
        n = len(desk.entries())
        reply = desk.say(alice, f"INC medical Elm St: {DETAILS}")
        assert reply.startswith("Not recorded: this hub has no review key")
        assert len(desk.entries()) == n
        # the public part alone needs no review key
        assert desk.say(alice, "INC medical Elm St").startswith("Incident recorded")
    finally:
        desk.close()
    assert files_containing(tmp_path / "hub", [b"asleep"]) == {}


def test_a_sealed_note_policy_seals_log_text(tmp_path: Path) -> None:
    desk, key = _desk_with_review_key(tmp_path)
    dd = DataDir(tmp_path / "hub")
    pub = read_public(tmp_path / "reviewer" / "review.pub")
    save_policy(dd, policy_from({"note": "sealed"}, pub))
    try:
        alice = Radio(0x11)
        desk.enrol(alice, "alice")
        assert desk.say(alice, "LOG spoke with the family at number 9").startswith("Note recorded")
        assert desk.entries()[-1].kind_name == "sealed-note"
    finally:
        desk.close()
    assert files_containing(tmp_path / "hub", [b"family at number"]) == {}
    [r] = list(review_sealed(tmp_path / "hub", read_private(key)))
    assert r.details == "spoke with the family at number 9"
