"""The published log format: an independent verifier checks the vectors, and Canopy agrees.

The first half of this file is a verifier written from ``docs/log-format.md`` alone. It
uses ``hashlib``, ``zlib``, ``nacl.signing.VerifyKey`` and ``cbor2.loads`` and imports
nothing from ``crypto`` or ``hub``. The second half checks that Canopy's own code makes
and judges the same bytes, and that ``make_vectors.py`` regenerates the files exactly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import cbor2
import nacl.exceptions
import nacl.signing
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VECTORS = HERE / "vectors"
DOC = ROOT / "docs" / "log-format.md"
V: dict[str, Any] = json.loads((VECTORS / "entries.json").read_text(encoding="utf-8"))

# RFC 8032 §7.1 TEST 1, copied from the RFC.
RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

# ---------------------------------------------------------------------------------------
# The independent verifier (from docs/log-format.md only)
# ---------------------------------------------------------------------------------------

DOMAIN = b"canopy-entry-v1\x00"
EM_DASH_PREFIX = "\u2014 "


class Invalid(Exception):
    def __init__(self, reason: str, index: int | None = None, detail: str = "") -> None:
        super().__init__(f"{reason} at {index}: {detail}")
        self.reason = reason
        self.index = index


def leaf_hash(d: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + d).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes, recursively, as written in RFC 9162 §2.1.1."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def split_entry(e: bytes) -> tuple[bytes, bytes]:
    """Section 2 framing, checked byte by byte."""
    if len(e) < 2 or e[0] != 0x82:
        raise Invalid("framing", detail="not 0x82")
    b = e[1]
    if 0x40 <= b <= 0x57:
        n, h = b - 0x40, 1
    elif b == 0x58 and len(e) >= 3:
        n, h = e[2], 2
        if n < 24:
            raise Invalid("framing", detail="non-minimal 1-byte length")
    elif b == 0x59 and len(e) >= 4:
        n, h = int.from_bytes(e[2:4], "big"), 3
        if n < 256:
            raise Invalid("framing", detail="non-minimal 2-byte length")
    else:
        raise Invalid("framing", detail=f"bad body header {b:#x}")
    if len(e) != 1 + h + n + 66:
        raise Invalid("framing", detail="wrong total length")
    if e[1 + h + n : 1 + h + n + 2] != b"\x58\x40":
        raise Invalid("framing", detail="signature header is not 0x58 0x40")
    return e[1 + h : 1 + h + n], e[-64:]


def entry_size(data: bytes, pos: int) -> int:
    """Section 8: the length of the entry starting at ``pos`` in a CBOR sequence."""
    b = data[pos + 1]
    if 0x40 <= b <= 0x57:
        return 1 + 1 + (b - 0x40) + 66
    if b == 0x58:
        return 1 + 2 + data[pos + 2] + 66
    if b == 0x59:
        return 1 + 3 + int.from_bytes(data[pos + 2 : pos + 4], "big") + 66
    raise Invalid("framing", detail="bad body header in sequence")


def _head(major: int, arg: int) -> bytes:
    if arg < 24:
        return bytes([major << 5 | arg])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * size):
            return bytes([major << 5 | extra]) + arg.to_bytes(size, "big")
    raise Invalid("body", detail="integer out of range")


def encode(value: object, top: bool = False) -> bytes:
    """Deterministic encoder for exactly the allowed CBOR of section 3."""
    if type(value) is int:
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if type(value) is str:
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if type(value) is bytes:
        return _head(2, len(value)) + value
    if value is None and not top:
        return b"\xf6"
    if type(value) is list and top:
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    raise Invalid("body", detail=f"item not allowed: {type(value).__name__}")


def check_body(body: bytes) -> list[Any]:
    try:
        items = cbor2.loads(body)
    except Exception as e:  # any decoder failure means the body is not valid CBOR
        raise Invalid("body", detail=f"not CBOR: {e}") from e
    if type(items) is not list or len(items) < 5:
        raise Invalid("body", detail="not an array of at least 5 items")
    if encode(items, top=True) != body:
        raise Invalid("body", detail="not deterministically encoded")
    version, kind, time, source, author = items[:5]
    if type(version) is not int or version != 1:
        raise Invalid("body", detail="version is not 1")
    if type(kind) is not int or kind < 0 or type(time) is not int or time < 0:
        raise Invalid("body", detail="kind/time not unsigned")
    if type(source) is not int or not 0 <= source <= 4:
        raise Invalid("body", detail="bad time source")
    if type(author) is not str:
        raise Invalid("body", detail="author is not text")
    return items


def signed_message(feed: bytes, seq: int, prev: bytes, body: bytes) -> bytes:
    return DOMAIN + feed + struct.pack(">Q", seq) + prev + body


def verify_feed(feed: bytes, entries: list[bytes]) -> list[bytes]:
    """Section 10, steps 1-2; returns the leaf hashes."""
    vk = nacl.signing.VerifyKey(feed)
    prev, last_time, leaves = bytes(32), 0, []
    for seq, e in enumerate(entries):
        try:
            body, sig = split_entry(e)
            try:
                vk.verify(signed_message(feed, seq, prev, body), sig)
            except nacl.exceptions.BadSignatureError as err:
                raise Invalid("signature") from err
            items = check_body(body)
            if items[2] < last_time:
                raise Invalid("time")
        except Invalid as err:
            raise Invalid(err.reason, seq, str(err)) from err
        last_time = items[2]
        prev = leaf_hash(e)
        leaves.append(prev)
    return leaves


def split_sequence(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        n = entry_size(data, pos)
        out.append(data[pos : pos + n])
        pos += n
    return out


def parse_vkey(vkey: str) -> tuple[str, bytes]:
    name, kid_hex, blob = vkey.strip().split("+", 2)  # names never contain "+"
    raw = base64.b64decode(blob, validate=True)
    assert len(raw) == 33 and raw[0] == 0x01, "vkey is not an Ed25519 key"
    key = raw[1:]
    kid = hashlib.sha256(name.encode() + b"\n\x01" + key).digest()[:4]
    assert kid.hex() == kid_hex, "vkey key ID does not match name and key"
    return name, key


def open_checkpoint(note: str, vkey: str, size: int, root: bytes) -> tuple[str, int, bytes]:
    """Section 10 step 4; raises Invalid with signature / unknown-key / mismatch."""
    name, key = parse_vkey(vkey)
    kid = hashlib.sha256(name.encode() + b"\n\x01" + key).digest()[:4]
    cut = note.rindex("\n\n")
    text, block = note[: cut + 1], note[cut + 2 :]
    assert block.endswith("\n")
    known = 0
    for line in block[:-1].split("\n"):
        assert line.startswith(EM_DASH_PREFIX), line
        sig_name, blob = line[len(EM_DASH_PREFIX) :].split(" ")
        raw = base64.b64decode(blob, validate=True)
        if sig_name != name or raw[:4] != kid:
            continue
        try:
            nacl.signing.VerifyKey(key).verify(text.encode("utf-8"), raw[4:])
        except nacl.exceptions.BadSignatureError as e:
            raise Invalid("signature") from e
        known += 1
    if not known:
        raise Invalid("unknown-key")
    lines = text.split("\n")
    origin, size_s, root_b64 = lines[0], lines[1], lines[2]
    assert re.fullmatch(r"0|[1-9][0-9]*", size_s)
    cp_root = base64.b64decode(root_b64, validate=True)
    if origin != name or int(size_s) != size or cp_root != root:
        raise Invalid("mismatch")
    return origin, int(size_s), cp_root


def scan_feed_file(data: bytes) -> tuple[list[bytes], int]:
    """Section 9: the records read before the first bad one, and where they end."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        length, crc = struct.unpack_from(">II", data, pos)
        end = pos + 8 + length
        if not 0 < length <= 70_000 or end > len(data) or zlib.crc32(data[pos + 8 : end]) != crc:
            break
        out.append(data[pos + 8 : end])
        pos = end
    return out, pos


def valid_record_after(data: bytes, start: int) -> bool:
    for pos in range(start + 1, len(data) - 8):
        length, crc = struct.unpack_from(">II", data, pos)
        chunk = data[pos + 8 : pos + 8 + length]
        plausible = 0 < length <= 70_000 and len(chunk) == length and chunk[:1] == b"\x82"
        if plausible and zlib.crc32(chunk) == crc:
            return True
    return False


FEED_KEY = bytes.fromhex(V["feed_key_hex"])
ENTRIES = [bytes.fromhex(e["entry_hex"]) for e in V["entries"]]
LEAVES = [leaf_hash(e) for e in ENTRIES]
N = len(ENTRIES)


def _field(v: Any) -> Any:
    return bytes.fromhex(v["bytes"]) if isinstance(v, dict) else v


# --- the independent verifier on the vectors ----------------------------------------------


def test_feed_key_is_the_rfc8032_test1_key() -> None:
    assert V["seed_hex"] == RFC8032_SECRET
    assert bytes(nacl.signing.SigningKey(bytes.fromhex(RFC8032_SECRET)).verify_key).hex() == (
        RFC8032_PUBLIC
    )
    assert V["feed_key_hex"] == RFC8032_PUBLIC
    assert bytes.fromhex(V["domain_hex"]) == DOMAIN


def test_every_entry_verifies_field_by_field() -> None:
    prev = bytes(32)
    headers = set()
    for seq, item in enumerate(V["entries"]):
        entry = bytes.fromhex(item["entry_hex"])
        body, sig = split_entry(entry)
        headers.add(entry[1])
        assert body.hex() == item["body_hex"]
        assert sig.hex() == item["signature_hex"]
        assert item["prev_hash_hex"] == prev.hex()
        msg = signed_message(FEED_KEY, seq, prev, body)
        assert msg.hex() == item["signed_message_hex"]
        assert len(msg) == 88 + len(body)
        nacl.signing.VerifyKey(FEED_KEY).verify(msg, sig)
        items = check_body(body)
        assert items[:5] == [1, item["kind"], item["time"], item["time_source"], item["author"]]
        assert items[5:] == [_field(v) for v in item["fields"]]
        assert leaf_hash(entry).hex() == item["leaf_hash_hex"]
        prev = leaf_hash(entry)
    # The vectors exercise all three body-header forms and every time source.
    assert any(h < 0x58 for h in headers) and {0x58, 0x59} <= headers
    assert {e["time_source"] for e in V["entries"]} == {0, 1, 2, 3, 4}
    assert None in V["entries"][3]["fields"]
    assert any(
        ord(c) > 0xFFFF for e in V["entries"] for f in e["fields"] if isinstance(f, str) for c in f
    )


def test_whole_feed_verifies_and_roots_match() -> None:
    assert verify_feed(FEED_KEY, ENTRIES) == LEAVES
    assert len(V["roots_hex"]) == N + 1
    for k in range(N + 1):
        assert mth(LEAVES[:k]).hex() == V["roots_hex"][k], f"root of size {k}"
    assert V["roots_hex"][0] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_inclusion_and_consistency_proofs_match_rfc9162() -> None:
    assert V["inclusion"] and V["consistency"]
    for p in V["inclusion"]:
        want = path(p["index"], LEAVES[: p["size"]])
        assert [h.hex() for h in want] == p["path_hex"], p
    for p in V["consistency"]:
        m, n = p["first"], p["second"]
        want = [] if m == n else subproof(m, LEAVES[:n], True)
        assert [h.hex() for h in want] == p["path_hex"], p


def test_checkpoint_note_and_verifier_key() -> None:
    cp = V["checkpoint"]
    origin = V["origin"]
    assert re.fullmatch(r"canopy/[a-z0-9]+(-[a-z0-9]+)*/[0-9a-f]{16}", origin)
    assert origin == f"canopy/corner-shop/{V['feed_key_hex'][:16]}"
    name, key = parse_vkey(cp["verifier_key"])
    assert (name, key) == (origin, FEED_KEY)
    assert cp["verifier_key"].split("+")[1] == cp["key_id_hex"]
    root = bytes.fromhex(V["roots_hex"][N])
    assert cp["body"] == f"{origin}\n{N}\n{base64.b64encode(root).decode()}\n"
    assert cp["note"].startswith(cp["body"] + "\n\u2014 " + origin + " ")
    assert open_checkpoint(cp["note"], cp["verifier_key"], N, root) == (origin, N, root)


def test_bundle_verifies_independently() -> None:
    files = sorted((VECTORS / "bundle").iterdir())
    feed_hex = V["feed_key_hex"]
    assert [f.name for f in files] == [
        f"{feed_hex}.checkpoint",
        f"{feed_hex}.entries",
        f"{feed_hex}.vkey",
    ]
    entries = split_sequence((VECTORS / "bundle" / f"{feed_hex}.entries").read_bytes())
    assert entries == ENTRIES
    vkey = (VECTORS / "bundle" / f"{feed_hex}.vkey").read_text(encoding="utf-8")
    assert vkey.endswith("\n")
    assert parse_vkey(vkey)[1] == bytes.fromhex(feed_hex)
    leaves = verify_feed(bytes.fromhex(feed_hex), entries)
    note = (VECTORS / "bundle" / f"{feed_hex}.checkpoint").read_text(encoding="utf-8")
    assert open_checkpoint(note, vkey, len(leaves), mth(leaves))[1] == N


NEG = {n["name"]: n for n in V["negative_entries"]}
NEG_CP = {n["name"]: n for n in V["negative_checkpoints"]}


@pytest.mark.parametrize("name", sorted(NEG))
def test_negative_entry_vector_fails_independently(name: str) -> None:
    vec = NEG[name]
    entries = [bytes.fromhex(h) for h in vec["entries_hex"]]
    with pytest.raises(Invalid) as info:
        verify_feed(FEED_KEY, entries)
    assert (info.value.reason, info.value.index) == (vec["reason"], vec["fails_at"]), str(
        info.value
    )


@pytest.mark.parametrize("name", sorted(NEG_CP))
def test_negative_checkpoint_vector_fails_independently(name: str) -> None:
    vec = NEG_CP[name]
    root = bytes.fromhex(V["roots_hex"][N])
    with pytest.raises(Invalid) as info:
        open_checkpoint(vec["note"], V["checkpoint"]["verifier_key"], N, root)
    assert info.value.reason == vec["reason"]


def test_negative_vectors_cover_the_required_cases() -> None:
    assert {"tampered-byte", "wrong-seq", "reordered", "non-minimal-length-header"} <= set(NEG)
    assert {n["reason"] for n in NEG.values()} == {"framing", "signature", "body", "time"}
    assert any(k.startswith("body-") for k in NEG)


def test_feed_file_vectors_follow_the_torn_tail_rule() -> None:
    st = V["store"]
    data = bytes.fromhex(st["feed_file_hex"])
    records, end = scan_feed_file(data)
    assert records == ENTRIES[: st["feed_file_entries"]] and end == len(data)

    torn = bytes.fromhex(st["torn_feed_file_hex"])
    records, end = scan_feed_file(torn)
    assert end == st["torn_good_length"] < len(torn)
    assert not valid_record_after(torn, end)  # a torn tail: cut here

    damaged = bytes.fromhex(st["damaged_feed_file_hex"])
    records, end = scan_feed_file(damaged)
    assert len(records) == st["damaged_record"]
    assert valid_record_after(damaged, end)  # damage before the tail: refuse


def test_hostile_inputs_to_the_independent_verifier() -> None:
    with pytest.raises(Invalid, match="framing"):
        split_entry(b"")
    with pytest.raises(Invalid, match="framing"):
        split_entry(ENTRIES[0][:-1])
    with pytest.raises(Invalid, match="framing"):
        split_entry(b"\x82\x5a" + ENTRIES[0][4:])
    with pytest.raises(Invalid, match="body"):
        check_body(b"")
    with pytest.raises(Invalid, match="body"):
        check_body(b"\x86\x01\x01\x00\x00\x60\x81\x01")  # an array as a field


# --- the document matches the vectors and the code ----------------------------------------


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_worked_example_in_the_doc_is_entry_2_byte_for_byte() -> None:
    text = _doc()
    block = text.split("<!-- worked-example: entries[2].entry_hex -->\n```\n", 1)[1]
    block = block.split("```", 1)[0]
    got = bytearray()
    for line in block.splitlines():
        for tok in line.split():
            if not re.fullmatch(r"[0-9a-f]{2}", tok):
                break
            got.append(int(tok, 16))
    assert got.hex() == V["entries"][2]["entry_hex"]
    msg = V["entries"][2]["signed_message_hex"]
    body = V["entries"][2]["body_hex"]
    for piece in (msg[:32], msg[32:96], msg[112:176], body[:64], body[64:]):
        assert piece in text
    assert V["entries"][2]["leaf_hash_hex"] in text
    assert V["checkpoint"]["note"] in text.replace("```\n", "")
    assert V["checkpoint"]["verifier_key"] in text


def test_doc_lists_every_kind_and_time_source_of_the_code() -> None:
    from hub.log import KINDS, TimeSource

    text = _doc()
    for spec in KINDS:
        row = next(
            (ln for ln in text.splitlines() if ln.startswith(f"| {spec.code} | `{spec.name}` |")),
            None,
        )
        assert row is not None, f"kind {spec.code} {spec.name} missing from docs/log-format.md"
        for f in spec.fields:
            assert f"`{f.name}`" in row, f"{spec.name}.{f.name} missing from the doc"
            assert (" (optional)" in row.split(f"`{f.name}`")[1].split(",")[0]) == f.optional
    for src in TimeSource:
        assert f"| {src.value} | `{src.name.lower()}` |" in text


# ---------------------------------------------------------------------------------------
# Canopy's own code agrees with the vectors
# ---------------------------------------------------------------------------------------


def test_make_vectors_regenerates_every_file_byte_for_byte(tmp_path: Path) -> None:
    script = VECTORS / "make_vectors.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    kept = sorted(
        p.relative_to(VECTORS)
        for p in VECTORS.rglob("*")
        if p.is_file() and p.name != "make_vectors.py" and "__pycache__" not in p.parts
    )
    assert made == kept
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (VECTORS / rel).read_bytes(), f"{rel} differs"


def test_canopy_makes_the_same_bytes() -> None:
    from crypto.entrysig import sign_entry
    from crypto.entrysig import signed_message as canopy_message
    from crypto.keys import SigningKey
    from crypto.merkle import consistency_proof, inclusion_proof, root_from_leaf_hashes
    from crypto.note import Checkpoint, Verifier, sign_note
    from hub.local import origin_for
    from hub.log import TimeSource, decode_body, encode_body, make_body

    key = SigningKey(bytes.fromhex(V["seed_hex"]))
    assert key.public.hex() == V["feed_key_hex"]
    prev = bytes(32)
    for seq, item in enumerate(V["entries"]):
        body = make_body(
            item["kind_name"],
            [_field(v) for v in item["fields"]],
            time=item["time"],
            time_source=TimeSource(item["time_source"]),
            author=item["author"],
        )
        raw = encode_body(body)
        assert raw.hex() == item["body_hex"]
        assert decode_body(raw) == body
        assert canopy_message(key.public, seq, prev, raw).hex() == item["signed_message_hex"]
        assert sign_entry(key, seq, prev, raw).hex() == item["entry_hex"]
        prev = bytes.fromhex(item["leaf_hash_hex"])
    for k in range(N + 1):
        assert root_from_leaf_hashes(LEAVES[:k]).hex() == V["roots_hex"][k]
    for p in V["inclusion"]:
        assert [h.hex() for h in inclusion_proof(LEAVES, p["index"], p["size"])] == p["path_hex"]
    for p in V["consistency"]:
        got = consistency_proof(LEAVES, p["first"], p["second"])
        assert [h.hex() for h in got] == p["path_hex"]
    origin = origin_for(V["hub_name"], key.public)
    assert origin == V["origin"]
    cp = Checkpoint(origin, N, bytes.fromhex(V["roots_hex"][N]))
    assert cp.body() == V["checkpoint"]["body"]
    assert sign_note(cp.body(), origin, key) == V["checkpoint"]["note"]
    assert Verifier(origin, key.public).to_string() == V["checkpoint"]["verifier_key"]


def test_canopy_verifies_the_bundle() -> None:
    from hub.log import verify_bundle

    lines = list(verify_bundle(VECTORS / "bundle"))
    assert len(lines) == 1 and lines[0].startswith(f"OK {V['origin']}: {N} entries")


# Bodies that the document (and the independent verifier) reject but hub.log.entry.decode_body
# accepts, because Python's True == 1 == 1.0 and cbor2 turns tag-2 bignums into ints.
DECODE_BODY_BUG = (
    "BUG in hub/log/entry.py decode_body: it accepts a body that docs/log-format.md forbids "
    "(vector {name!r}: {why}). `version != FORMAT_VERSION` and `TimeSource(tsrc)` accept "
    "True and 1.0, `isinstance(v, int)` accepts bools, and tag-2/3 bignums decode to ints. "
    "Fix: check exact types and the 64-bit range, e.g. "
    "`def _uint(v): return type(v) is int and 0 <= v < 2**64`; require `_uint(version) and "
    "version == 1`, `_uint(kind)`, `_uint(time)`, `_uint(tsrc)` before `TimeSource(tsrc)`, "
    "and for fields `v is None or type(v) in (str, bytes) or (type(v) is int and "
    "-2**64 <= v < 2**64)`."
)


@pytest.mark.parametrize("name", sorted(NEG))
def test_canopy_rejects_each_negative_vector_for_the_same_reason(name: str) -> None:
    from crypto.errors import BadSignature, MalformedData
    from crypto.keys import PublicKey
    from hub.errors import EntryError, VerifyError
    from hub.log import verify_entries

    vec = NEG[name]
    entries = [bytes.fromhex(h) for h in vec["entries_hex"]]
    try:
        verify_entries(PublicKey(FEED_KEY), entries)
    except VerifyError as e:
        err: VerifyError = e
    else:
        if vec["reason"] == "body":
            raise AssertionError(DECODE_BODY_BUG.format(name=name, why=vec["description"]))
        raise AssertionError(f"Canopy accepted negative vector {name}: {vec['description']}")
    assert str(err).startswith(f"entry {vec['fails_at']}:"), str(err)
    causes: dict[str, type] = {
        "framing": MalformedData,
        "signature": BadSignature,
        "body": EntryError,
        "time": type(None),
    }
    cause = causes[vec["reason"]]
    assert isinstance(err.__cause__, cause), (name, str(err), repr(err.__cause__))


@pytest.mark.parametrize("name", sorted(NEG_CP))
def test_canopy_rejects_each_negative_checkpoint(name: str) -> None:
    from crypto.keys import PublicKey
    from crypto.note import Verifier
    from hub.errors import VerifyError
    from hub.log import verify_checkpoint, verify_entries

    verified = verify_entries(PublicKey(FEED_KEY), ENTRIES)
    verifier = Verifier.parse(V["checkpoint"]["verifier_key"])
    assert verify_checkpoint(V["checkpoint"]["note"], verifier, verified).size == N
    with pytest.raises(VerifyError):
        verify_checkpoint(NEG_CP[name]["note"], verifier, verified)


def test_canopy_store_reads_and_cuts_the_feed_file_vectors(tmp_path: Path) -> None:
    from hub.errors import StoreCorrupt
    from hub.log import FeedFile, FeedReader

    st = V["store"]
    good = tmp_path / "good.log"
    good.write_bytes(bytes.fromhex(st["feed_file_hex"]))
    reader = FeedReader(good)
    assert reader.refresh() == st["feed_file_entries"]
    assert reader.read_range(0, 3) == ENTRIES[:3]

    torn = tmp_path / "torn.log"
    torn_bytes = bytes.fromhex(st["torn_feed_file_hex"])
    torn.write_bytes(torn_bytes)
    feed = FeedFile(torn)
    feed.open()
    feed.close()
    assert torn.read_bytes() == torn_bytes[: st["torn_good_length"]]
    assert feed.torn == tmp_path / "torn.log.torn-0"
    assert feed.torn.read_bytes() == torn_bytes[st["torn_good_length"] :]

    damaged = tmp_path / "damaged.log"
    damaged_bytes = bytes.fromhex(st["damaged_feed_file_hex"])
    damaged.write_bytes(damaged_bytes)
    with pytest.raises(StoreCorrupt, match="record 1"):
        FeedFile(damaged).open()
    assert damaged.read_bytes() == damaged_bytes  # never "repaired"
