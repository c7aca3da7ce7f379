"""The signed entry's body: kinds, fields and deterministic CBOR.

A body is the CBOR array ``[version, kind, time, time_source, author, *fields]``:

- ``version`` is 1;
- ``kind`` is an unsigned integer from :data:`KINDS` (unknown kinds still verify and display);
- ``time`` is the claimed Unix time in whole seconds; ``time_source`` one of
  :class:`TimeSource`; within a feed claimed time never goes backwards;
- ``author`` is a text handle (``""`` means the hub itself);
- the fields follow positionally, as named by the kind's schema. New fields are only ever
  appended, so old verifiers show newer entries with the extra fields unnamed.

Encoding uses cbor2 with ``canonical=True``: shortest integer and length forms,
definite lengths, no maps, so one body has exactly one encoding.
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cbor2

from hub.errors import EntryError
from hub.log.text import text_problem

FORMAT_VERSION = 1
FieldValue = int | str | bytes | None


class TimeSource(enum.IntEnum):
    UNSYNCED = 0
    GPS = 1
    MESH = 2
    NTP = 3
    MANUAL = 4


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: type
    optional: bool = False
    max_len: int = 1000


@dataclass(frozen=True, slots=True)
class KindSpec:
    code: int
    name: str
    fields: tuple[Field, ...]
    public: bool = True  # shown on the public portal log


def _text(name: str, optional: bool = False, max_len: int = 1000) -> Field:
    return Field(name, str, optional, max_len)


def _int(name: str, optional: bool = False) -> Field:
    return Field(name, int, optional)


KINDS: tuple[KindSpec, ...] = (
    KindSpec(1, "note", (_text("text"),)),
    KindSpec(2, "checkin", (_int("minutes", True), _text("text", True))),
    KindSpec(3, "checkout", (_text("text", True),)),
    KindSpec(4, "incident", (_text("text"),)),
    KindSpec(5, "alert", (_text("text"),)),
    KindSpec(6, "ack", (_int("alert"),)),
    KindSpec(7, "cancel", (_int("alert"), _text("text", True))),
    KindSpec(
        8,
        "enrol",
        (
            _text("handle", max_len=32),
            _text("role", max_len=32),
            _int("until"),
            _int("node", True),
            Field("pkey", bytes, True, 32),
        ),
    ),
    KindSpec(9, "revoke", (_text("handle", max_len=32), _text("text", True))),
    KindSpec(10, "charter", (_text("text", max_len=60000),)),
    KindSpec(11, "protocol", (_text("slug", max_len=64), _text("text", max_len=60000))),
    KindSpec(12, "vow", (_text("name", max_len=200), _text("text", max_len=4000))),
    KindSpec(13, "compact", (_text("name", True, max_len=80),)),
    KindSpec(14, "correction", (_int("target"), _text("text"), _int("retract", True))),
    KindSpec(
        15,
        "mandate",
        (
            _text("handle", max_len=32),
            _text("role", max_len=32),
            _int("until"),
            _text("text", True),
        ),
    ),
    KindSpec(16, "overdue", (_text("handle", max_len=32), _text("stage", max_len=32))),
    KindSpec(
        17,
        "peer",
        (Field("feed", bytes, False, 32), _text("name", max_len=64), _text("origin", True, 128)),
    ),
    KindSpec(18, "unpeer", (Field("feed", bytes, False, 32), _text("text", True))),
    KindSpec(
        19,
        "fork",
        (
            Field("feed", bytes, False, 32),
            _int("index"),
            Field("a", bytes, False, 65536),
            Field("b", bytes, False, 65536),
            Field("prev", bytes, True, 32),
        ),
    ),
    KindSpec(
        20,
        "audit",
        (
            _int("start"),
            _int("end"),
            _text("covers", max_len=8000),
            Field("digest", bytes, False, 32),
            _int("cycle", True),
        ),
    ),
    KindSpec(
        21,
        "proposal",
        (
            _text("what", max_len=16),
            _int("closes"),
            _text("voters", max_len=8000),
            _int("quorum"),
            _int("majority"),
            _text("handle", True, max_len=32),
            _text("role", True, max_len=32),
            _int("term", True),
            _text("text", True, max_len=60000),
        ),
    ),
    KindSpec(22, "vote", (_int("proposal"), _int("yes"), Field("at", bytes, True, 32))),
    KindSpec(
        23,
        "outcome",
        (
            _int("proposal"),
            _int("carried"),
            _int("yes"),
            _int("no"),
            _text("handle", True, max_len=32),
            _text("role", True, max_len=32),
            _int("until", True),
        ),
    ),
    # 27-31: privacy (docs/privacy.md). The details of a report and the text of a sealed
    # note are a box sealed under a per-entry key that is kept outside the log.
    KindSpec(
        27,
        "report",
        (
            _text("category", max_len=24),
            _text("place", True, max_len=48),
            Field("sid", bytes, True, 16),
            Field("box", bytes, True, 1200),
        ),
    ),
    KindSpec(28, "sealed-note", (Field("sid", bytes, False, 16), Field("box", bytes, False, 1200))),
    KindSpec(29, "retention", (_int("before"), _int("erased"))),
    KindSpec(
        30,
        "enrol-sealed",
        (
            _text("handle", max_len=32),
            _text("role", max_len=32),
            _int("until"),
            Field("pin", bytes, False, 80),
        ),
    ),
    # 31: a rollback (docs/witness.md): two heads signed by one hub, the later smaller
    KindSpec(
        31,
        "rollback",
        (
            Field("feed", bytes, False, 32),
            Field("a", bytes, False, 1000),
            Field("b", bytes, False, 1000),
        ),
    ),
    KindSpec(32, "witness", (_text("name", max_len=128), Field("key", bytes, False, 32))),
    KindSpec(
        33,
        "split-view",
        (
            Field("feed", bytes, False, 32),
            Field("a", bytes, False, 4000),
            Field("b", bytes, False, 4000),
            Field("by", bytes, True, 32),
        ),
    ),
    # 34: a hub's pin secrets sealed to one federated hub (docs/privacy.md, steward radios)
    KindSpec(34, "pin-share", (Field("feed", bytes, False, 32), Field("box", bytes, False, 176))),
)
BY_NAME: dict[str, KindSpec] = {k.name: k for k in KINDS}
BY_CODE: dict[int, KindSpec] = {k.code: k for k in KINDS}


def kind_name(code: int) -> str:
    spec = BY_CODE.get(code)
    return spec.name if spec else f"kind-{code}"


@dataclass(frozen=True, slots=True)
class Body:
    """A decoded entry body."""

    kind: int
    time: int
    time_source: TimeSource
    author: str
    fields: tuple[FieldValue, ...]

    @property
    def kind_name(self) -> str:
        return kind_name(self.kind)

    def named_fields(self) -> dict[str, FieldValue]:
        """The kind's fields by name; fields this version doesn't know are ``extra_<i>``."""
        spec = BY_CODE.get(self.kind)
        names = [f.name for f in spec.fields] if spec else []
        out: dict[str, FieldValue] = {}
        for i, value in enumerate(self.fields):
            out[names[i] if i < len(names) else f"extra_{i}"] = value
        return out

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind_name,
            "time": iso_time(self.time),
            "timestamp": self.time,
            "time_source": self.time_source.name.lower(),
            "author": self.author or "hub",
        }
        for name, value in self.named_fields().items():
            # `feed` names the feed an entry is in, wherever an entry is shown; an entry about
            # another hub's feed (peer, unpeer, fork, split-view, pin-share) names that one
            # `subject`, so the two can never be taken for each other
            key = "subject" if name == "feed" else name
            data[key] = value.hex() if isinstance(value, bytes) else value
        if self.kind_name == "correction":  # a flag on the wire (1), a boolean to readers
            data["retract"] = data.get("retract") == 1
        return data


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    """An entry as stored: which feed (the hub that recorded it), where, its bytes, its body.

    The one record every reader and listener gets, for the own feed and replicas alike.
    """

    feed: str
    index: int
    raw: bytes
    body: Body

    def to_json(self) -> dict[str, Any]:
        return {"feed": self.feed, "index": self.index, **self.body.to_json()}


def iso_time(t: int) -> str:
    try:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):  # past year 9999: a replica may claim it
        return str(t)


def _check_text(name: str, value: str, max_len: int) -> None:
    """The text policy of :mod:`hub.log.text` (NFC; no control or invisible characters)."""
    problem = text_problem(value, multiline=True)
    if problem is not None:
        raise EntryError(f"{name} contains {problem}")
    if not unicodedata.is_normalized("NFC", value):
        raise EntryError(f"{name} is not in Unicode NFC form")
    if len(value.encode("utf-8")) > max_len:
        raise EntryError(f"{name} is longer than {max_len} bytes")


def make_body(
    kind: str,
    fields: Mapping[str, FieldValue] | Sequence[FieldValue],
    *,
    time: int,
    time_source: TimeSource = TimeSource.UNSYNCED,
    author: str = "",
) -> Body:
    """Validate and build a body; raises :class:`EntryError` naming the bad field."""
    spec = BY_NAME.get(kind)
    if spec is None:
        raise EntryError(f"unknown entry kind {kind!r}")
    if not 0 <= time < 2**40:
        raise EntryError(f"time {time} out of range")
    _check_text("author", author, 32)
    if isinstance(fields, Mapping):
        unknown = set(fields) - {f.name for f in spec.fields}
        if unknown:
            raise EntryError(f"{kind} has no field {sorted(unknown)[0]!r}")
        values = [fields.get(f.name) for f in spec.fields]
    else:
        if len(fields) > len(spec.fields):
            raise EntryError(f"{kind} takes at most {len(spec.fields)} fields")
        values = list(fields) + [None] * (len(spec.fields) - len(fields))
    for f, v in zip(spec.fields, values, strict=True):
        if v is None:
            if not f.optional:
                raise EntryError(f"{kind} needs {f.name}")
            continue
        if f.type is int and (not isinstance(v, int) or isinstance(v, bool)):
            raise EntryError(f"{f.name} must be an integer")
        if f.type is str:
            if not isinstance(v, str):
                raise EntryError(f"{f.name} must be text")
            _check_text(f.name, v, f.max_len)
        if f.type is bytes and (not isinstance(v, bytes) or len(v) > f.max_len):
            raise EntryError(f"{f.name} must be at most {f.max_len} bytes")
        if isinstance(v, int) and not -(2**63) <= v < 2**64:
            raise EntryError(f"{f.name} out of range")
    while values and values[-1] is None:  # trailing optionals cost nothing
        values.pop()
    return Body(spec.code, time, time_source, author, tuple(values))


def encode_body(body: Body) -> bytes:
    items: list[Any] = [
        FORMAT_VERSION,
        body.kind,
        body.time,
        int(body.time_source),
        body.author,
        *body.fields,
    ]
    return cbor2.dumps(items, canonical=True)


_U64 = 1 << 64
_SOURCES = tuple(TimeSource)  # indexed by value: 0..4 are contiguous


def _items(data: bytes) -> list[Any]:
    """The body's items once every rule of :func:`decode_body` holds; raises :class:`EntryError`.

    This runs once per entry on every verify (``canopy log verify``, sync), so it is written
    for speed: exact ``type`` checks (a bool is not an int, a float or a bignum is not a
    CBOR unsigned integer) and one comparison per item.
    """
    try:
        items = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError) as e:
        raise EntryError(f"body is not valid CBOR: {e}") from e
    if type(items) is not list or len(items) < 5:
        raise EntryError("body is not an array of at least five items")
    version, kind, time, tsrc, author = items[:5]
    if type(version) is not int or version != FORMAT_VERSION:
        raise EntryError(f"unsupported body version {version!r}")
    if type(kind) is not int or not 0 <= kind < _U64:
        raise EntryError("body kind is not an unsigned integer")
    if type(time) is not int or not 0 <= time < _U64:
        raise EntryError("body time is not an unsigned integer")
    if type(tsrc) is not int or not 0 <= tsrc < len(_SOURCES):
        raise EntryError(f"unknown time source {tsrc!r}")
    if type(author) is not str:
        raise EntryError("body author is not text")
    for v in items[5:]:
        t = type(v)
        if not (v is None or t is str or t is bytes or (t is int and -_U64 <= v < _U64)):
            raise EntryError("body fields must be integers, text, bytes or null")
    if cbor2.dumps(items, canonical=True) != data:
        raise EntryError("body is not deterministically encoded")
    return items


def decode_body(data: bytes) -> Body:
    """Decode body bytes; raises :class:`EntryError` with the reason."""
    items = _items(data)
    return Body(items[1], items[2], _SOURCES[items[3]], items[4], tuple(items[5:]))


def body_time(data: bytes) -> int:
    """The claimed time of a valid body: every check of :func:`decode_body`, without
    building the :class:`Body` (the verifier's hot loop needs only the time)."""
    time: int = _items(data)[2]
    return time
