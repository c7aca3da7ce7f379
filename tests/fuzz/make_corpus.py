"""`python tests/fuzz/make_corpus.py`: write the small seed corpus of each fuzz target to
tests/fuzz_corpus/<target>/ from the published vectors and the hub's own encoders, so the
fuzzer starts from inputs that reach deep into each parser. Deterministic; rerun it after a
format change."""

from __future__ import annotations

import json
import re
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]
CORPUS = ROOT / "tests" / "fuzz_corpus"


def seeds() -> dict[str, list[bytes]]:
    from meshtastic.protobuf import mesh_pb2

    from radio.mqttcodec import encode_envelope, make_decoder
    from radio.sim import encode_frame

    vectors = json.loads((ROOT / "tests" / "vectors" / "entries.json").read_text())
    bodies = [bytes.fromhex(e["body_hex"]) for e in vectors["entries"]][:6]
    entries = [bytes.fromhex(e["entry_hex"]) for e in vectors["entries"]][:4]
    records = b"".join(struct.pack(">II", len(e), zlib.crc32(e)) + e for e in entries)
    block = re.search(r"```sync-vectors\n(.*?)```", (ROOT / "docs" / "sync.md").read_text(), re.S)
    assert block is not None
    frames = [bytes.fromhex(line.split()[1]) for line in block.group(1).splitlines()]
    hello = mesh_pb2.ToRadio(want_config_id=42).SerializeToString()
    text = mesh_pb2.ToRadio()
    text.packet.to = 0x5EED0000
    text.packet.decoded.portnum = 1
    text.packet.decoded.payload = b"IN 45 north loop"
    key = make_decoder([]).keys[-1].key
    envelope = {
        "channel": "LongFast", "gateway": "!abcdef01", "from_num": 0x5EED0001,
        "to_num": 0xFFFFFFFF, "packet_id": 7, "portnum": 1, "payload": b"evening all",
    }  # fmt: skip
    return {
        "entry_body": bodies,
        "store_records": [records, records[:-3]],
        "stream_frames": [
            b"\x94\xc3" * 16 + encode_frame(hello),
            encode_frame(text.SerializeToString()) + b"\x94\xc3\xff\xff",
        ],
        "command_language": [
            b"\x00\x00IN 45 north loop",
            b"\x00\x00LOG all quiet on Elm St",
            b"\x00\x00OUT home safe",
            b"\x01\x00ALERT smoke at the school",
            b"\x01\x00ALERTS",
            b"\x00\x00ACK 3",
            b"\x02\x00WHO",
            b"\x02\x02JOIN 12345678",
            b"\x00\x01HELP",
            b"\x00\x00FIX 2 wrong street",
        ],
        "fragment_codec": [
            b"\x20" + ("Road closed at the junction: detour " * 8).encode(),
            b"\x00[1/2] half of it",
            b"\xb8\xf0\x9f\x9a\xb2 all quiet, \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
        ],
        "mqtt_command": [
            b'{"text": "evening all", "to": null, "channel": 0}',
            b'{"text": "IN 30", "to": "!5eed0001", "channel": 1, "want_ack": true}',
        ],
        "mesh_envelope": [
            encode_envelope(**envelope, key=key),  # type: ignore[arg-type]
            encode_envelope(**envelope, key=None),  # type: ignore[arg-type]
        ],
        "sync_frames": frames,
    }


def main() -> None:
    for name, items in seeds().items():
        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for i, data in enumerate(items):
            (folder / f"seed-{i:02d}").write_bytes(data)
        print(f"{name}: {len(items)} seeds")


if __name__ == "__main__":
    main()
