"""Generate Canopy's log-format test vectors (deterministic: fixed key seed and times).

Run ``.venv/bin/python tests/vectors/make_vectors.py [OUTDIR]`` (default: this folder).
It writes ``entries.json`` and the export bundle under ``bundle/``. Running it again
must reproduce every file byte for byte; ``tests/test_vectors.py`` checks that.

The feed key is the RFC 8032 §7.1 TEST 1 key, so its public key can be checked
against a published value. Negative vectors are built here by hand from the same key.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cbor2  # noqa: E402

from crypto.entrysig import ZERO_HASH, sign_entry, signed_message, split_entry  # noqa: E402
from crypto.keys import SigningKey  # noqa: E402
from crypto.merkle import (  # noqa: E402
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
from crypto.note import Checkpoint, Verifier, sign_note  # noqa: E402
from hub.local import origin_for  # noqa: E402
from hub.log import Body, FieldValue, TimeSource, encode_body, make_body  # noqa: E402

# RFC 8032 §7.1, TEST 1: secret key (seed) and its public key.
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
# A second key for "signed by someone else": SHA-256 of a fixed label.
OTHER_SEED = hashlib.sha256(b"canopy test vectors: another hub").digest()
HUB_NAME = "Corner Shop"
T0 = 1767225600  # 2026-01-01T00:00:00Z

CHARTER = (
    "Charter of the Corner Shop hub.\n"
    "1. Stewards patrol in pairs and de-escalate first.\n"
    "2. Outside help is called when anyone is in danger, and the call is logged.\n"
    "3. Coordinators rotate every four weeks; mandates expire unless renewed.\n"
    "4. The patrol log is public; corrections are new entries, never edits.\n"
)

# (kind, fields, time offset, time source, author): every body-header form, unicode text,
# bytes, a null in the middle (absent optional field) and trailing absent fields dropped.
FEED: list[tuple[str, dict[str, FieldValue], int, TimeSource, str]] = [
    ("charter", {"text": CHARTER}, 0, TimeSource.MANUAL, ""),
    (
        "enrol",
        {
            "handle": "ana",
            "role": "steward",
            "until": T0 + 90 * 86400,
            "node": 0x1234ABCD,
            "pkey": bytes(range(32)),
        },
        60,
        TimeSource.MANUAL,
        "",
    ),
    ("checkin", {"minutes": 120, "text": "Café corner, on patrol 🌳"}, 3600, TimeSource.GPS, "ana"),
    ("checkin", {"text": "arrived"}, 3660, TimeSource.MESH, "ben"),
    ("alert", {"text": "Smoke seen near Rue Émile-Zola 12"}, 4000, TimeSource.GPS, "ana"),
    ("ack", {"alert": 4}, 4000, TimeSource.MESH, "ben"),
    ("checkout", {}, 7200, TimeSource.UNSYNCED, "ana"),
    ("correction", {"target": 2, "text": "patrol was 90 minutes"}, 7300, TimeSource.NTP, "ana"),
    ("compact", {"name": "Zoë"}, 7400, TimeSource.UNSYNCED, ""),
]


# Bodies of the kinds added after the feed above was fixed (its bundle and worked example
# stay as published): a retracting correction, a published audit, and the assembly's
# proposal, vote and outcome.
MORE_BODIES: list[tuple[str, dict[str, FieldValue], int, TimeSource, str]] = [
    (
        "correction",
        {"target": 7, "text": "duplicate of #5", "retract": 1},
        7500,
        TimeSource.NTP,
        "",
    ),
    (
        "audit",
        {
            "start": T0,
            "end": T0 + 28 * 86400,
            "covers": PUBLIC + " 9 " + "ab" * 32,
            "digest": bytes(range(32, 64)),
            "cycle": 28,
        },
        28 * 86400 + 60,
        TimeSource.GPS,
        "",
    ),
    (
        "proposal",
        {
            "what": "mandate",
            "closes": T0 + 30 * 86400,
            "voters": "ana bo cy",
            "quorum": 50,
            "majority": 50,
            "handle": "bo",
            "role": "coordinator",
            "term": 90 * 86400,
        },
        29 * 86400,
        TimeSource.GPS,
        "ana",
    ),
    ("vote", {"proposal": 12, "yes": 1}, 29 * 86400 + 60, TimeSource.GPS, "cy"),
    (
        "outcome",
        {
            "proposal": 12,
            "carried": 1,
            "yes": 2,
            "no": 0,
            "handle": "bo",
            "role": "coordinator",
            "until": T0 + 119 * 86400 + 120,
        },
        29 * 86400 + 120,
        TimeSource.GPS,
        "",
    ),
    (
        "report",
        {
            "category": "damage",
            "place": "Elm St",
            "sid": bytes(range(16)),
            "box": bytes(range(100, 160)),
        },
        7600,
        TimeSource.MESH,
        "ana",
    ),
    ("report", {"category": "noise"}, 7610, TimeSource.MESH, "ana"),
    (
        "sealed-note",
        {"sid": bytes(range(16, 32)), "box": bytes(range(48))},
        7620,
        TimeSource.NTP,
        "bo",
    ),
    (
        "pin-share",
        {"feed": bytes(range(32, 64)), "box": bytes(range(80))},
        7630,
        TimeSource.NTP,
        "",
    ),
    ("rollback", {"feed": b"\xcc" * 32, "a": b"x", "b": b"y"}, 7700, TimeSource.NTP, ""),
    # a vote cast at this hub in vote 12 of the hub whose feed is 32 bytes of 0xbb
    ("vote", {"proposal": 12, "yes": 0, "at": b"\xbb" * 32}, 7800, TimeSource.NTP, "ana"),
]


def more_bodies() -> list[dict[str, Any]]:
    out = []
    for kind, fields, dt_, src, author in MORE_BODIES:
        body = make_body(kind, fields, time=T0 + dt_, time_source=src, author=author)
        out.append(
            {
                "kind": body.kind,
                "kind_name": kind,
                "time": body.time,
                "time_source": int(body.time_source),
                "author": author,
                "fields": [_field_json(v) for v in body.fields],
                "body_hex": encode_body(body).hex(),
            }
        )
    return out


def _field_json(v: FieldValue) -> Any:
    return {"bytes": v.hex()} if isinstance(v, bytes) else v


def _frame(body: bytes, sig: bytes, head: bytes | None = None) -> bytes:
    """Entry framing, optionally with a forced body header (for negative vectors)."""
    n = len(body)
    if head is None:
        if n < 24:
            head = bytes([0x40 | n])
        elif n < 256:
            head = bytes([0x58, n])
        else:
            head = b"\x59" + struct.pack(">H", n)
    return b"\x82" + head + body + b"\x58\x40" + sig


def _sign_raw(key: SigningKey, seq: int, prev: bytes, body: bytes) -> bytes:
    sig = key.sign(signed_message(key.public, seq, prev, body))
    return _frame(body, sig)


def build_feed(key: SigningKey) -> tuple[list[Body], list[bytes], list[dict[str, Any]]]:
    bodies: list[Body] = []
    entries: list[bytes] = []
    out: list[dict[str, Any]] = []
    prev = ZERO_HASH
    for seq, (kind, fields, dt, src, author) in enumerate(FEED):
        body = make_body(kind, fields, time=T0 + dt, time_source=src, author=author)
        raw = encode_body(body)
        entry = sign_entry(key, seq, prev, raw)
        _, sig = split_entry(entry)
        out.append(
            {
                "seq": seq,
                "kind": body.kind,
                "kind_name": kind,
                "time": body.time,
                "time_source": int(body.time_source),
                "author": body.author,
                "fields": [_field_json(v) for v in body.fields],
                "body_hex": raw.hex(),
                "prev_hash_hex": prev.hex(),
                "signed_message_hex": signed_message(key.public, seq, prev, raw).hex(),
                "signature_hex": sig.hex(),
                "entry_hex": entry.hex(),
                "leaf_hash_hex": leaf_hash(entry).hex(),
            }
        )
        bodies.append(body)
        entries.append(entry)
        prev = leaf_hash(entry)
    return bodies, entries, out


def _neg(name: str, why: str, entries: list[bytes], fails_at: int, reason: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": why,
        "entries_hex": [e.hex() for e in entries],
        "fails_at": fails_at,
        "reason": reason,
    }


def negative_entries(key: SigningKey, entries: list[bytes]) -> list[dict[str, Any]]:
    other = SigningKey(OTHER_SEED)
    lh = [leaf_hash(e) for e in entries]
    out: list[dict[str, Any]] = []

    tampered = bytearray(entries[2])
    tampered[-70] ^= 0x01  # last byte of the body (the text), signature unchanged
    out.append(
        _neg(
            "tampered-byte",
            "one bit of entry 2's body flipped; the signature no longer verifies",
            [*entries[:2], bytes(tampered)],
            2,
            "signature",
        )
    )
    body3, _ = split_entry(entries[3])
    out.append(
        _neg(
            "wrong-seq",
            "entry 3's body signed as seq 4 (right predecessor hash) and placed at seq 3",
            [*entries[:3], _sign_raw(key, 4, lh[2], body3)],
            3,
            "signature",
        )
    )
    out.append(
        _neg(
            "reordered",
            "entries 1 and 2 swapped; entry 2 is checked at seq 1 after entry 0",
            [entries[0], entries[2], entries[1]],
            1,
            "signature",
        )
    )
    out.append(
        _neg(
            "wrong-prev-hash",
            "entry 1 signed over a predecessor hash of SHA-256(entry 0) without the 0x00 prefix",
            [
                entries[0],
                _sign_raw(key, 1, hashlib.sha256(entries[0]).digest(), split_entry(entries[1])[0]),
            ],
            1,
            "signature",
        )
    )
    out.append(
        _neg(
            "first-entry-nonzero-prev",
            "entry 0 signed over a predecessor hash of 32 bytes 0xff instead of zeros",
            [_sign_raw(key, 0, b"\xff" * 32, split_entry(entries[0])[0])],
            0,
            "signature",
        )
    )
    out.append(
        _neg(
            "other-key",
            "entry 0 signed by a different key",
            [_sign_raw(other, 0, ZERO_HASH, split_entry(entries[0])[0])],
            0,
            "signature",
        )
    )
    body6, sig6 = split_entry(entries[6])
    assert len(body6) < 24
    out.append(
        _neg(
            "non-minimal-length-header",
            f"entry 6's {len(body6)}-byte body framed with 0x58 0x{len(body6):02x} instead of "
            f"0x{0x40 | len(body6):02x}; the signature is still valid but the framing (and so "
            "the leaf hash) is not canonical",
            [*entries[:6], _frame(body6, sig6, bytes([0x58, len(body6)]))],
            6,
            "framing",
        )
    )
    body4, sig4 = split_entry(entries[4])
    out.append(
        _neg(
            "non-minimal-length-header-16",
            "entry 4's body framed with a 2-byte length (0x59) although it is under 256 bytes",
            [*entries[:4], _frame(body4, sig4, b"\x59" + struct.pack(">H", len(body4)))],
            4,
            "framing",
        )
    )
    out.append(
        _neg(
            "trailing-byte",
            "entry 0 followed by one extra byte inside its record",
            [entries[0] + b"\x00"],
            0,
            "framing",
        )
    )
    out.append(
        _neg(
            "short-signature",
            "entry 0 with its signature string cut to 63 bytes (0x58 0x3f)",
            [entries[0][:-66] + b"\x58\x3f" + entries[0][-64:-1]],
            0,
            "framing",
        )
    )
    out.append(
        _neg(
            "outer-not-array-of-two",
            "entry 0 with outer header 0x83 instead of 0x82",
            [b"\x83" + entries[0][1:]],
            0,
            "framing",
        )
    )

    t = T0 + 10
    bad_bodies: list[tuple[str, str, bytes]] = [
        (
            "body-non-minimal-int",
            "time encoded as an 8-byte integer (0x1b) although it fits in 4",
            b"\x86\x01\x01\x1b" + struct.pack(">Q", t) + b"\x00\x60\x61x",
        ),
        (
            "body-indefinite-array",
            "the body array has indefinite length (0x9f ... 0xff)",
            b"\x9f\x01\x01\x1a" + struct.pack(">I", t) + b"\x00\x60\x61x\xff",
        ),
        (
            "body-map",
            "the body is a map, not an array",
            cbor2.dumps({"v": 1}, canonical=True),
        ),
        (
            "body-version-2",
            "version 2 is not defined",
            cbor2.dumps([2, 1, t, 0, "", "x"], canonical=True),
        ),
        (
            "body-four-items",
            "the array has four items (time source and author missing one)",
            cbor2.dumps([1, 1, t, 0], canonical=True),
        ),
        (
            "body-unknown-time-source",
            "time source 9 is not defined",
            cbor2.dumps([1, 1, t, 9, "", "x"], canonical=True),
        ),
        (
            "body-author-bytes",
            "the author is a byte string, not text",
            cbor2.dumps([1, 1, t, 0, b"ana", "x"], canonical=True),
        ),
        (
            "body-float-field",
            "a field is a float (0xf9 half precision)",
            cbor2.dumps([1, 1, t, 0, "", 1.5], canonical=True),
        ),
        (
            "body-trailing-bytes",
            "a complete body followed by an extra byte",
            cbor2.dumps([1, 1, t, 0, "", "x"], canonical=True) + b"\x00",
        ),
        (
            "body-version-true",
            "the version is CBOR true (0xf5), not the integer 1",
            cbor2.dumps([True, 1, t, 0, "", "x"], canonical=True),
        ),
        (
            "body-time-source-true",
            "the time source is CBOR true (0xf5), not an integer",
            cbor2.dumps([1, 1, t, True, "", "x"], canonical=True),
        ),
        (
            "body-bool-field",
            "a field is CBOR false (0xf4); fields are integers, text, bytes or null",
            cbor2.dumps([1, 1, t, 0, "", False], canonical=True),
        ),
        (
            "body-bignum-time",
            "the time is a tag-2 bignum (2**64), outside the unsigned 64-bit range",
            cbor2.dumps([1, 1, 2**64, 0, "", "x"], canonical=True),
        ),
    ]
    for name, why, body in bad_bodies:
        out.append(_neg(name, why, [_sign_raw(key, 0, ZERO_HASH, body)], 0, "body"))

    back = make_body("note", {"text": "earlier"}, time=T0 - 1, time_source=TimeSource.GPS)
    out.append(
        _neg(
            "time-goes-back",
            "entry 1 claims a time one second before entry 0",
            [entries[0], _sign_raw(key, 1, lh[0], encode_body(back))],
            1,
            "time",
        )
    )
    return out


def negative_checkpoints(key: SigningKey, origin: str, lh: list[bytes]) -> list[dict[str, Any]]:
    n = len(lh)
    good = Checkpoint(origin, n, root_from_leaf_hashes(lh)).body()
    other = SigningKey(OTHER_SEED)
    tampered = good.replace(f"\n{n}\n", f"\n{n + 1}\n")
    signed = sign_note(good, origin, key)
    return [
        {
            "name": "tampered-size",
            "description": "the size line of a correctly signed note changed after signing",
            "note": signed.replace(f"\n{n}\n", f"\n{n + 1}\n", 1),
            "reason": "signature",
        },
        {
            "name": "unknown-key",
            "description": "signed under the right name by a different key (key ID differs)",
            "note": sign_note(good, origin, other),
            "reason": "unknown-key",
        },
        {
            "name": "wrong-size",
            "description": "a valid signed checkpoint for one entry fewer than the bundle holds",
            "note": sign_note(
                Checkpoint(origin, n - 1, root_from_leaf_hashes(lh[:-1])).body(), origin, key
            ),
            "reason": "mismatch",
        },
        {
            "name": "wrong-root",
            "description": "a valid signed checkpoint with the right size but another root",
            "note": sign_note(Checkpoint(origin, n, EMPTY_ROOT).body(), origin, key),
            "reason": "mismatch",
        },
        {
            "name": "tampered-but-resigned-by-other",
            "description": "size changed and signed by another key under the same name",
            "note": sign_note(tampered, origin, other),
            "reason": "unknown-key",
        },
    ]


def store_vectors(entries: list[bytes]) -> dict[str, Any]:
    records = b"".join(struct.pack(">II", len(e), zlib.crc32(e)) + e for e in entries[:3])
    nxt = struct.pack(">II", len(entries[3]), zlib.crc32(entries[3])) + entries[3]
    torn = records + nxt[: len(nxt) // 2]
    bad_crc = bytearray(records)
    bad_crc[8 + len(entries[0]) + 4] ^= 0xFF  # crc of record 1; record 2 stays valid
    return {
        "feed_file_hex": records.hex(),
        "feed_file_entries": 3,
        "torn_feed_file_hex": torn.hex(),
        "torn_good_length": len(records),
        "damaged_feed_file_hex": bytes(bad_crc).hex(),
        "damaged_record": 1,
    }


def generate() -> dict[str, bytes]:
    """Return every vector file as {relative path: bytes}."""
    key = SigningKey(SEED)
    assert key.public.hex() == PUBLIC, "RFC 8032 TEST 1 public key mismatch"
    origin = origin_for(HUB_NAME, key.public)
    verifier = Verifier(origin, key.public)
    _, entries, items = build_feed(key)
    lh = [leaf_hash(e) for e in entries]
    n = len(entries)
    roots = [root_from_leaf_hashes(lh[:k]).hex() for k in range(n + 1)]
    cp_body = Checkpoint(origin, n, root_from_leaf_hashes(lh)).body()
    note = sign_note(cp_body, origin, key)
    doc: dict[str, Any] = {
        "description": (
            "Canopy log format test vectors; see docs/log-format.md. Generated by "
            "tests/vectors/make_vectors.py. All hex is lowercase."
        ),
        "format_version": 1,
        "seed_hex": SEED.hex(),
        "feed_key_hex": key.public.hex(),
        "hub_name": HUB_NAME,
        "origin": origin,
        "domain_hex": signed_message(key.public, 0, ZERO_HASH, b"")[:16].hex(),
        "entries": items,
        "roots_hex": roots,
        "inclusion": [
            {"index": i, "size": n, "path_hex": [p.hex() for p in inclusion_proof(lh, i, n)]}
            for i in range(n)
        ]
        + [{"index": 2, "size": 5, "path_hex": [p.hex() for p in inclusion_proof(lh, 2, 5)]}],
        "consistency": [
            {"first": m, "second": n, "path_hex": [p.hex() for p in consistency_proof(lh, m, n)]}
            for m in range(1, n + 1)
        ]
        + [{"first": 3, "second": 7, "path_hex": [p.hex() for p in consistency_proof(lh, 3, 7)]}],
        "checkpoint": {
            "body": cp_body,
            "note": note,
            "verifier_key": verifier.to_string(),
            "key_id_hex": verifier.key_id.hex(),
        },
        "store": store_vectors(entries),
        "negative_entries": negative_entries(key, entries),
        "negative_checkpoints": negative_checkpoints(key, origin, lh),
        "more_bodies": more_bodies(),
    }
    feed = key.public.hex()
    text = json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
    return {
        "entries.json": text.encode("ascii"),
        f"bundle/{feed}.entries": b"".join(entries),
        f"bundle/{feed}.checkpoint": note.encode("utf-8"),
        f"bundle/{feed}.vkey": (verifier.to_string() + "\n").encode("ascii"),
    }


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    for rel, data in generate().items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
