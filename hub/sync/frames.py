"""Sync frames: the bytes hubs exchange on the mesh (and over MQTT), encoded and checked.

Sans-IO and strict: :func:`decode` takes the payload of one packet and returns a frame or
raises :class:`FrameError` with a short ``reason`` (the caller counts it and drops the
packet). Nothing here knows about feeds beyond their 4-byte ids; entries are opaque bytes
until the store verifies them. The layout, byte by byte, is in ``docs/sync.md``.

Every frame starts with its type byte; integers are unsigned LEB128 varints (at most 5
bytes, values below 2**32), feed ids are the first 4 bytes of the feed's Ed25519 key.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.mesh import MAX_DATA_BYTES

PORT = 300  # Meshtastic private application port (256-511) of Canopy sync v1
MAX_FRAME = MAX_DATA_BYTES  # payload bytes: what the radio takes on a private port
FEED_ID = 4
ROOT_ID = 4
MAX_COUNT = 64  # entries one request may ask for
MAX_NAME = 40  # bytes of a hub's name in an announcement

SUMMARY = 0x01
REQUEST = 0x02
ENTRIES = 0x03
PART = 0x04
ANNOUNCE = 0x05
CHECKPOINT = 0x06


class FrameError(ValueError):
    """A payload that is not a valid frame; ``reason`` is a short counter name."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Frontier:
    """How far one hub holds one feed: its size and the first bytes of its Merkle root."""

    feed: bytes  # 4-byte feed id
    size: int
    root: bytes  # ROOT_ID bytes of the RFC 9162 root at ``size`` (zeros when empty)


@dataclass(frozen=True, slots=True)
class Summary:
    """A hub's frontier of every feed it keeps (its own first)."""

    hub: bytes  # 4-byte id of the sender's own feed
    feeds: tuple[Frontier, ...]


@dataclass(frozen=True, slots=True)
class Request:
    """Send me entries ``[start, start + count)`` of ``feed``; no session, no state."""

    feed: bytes
    start: int
    count: int


@dataclass(frozen=True, slots=True)
class Entries:
    """Whole entries of ``feed`` from position ``start`` on, as stored (no shadow header)."""

    feed: bytes
    start: int
    entries: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of one entry too large for a frame: bytes ``[offset, offset + len(chunk))``
    of entry ``index`` of ``feed``, whose whole length is ``total``."""

    feed: bytes
    index: int
    total: int
    offset: int
    chunk: bytes


@dataclass(frozen=True, slots=True)
class Announce:
    """A hub says who it is: its full feed key and its name (its checkpoint origin)."""

    feed: bytes  # 32-byte Ed25519 public key
    name: str


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A hub's checkpoint in binary: the receiver rebuilds the C2SP note text from the
    feed's origin, ``size`` and ``root`` and checks ``signature`` (Ed25519, the feed key)."""

    feed: bytes  # 4-byte feed id
    size: int
    root: bytes  # 32 bytes
    signature: bytes  # 64 bytes


Frame = Summary | Request | Entries | Part | Announce | SignedCheckpoint


# -- varints -----------------------------------------------------------------------------


def put_uint(out: bytearray, n: int) -> None:
    if not 0 <= n < 2**32:
        raise ValueError(f"{n} does not fit a frame integer")
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise FrameError("truncated", what)
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, what: str) -> int:
        n = 0
        for shift in range(0, 35, 7):
            b = self.take(1, what)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                if shift and b == 0:
                    raise FrameError("malformed", f"{what}: padded integer")
                if n >= 2**32:
                    raise FrameError("malformed", f"{what}: integer too large")
                return n
        raise FrameError("malformed", f"{what}: integer too long")


# -- encoding ----------------------------------------------------------------------------


def encode(frame: Frame) -> bytes:
    """The frame's bytes; raises ``ValueError`` for a frame that breaks the limits."""
    out = bytearray()
    if isinstance(frame, Summary):
        out.append(SUMMARY)
        out += _id(frame.hub, FEED_ID)
        for f in frame.feeds:
            out += _id(f.feed, FEED_ID)
            put_uint(out, f.size)
            out += _id(f.root, ROOT_ID)
    elif isinstance(frame, Request):
        if not 1 <= frame.count <= MAX_COUNT:
            raise ValueError(f"a request asks for 1..{MAX_COUNT} entries")
        out.append(REQUEST)
        out += _id(frame.feed, FEED_ID)
        put_uint(out, frame.start)
        put_uint(out, frame.count)
    elif isinstance(frame, Entries):
        if not frame.entries:
            raise ValueError("an entries frame carries at least one entry")
        out.append(ENTRIES)
        out += _id(frame.feed, FEED_ID)
        put_uint(out, frame.start)
        for raw in frame.entries:
            put_uint(out, len(raw))
            out += raw
    elif isinstance(frame, Part):
        if not frame.chunk or frame.offset + len(frame.chunk) > frame.total:
            raise ValueError("a part must hold bytes inside the entry")
        out.append(PART)
        out += _id(frame.feed, FEED_ID)
        put_uint(out, frame.index)
        put_uint(out, frame.total)
        put_uint(out, frame.offset)
        out += frame.chunk
    elif isinstance(frame, SignedCheckpoint):
        out.append(CHECKPOINT)
        out += _id(frame.feed, FEED_ID)
        put_uint(out, frame.size)
        out += _id(frame.root, 32)
        out += _id(frame.signature, 64)
    else:
        name = frame.name.encode("utf-8")
        if len(name) > MAX_NAME:
            raise ValueError(f"a hub name is at most {MAX_NAME} bytes")
        out.append(ANNOUNCE)
        out += _id(frame.feed, 32)
        out += name
    if len(out) > MAX_FRAME:
        raise ValueError(f"frame is {len(out)} bytes; at most {MAX_FRAME}")
    return bytes(out)


def _id(value: bytes, n: int) -> bytes:
    if len(value) != n:
        raise ValueError(f"expected {n} bytes, got {len(value)}")
    return value


# -- decoding ----------------------------------------------------------------------------


def decode(data: bytes) -> Frame:
    """Parse one frame; raises :class:`FrameError` (``reason`` names the fault)."""
    if not data:
        raise FrameError("empty")
    if len(data) > MAX_FRAME:
        raise FrameError("oversized", f"{len(data)} bytes")
    r = _Reader(data)
    kind = r.take(1, "type")[0]
    if kind == SUMMARY:
        hub = r.take(FEED_ID, "hub")
        feeds = []
        while r.left():
            feeds.append(Frontier(r.take(FEED_ID, "feed"), r.uint("size"), r.take(ROOT_ID, "root")))
        if not feeds or len({f.feed for f in feeds}) != len(feeds):
            raise FrameError("malformed", "a summary lists each feed once, at least one")
        return Summary(hub, tuple(feeds))
    if kind == REQUEST:
        feed, start, count = r.take(FEED_ID, "feed"), r.uint("start"), r.uint("count")
        if r.left():
            raise FrameError("malformed", "bytes after a request")
        if not 1 <= count <= MAX_COUNT:
            raise FrameError("absurd", f"count {count}")
        return Request(feed, start, count)
    if kind == ENTRIES:
        feed, start = r.take(FEED_ID, "feed"), r.uint("start")
        entries = []
        while r.left():
            entries.append(r.take(r.uint("length"), "entry"))
        if not entries or any(not e for e in entries):
            raise FrameError("malformed", "an entries frame carries whole, non-empty entries")
        if start + len(entries) > 2**32:
            raise FrameError("absurd", "positions past 2**32")
        return Entries(feed, start, tuple(entries))
    if kind == PART:
        feed, index = r.take(FEED_ID, "feed"), r.uint("index")
        total, offset = r.uint("total"), r.uint("offset")
        chunk = r.take(r.left(), "chunk")
        if not chunk or offset + len(chunk) > total or total > 65536:
            raise FrameError("absurd", f"part {offset}+{len(chunk)} of {total}")
        return Part(feed, index, total, offset, chunk)
    if kind == ANNOUNCE:
        feed = r.take(32, "feed")
        raw = r.take(r.left(), "name")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FrameError("malformed", "name is not UTF-8") from e
        if not name or len(raw) > MAX_NAME or not name.isprintable():
            raise FrameError("malformed", "a hub name is 1-40 printable bytes")
        return Announce(feed, name)
    if kind == CHECKPOINT:
        feed, size = r.take(FEED_ID, "feed"), r.uint("size")
        root, sig = r.take(32, "root"), r.take(64, "signature")
        if r.left():
            raise FrameError("malformed", "bytes after a checkpoint")
        return SignedCheckpoint(feed, size, root, sig)
    raise FrameError("unknown-type", f"0x{kind:02x}")


def pack_entries(feed: bytes, start: int, raws: list[bytes]) -> tuple[Entries | None, int]:
    """As many whole entries from ``raws`` as fit one frame, and how many that is.

    Returns ``(None, 0)`` when even the first entry does not fit (send it in parts).
    """
    size = 1 + FEED_ID + _uint_len(start)
    taken: list[bytes] = []
    for raw in raws:
        need = _uint_len(len(raw)) + len(raw)
        if size + need > MAX_FRAME:
            break
        taken.append(raw)
        size += need
    if not taken:
        return None, 0
    return Entries(feed, start, tuple(taken)), len(taken)


def split_parts(feed: bytes, index: int, raw: bytes) -> list[Part]:
    """An entry too large for one frame, as parts that each fill a frame."""
    parts: list[Part] = []
    offset = 0
    while offset < len(raw):
        head = 1 + FEED_ID + _uint_len(index) + _uint_len(len(raw)) + _uint_len(offset)
        chunk = raw[offset : offset + MAX_FRAME - head]
        parts.append(Part(feed, index, len(raw), offset, chunk))
        offset += len(chunk)
    return parts


def _uint_len(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)
