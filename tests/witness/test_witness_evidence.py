"""Split-view evidence proves itself, sans-IO: every hub folding a ``split-view`` entry
(kind 33) checks its statements with the accused hub's key (and a third witness's key for
a cosignature) before it marks that hub. A peer's word alone (forged or broken notes, the
same root twice, notes of another key, its own cosignature against an honest hub's note)
marks no hub: it is counted and kept as "reported, not proven"."""

from __future__ import annotations

import pytest

from crypto.cosignature import cosign, signature_line
from crypto.cosignature import cosigner_key_id as cosig_id
from crypto.evidence import split_view_flaw
from crypto.keys import SigningKey
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.note import Checkpoint, sign_note
from hub.log import FieldValue, LoggedEntry, make_body
from hub.state import HubState
from hub.witness.heads import sign_head

T = 1_800_000_000
OWN = SigningKey(bytes([1]) * 32).public.hex()
ACCUSED = SigningKey(bytes([2]) * 32)  # the corner hub
REPORTER = SigningKey(bytes([3]) * 32)  # the peer that writes the entry
WITNESS = SigningKey(bytes([4]) * 32)  # a third hub that cosigned
MALLORY = SigningKey(bytes([5]) * 32)
ORIGIN = f"canopy/corner/{ACCUSED.public.hex()[:16]}"
W_NAME = f"canopy/witness-hub/{WITNESS.public.hex()[:16]}/witness"
R_NAME = f"canopy/reporter/{REPORTER.public.hex()[:16]}/witness"
ONE = root_from_leaf_hashes([leaf_hash(b"the story told to the bakery")] * 5)
TWO = root_from_leaf_hashes([leaf_hash(b"the story told to the laundry")] * 5)


def note(size: int, root: bytes, key: SigningKey = ACCUSED, origin: str = ORIGIN) -> str:
    return sign_note(Checkpoint(origin, size, root).body(), origin, key)


def cosigned(size: int, root: bytes, key: SigningKey = WITNESS, name: str = W_NAME) -> str:
    body = Checkpoint(ORIGIN, size, root).body()
    line = signature_line(name, cosig_id(name, key.public), T, cosign(body, name, key, T))
    return f"{body}\n{line}"


class Fold:
    """A HubState fed by hand: the own feed federates with the reporter, the accused hub
    and the witness hub; entries of their feeds are folded as sync would."""

    def __init__(self) -> None:
        self.state = HubState(OWN)
        self.sizes: dict[str, int] = {}
        for key, name, origin in (
            (REPORTER, "Laundry", ""),
            (ACCUSED, "Corner", ORIGIN),
            (WITNESS, "Kiosk", ""),
        ):
            self.add(OWN, "peer", {"feed": key.public.raw, "name": name, "origin": origin})

    def add(self, feed: str, kind: str, fields: dict[str, FieldValue]) -> None:
        body = make_body(kind, fields, time=T)
        index = self.sizes.get(feed, 0)
        self.sizes[feed] = index + 1
        self.state.apply(LoggedEntry(feed, index, b"", body))

    def witness_key(self, key: SigningKey, name: str) -> None:
        self.add(key.public.hex(), "witness", {"name": name, "key": key.public.raw})

    def report(self, a: str | bytes, b: str | bytes, by: SigningKey | None = None) -> None:
        fields: dict[str, FieldValue] = {
            "feed": ACCUSED.public.raw,
            "a": a.encode() if isinstance(a, str) else a,
            "b": b.encode() if isinstance(b, str) else b,
            "by": by.public.raw if by is not None else None,
        }
        self.add(REPORTER.public.hex(), "split-view", fields)


def test_two_notes_the_hub_signed_at_one_size_with_different_roots_mark_it() -> None:
    f = Fold()
    f.report(note(5, ONE), note(5, TWO))
    sv = f.state.split_views[ACCUSED.public.hex()]
    assert (sv.what, sv.by) == ("split-view", REPORTER.public.hex())
    assert f.state.unproven_count == 0 and not f.state.unproven


def test_a_third_witness_cosigning_another_root_than_the_hubs_note_marks_it() -> None:
    """The witness's key may come later in the fold than the evidence that names it."""
    f = Fold()
    f.report(note(5, ONE), cosigned(5, TWO), by=WITNESS)
    assert ACCUSED.public.hex() not in f.state.split_views  # its key is not known yet
    assert f.state.unproven[ACCUSED.public.hex()].what == "witness-unknown"
    f.witness_key(WITNESS, W_NAME)
    assert f.state.split_views[ACCUSED.public.hex()].what == "split-view"
    assert f.state.unproven_count == 0 and not f.state.unproven


def test_a_signed_head_is_a_statement_of_the_hub_too() -> None:
    f = Fold()
    head = sign_head(ACCUSED, ORIGIN, 5, ONE, T).note()
    f.report(head, note(5, TWO))
    assert ACCUSED.public.hex() in f.state.split_views


def _forged_b() -> str:
    good = note(5, TWO)
    i = good.rindex(" ") + 5
    return good[:i] + ("A" if good[i] != "A" else "B") + good[i + 1 :]


HOSTILE = {
    "words, not notes": (b"one note", b"another", None, "a-unsigned"),
    "not UTF-8": (b"\xff\xfe", note(5, TWO), None, "not-text"),
    "a bad signature": (note(5, ONE), _forged_b(), None, "b-unsigned"),
    "the same root twice": (note(5, ONE), note(5, ONE), None, "same-root"),
    "notes from another key": (note(5, ONE, MALLORY), note(5, TWO, MALLORY), None, "a-unsigned"),
    "one note from another key": (note(5, ONE), note(5, TWO, MALLORY), None, "b-unsigned"),
    "another origin": (
        note(5, ONE, origin="canopy/x"),
        note(5, TWO, origin="canopy/x"),
        None,
        "origin",
    ),
    "a root computed by the reporter": (
        Checkpoint(ORIGIN, 5, ONE).body(),
        note(5, TWO),
        None,
        "a-unsigned",
    ),
    "two true notes at two sizes": (note(3, ONE), note(5, TWO), None, "size"),
    "a cosignature in place of the hub's note": (
        cosigned(5, ONE),
        note(5, TWO),
        None,
        "a-unsigned",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_evidence_that_does_not_prove_itself_marks_no_hub(case: str) -> None:
    a, b, by, why = HOSTILE[case]
    f = Fold()
    f.report(a, b, by)
    assert not f.state.split_views, case
    u = f.state.unproven[ACCUSED.public.hex()]
    assert (u.what, u.by) == (why, REPORTER.public.hex())
    assert f.state.unproven_count == 1


def test_a_well_formed_accusation_of_an_honest_hub_marks_no_hub() -> None:
    """The reporter cosigns a root the honest hub never had, beside the hub's true note:
    its cosignature is only its own word. So is a witness's line that does not verify,
    or one by a key other than the witness's."""
    f = Fold()
    f.witness_key(REPORTER, R_NAME)
    f.witness_key(WITNESS, W_NAME)
    f.report(note(5, ONE), cosigned(5, TWO, REPORTER, R_NAME), by=REPORTER)
    f.report(note(5, ONE), cosigned(5, TWO, MALLORY, W_NAME), by=WITNESS)
    f.report(note(5, ONE), cosigned(5, ONE), by=WITNESS)  # the witness agrees
    f.report(note(5, ONE), cosigned(5, TWO), by=ACCUSED)  # the accused "witnessing" itself
    assert not f.state.split_views
    assert f.state.unproven[ACCUSED.public.hex()].what == "witness-self"
    assert f.state.unproven_count == 4


def test_the_check_names_what_is_wrong() -> None:
    k = ACCUSED.public
    assert split_view_flaw(k, note(5, ONE), note(5, TWO)) == ""
    assert split_view_flaw(k, note(5, ONE), note(5, TWO), origin="canopy/other") == "origin"
    assert split_view_flaw(k, note(5, ONE), "garbage") == "b-unsigned"
    assert split_view_flaw(k, note(5, ONE), note(5, TWO)[:-1]) == "b-unsigned"
