"""Sync frames: the bytes hubs exchange on the mesh (and over MQTT), encoded and checked.

Sans-IO and strict: :func:`decode` takes the payload of one packet and returns a frame or
raises :class:`FrameError` with a short ``reason`` (the caller counts it and drops the
packet). Nothing here knows about feeds beyond their 4-byte ids; entries are opaque bytes
until the store verifies them. The layout, byte by byte, is in ``docs/sync.md``.

Every frame starts with its type byte; integers are unsigned LEB128 varints (at most 5
bytes, values below 2**32), feed ids are the first 4 bytes of the feed's Ed25519 key.

Entries travel as one byte stream per answer: each entry in its *air form* (body length
as a varint, the body, the 64-byte signature; the receiver rebuilds the stored CBOR
framing, see :mod:`hub.sync.stream`), consecutive entries back to back, cut into frames
wherever a frame is full. A frame says where in the stream it begins (entry, byte), so
each one can be read on its own, and one lost frame costs only the entries it touched.
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
MAX_BODY = 65535  # bytes of an entry body (crypto.entrysig.MAX_BODY)
SIG = 64  # bytes of an entry's Ed25519 signature
MAX_AIR = 3 + MAX_BODY + SIG  # bytes of the largest entry in its air form

SUMMARY = 0x01
REQUEST = 0x02
ENTRIES = 0x03
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
    """Send me entries ``[start, start + count)`` of ``feed``; no session, no state. A
    repair names the bytes the asker already holds at both ends: ``skip`` bytes of entry
    ``start``'s air form (the answer begins after them) and, when ``upto`` is not 0, the
    last asked entry's air form from byte ``upto`` on (the answer stops before it)."""

    feed: bytes
    start: int
    count: int
    skip: int = 0
    upto: int = 0


@dataclass(frozen=True, slots=True)
class Entries:
    """A piece of the byte stream of consecutive entries of ``feed`` (air forms, back to
    back): it begins at byte ``offset`` of entry ``index``'s air form. When ``offset`` is
    not 0, ``length`` is that entry's air-form length (else 0), so the frame can be read
    without the frames before it."""

    feed: bytes
    index: int
    offset: int
    length: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Pieces:
    """An :class:`Entries` frame read: ``lead`` continues entry ``index`` (when its offset
    is not 0), then whole entries (air forms) from position ``first`` on, then ``tail``:
    the first bytes of the entry after them (empty when the frame ends on a boundary)."""

    lead: bytes
    first: int
    entries: tuple[bytes, ...]
    tail: bytes


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


Frame = Summary | Request | Entries | Announce | SignedCheckpoint


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


class Reader:
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
        _check_range(frame.count, frame.skip, frame.upto, ValueError)
        if frame.skip or frame.upto:
            put_uint(out, frame.skip)
        if frame.upto:
            put_uint(out, frame.upto)
    elif isinstance(frame, Entries):
        pieces(frame, ValueError)
        out.append(ENTRIES)
        out += _id(frame.feed, FEED_ID)
        put_uint(out, frame.index)
        put_uint(out, frame.offset)
        if frame.offset:
            put_uint(out, frame.length)
        out += frame.data
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
    r = Reader(data)
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
        has_skip = r.left() > 0
        skip = r.uint("skip") if has_skip else 0
        has_upto = r.left() > 0
        upto = r.uint("upto") if has_upto else 0
        if r.left():
            raise FrameError("malformed", "bytes after a request")
        if not 1 <= count <= MAX_COUNT:
            raise FrameError("absurd", f"count {count}")
        if (has_upto and not upto) or (has_skip and not has_upto and not skip):
            raise FrameError("malformed", "a repair range sent with nothing in it")
        _check_range(count, skip, upto, FrameError)
        return Request(feed, start, count, skip, upto)
    if kind == ENTRIES:
        feed, index, offset = r.take(FEED_ID, "feed"), r.uint("index"), r.uint("offset")
        length = r.uint("length") if offset else 0
        e = Entries(feed, index, offset, length, r.take(r.left(), "stream"))
        pieces(e)
        return e
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


def _check_range(count: int, skip: int, upto: int, error: type[Exception]) -> None:
    """A repair's byte range must be inside entries: ``skip`` and ``upto`` below the
    largest air form, and before each other when both fall in the one entry asked."""
    ok = skip < MAX_AIR and upto < MAX_AIR and not (count == 1 and upto and upto <= skip)
    if not ok:
        detail = f"bytes {skip}..{upto} of {count} entries"
        raise FrameError("absurd", detail) if error is FrameError else error(detail)


def pieces(e: Entries, error: type[Exception] = FrameError) -> Pieces:
    """Read an entries frame: where each entry begins and ends in it. Raises ``error``
    (:class:`FrameError` with a reason, or ``ValueError`` when encoding) for a stream that
    cannot be a run of entries in their air form."""

    def bad(reason: str, detail: str) -> Exception:
        return FrameError(reason, detail) if error is FrameError else error(detail)

    data, n = e.data, len(e.data)
    if not n:
        raise bad("malformed", "an entries frame carries at least one byte of an entry")
    pos, lead = 0, b""
    if e.offset:
        if not 0 < e.offset < e.length <= MAX_AIR:
            raise bad("absurd", f"byte {e.offset} of a {e.length}-byte entry")
        pos = min(e.length - e.offset, n)
        lead = data[:pos]
    elif e.length:
        raise bad("malformed", "a length without an offset")
    first = e.index + (1 if e.offset else 0)
    whole: list[bytes] = []
    try:
        while pos < n:
            size = air_length(data, pos)
            if size is None or pos + size > n:
                break
            whole.append(data[pos : pos + size])
            pos += size
    except FrameError as x:
        raise bad(x.reason, str(x)) from None
    if first + len(whole) + 1 > 2**32:
        raise bad("absurd", "positions past 2**32")
    return Pieces(lead, first, tuple(whole), data[pos:])


def air_length(data: bytes, pos: int) -> int | None:
    """Bytes of the air-form entry starting at ``data[pos]``; None when ``data`` ends
    before its body length does. Raises :class:`FrameError` for a length no entry has."""
    n = 0
    for i, shift in enumerate(range(0, 21, 7)):
        if pos + i >= len(data):
            return None
        b = data[pos + i]
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            if (i and b == 0) or not 0 < n <= MAX_BODY:
                raise FrameError("malformed", f"an entry body of {n} bytes")
            return i + 1 + n + SIG
    raise FrameError("malformed", "an entry body length too long")


def uint_len(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)
