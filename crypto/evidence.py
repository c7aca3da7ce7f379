"""Split-view evidence that proves itself: two statements about one log that cannot both be true.

A reader holding the accused hub's key (and, for a cosignature, the witness's key) checks a
``split-view`` entry's statements without trusting whoever wrote it:

- ``a`` is a statement **signed by the hub's key**: a checkpoint note (C2SP signed note
  under the hub's checkpoint origin) or a signed head (:mod:`crypto.head`), which gives an
  origin, a size and a root;
- ``b`` is either another statement signed by the hub's key, or (when a witness is named) a
  checkpoint body with that witness's valid ``cosignature/v1`` line;
- both name the same origin (the hub's, when the reader knows it) and the same size, and
  their roots differ.

Anything else proves nothing: :func:`split_view_flaw` says why.

A ``fork`` entry proves itself the same way: two different entries that both verify under
the hub's key at one position after one previous-entry hash (the entry carries that hash,
``prev``): the key signed two histories. :func:`fork_flaw` says why one does not.
"""

from __future__ import annotations

from crypto.cosignature import Cosigner, verify_cosignatures
from crypto.entrysig import FeedVerifier
from crypto.errors import CryptoError
from crypto.head import PREFIX as HEAD_PREFIX
from crypto.head import open_head_note
from crypto.keys import PublicKey
from crypto.note import Checkpoint, Verifier, open_note, parse_note


def signed_statement(note: str, key: PublicKey) -> Checkpoint:
    """The checkpoint a note signed by ``key`` states (a checkpoint note or a signed head);
    raises :class:`crypto.errors.CryptoError` when it is not one."""
    text = parse_note(note).text
    if text.startswith(HEAD_PREFIX + "\n"):
        h = open_head_note(note, key)
        return Checkpoint(h.origin, h.size, h.root)
    cp = Checkpoint.parse(text)
    open_note(note, [Verifier(cp.origin, key)])
    return cp


def cosigned_statement(note: str, witness: Cosigner) -> Checkpoint:
    """The checkpoint a note carries ``witness``'s valid cosignature of; raises
    :class:`crypto.errors.CryptoError` otherwise."""
    cp = Checkpoint.parse(parse_note(note).text)
    if not verify_cosignatures(note, [witness]):
        raise CryptoError("no cosignature by the named witness")
    return cp


def split_view_flaw(
    key: PublicKey, a: str, b: str, witness: Cosigner | None = None, origin: str = ""
) -> str:
    """``""`` when ``a`` and ``b`` prove the hub of ``key`` showed two histories (see the
    module docstring), else why not: ``a-unsigned``, ``b-unsigned``, ``b-not-cosigned``,
    ``origin``, ``size`` or ``same-root``."""
    try:
        one = signed_statement(a, key)
    except (CryptoError, ValueError):
        return "a-unsigned"
    try:
        other = signed_statement(b, key) if witness is None else cosigned_statement(b, witness)
    except (CryptoError, ValueError):
        return "b-unsigned" if witness is None else "b-not-cosigned"
    if one.origin != other.origin or (origin and one.origin != origin):
        return "origin"
    if one.size != other.size:
        return "size"
    if one.root == other.root:
        return "same-root"
    return ""


def fork_flaw(key: PublicKey, index: int, prev: bytes, a: bytes, b: bytes) -> str:
    """``""`` when entries ``a`` and ``b`` differ and both verify under ``key`` as entry
    ``index`` after an entry hashing to ``prev``, else why not: ``same``, ``a-unsigned``
    or ``b-unsigned``."""
    if a == b:
        return "same"
    verifier = FeedVerifier(key)
    for name, raw in (("a", a), ("b", b)):
        try:
            verifier.verify(index, prev, raw)
        except CryptoError:
            return f"{name}-unsigned"
    return ""
