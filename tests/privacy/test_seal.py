"""crypto.seal: details sealed under a per-entry key, that key sealed to the review key."""

from __future__ import annotations

import pytest

from crypto.errors import MalformedData
from crypto.seal import UnsealError, new_sid, review_keypair, seal, unseal


def test_sealed_details_open_only_with_the_review_key_and_their_own_entry_key() -> None:
    pub, priv = review_keypair()
    sid = new_sid()
    box, sealed_key = seal(pub, sid, b"man asleep in the doorway of 23 Elm St")
    assert b"asleep" not in box and b"asleep" not in sealed_key
    assert len(sealed_key) == 80
    assert unseal(priv, sid, box, sealed_key) == b"man asleep in the doorway of 23 Elm St"

    _, other = review_keypair()
    with pytest.raises(UnsealError, match="does not open with this review key"):
        unseal(other, sid, box, sealed_key)
    damaged = box[:-1] + bytes([box[-1] ^ 1])
    with pytest.raises(UnsealError, match="damaged"):
        unseal(priv, sid, damaged, sealed_key)
    with pytest.raises(UnsealError, match="another entry"):
        unseal(priv, new_sid(), box, sealed_key)
    box2, key2 = seal(pub, new_sid(), b"other")
    with pytest.raises(UnsealError, match="damaged"):  # a key swapped in from another entry
        unseal(priv, sid, box, key2)
    with pytest.raises(UnsealError, match="32 bytes"):
        unseal(priv[:31], sid, box, sealed_key)
    with pytest.raises(MalformedData):
        seal(pub[:31], sid, b"x")
    with pytest.raises(MalformedData):
        seal(pub, sid[:15], b"x")
    assert box2 != box
