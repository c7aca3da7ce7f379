"""Benchmark of the LoRa mesh simulator: airtime accuracy and packets per second sustained.

Run: .venv/bin/python bench/bench_sim.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meshtastic.protobuf import mesh_pb2, portnums_pb2  # noqa: E402

from radio.lora import frame_airtime_s  # noqa: E402
from radio.sim import (  # noqa: E402  # noqa: E402
    BROADCAST_NUM,
    Frame,
    FrameDecoder,
    Medium,
    build_config,
    encode_frame,
    preset_params,
    running_sim,
)

NODES = 20
PER_NODE = 50
MIN_PPS = 200.0  # originated packets/s; a real SHORT_TURBO channel carries at most ~30 frames/s


def semtech_ms(sf: int, bw_khz: float, cr_denominator: int, pl: int) -> float:
    """Semtech AN1200.13 written out independently: preamble 16, explicit header, CRC on."""
    t_sym = (2**sf) / bw_khz  # ms
    de = 1 if t_sym > 16.0 else 0
    n_payload = 8 + max(-(-(8 * pl - 4 * sf + 28 + 16) // (4 * (sf - 2 * de))) * cr_denominator, 0)
    return (16 + 4.25) * t_sym + n_payload * t_sym


def airtime_rows() -> bool:
    ok_all = True
    cases = [("LONG_FAST", 11, 250.0, 5), ("SHORT_FAST", 7, 250.0, 5)]
    for name, sf, bw, cr in cases:
        for payload in (50, 233):
            frame = 16 + payload
            sim_ms = frame_airtime_s(frame, preset_params(name)) * 1000
            ref_ms = semtech_ms(sf, bw, cr, frame)
            ok = abs(sim_ms - ref_ms) <= 0.01 * ref_ms
            ok_all &= ok
            print(
                f"airtime {name} 16+{payload}B: {sim_ms:.1f} ms "
                f"(formula {ref_ms:.1f} ms, budget: within 1%) {'OK' if ok else 'FAIL'}"
            )
    return ok_all


def packet(k: int) -> mesh_pb2.MeshPacket:
    p = mesh_pb2.MeshPacket(to=BROADCAST_NUM, hop_limit=3, id=k)
    p.decoded.portnum = portnums_pb2.PortNum.PRIVATE_APP
    p.decoded.payload = b"x" * 50
    return p


def medium_pps() -> float:
    """Sans-IO medium alone: originated packets per wall second, 20 nodes, full mesh."""
    m = Medium(build_config(NODES, "full", preset="SHORT_FAST"))
    start = time.perf_counter()
    k = 1
    for i in range(NODES):
        for _ in range(PER_NODE):
            m.submit(i, packet(k), 0.0)
            k += 1
    while (t := m.next_deadline()) is not None:
        m.advance(t)
    return (k - 1) / (time.perf_counter() - start)


def end_to_end_pps() -> tuple[float, int, int]:
    """Over TCP: every node's client bursts PER_NODE broadcasts; every client must get all."""
    import socket

    expected = (NODES - 1) * PER_NODE
    with running_sim(nodes=NODES, topology="full", speed=1e6, preset="SHORT_FAST") as sim:
        socks = [socket.create_connection(("127.0.0.1", p), timeout=30) for p in sim.ports]
        decoders = [FrameDecoder() for _ in socks]
        for s, d in zip(socks, decoders, strict=True):
            s.sendall(encode_frame(mesh_pb2.ToRadio(want_config_id=7).SerializeToString()))
            done = False
            while not done:
                for item in d.feed(s.recv(65536)):
                    assert isinstance(item, Frame)
                    done |= mesh_pb2.FromRadio.FromString(item.payload).config_complete_id == 7
        start = time.perf_counter()
        for i, s in enumerate(socks):
            burst = b"".join(
                encode_frame(
                    mesh_pb2.ToRadio(packet=packet(i * PER_NODE + j + 1)).SerializeToString()
                )
                for j in range(PER_NODE)
            )
            s.sendall(burst)
        counts = [0] * NODES
        for i, (s, d) in enumerate(zip(socks, decoders, strict=True)):
            while counts[i] < expected:
                for item in d.feed(s.recv(65536)):
                    assert isinstance(item, Frame)
                    counts[i] += mesh_pb2.FromRadio.FromString(item.payload).HasField("packet")
        elapsed = time.perf_counter() - start
        for s in socks:
            s.close()
        stats = sim.stop()
    return NODES * PER_NODE / elapsed, stats["totals"]["packets_sent"], sum(counts)


def main() -> int:
    ok = airtime_rows()
    pps = medium_pps()
    print(f"medium alone, {NODES} nodes full mesh: {pps:.0f} packets/s (budget: >= {MIN_PPS:.0f}) "
          f"{'OK' if pps >= MIN_PPS else 'OVER BUDGET'}")  # fmt: skip
    ok &= pps >= MIN_PPS
    e2e, on_air, delivered = end_to_end_pps()
    print(
        f"end to end over TCP, {NODES} nodes full mesh: {e2e:.0f} packets/s originated, "
        f"{on_air} transmissions, {delivered} deliveries (budget: >= {MIN_PPS:.0f}) "
        f"{'OK' if e2e >= MIN_PPS else 'OVER BUDGET'}"
    )
    ok &= e2e >= MIN_PPS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
