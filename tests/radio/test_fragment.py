"""Fragmenter: parts ≤ 200 bytes incl. tag, lossless, never cutting a character."""

from __future__ import annotations

import random

import pytest

from radio.errors import RadioInputError
from radio.fragment import MAX_TEXT_BYTES, clusters, parse_tag, split_text

# Pieces chosen to be hard: multi-byte scripts, RTL text and controls, combining marks,
# emoji sequences (ZWJ, skin tones, flags, keycaps, tags), 4-byte code points, controls.
# fmt: off
HOSTILE = [
    "a", "Z", " ", " ", "\n", "\r\n", "\t", "\x00", "é", "e\u0301", "n\u0303\u0308",
    "Привет", "שלום", "مرحبا", "\u200f", "\u202e", "\u2066", "\u200b", "\ufeff",
    "日本語", "한국어", "𝄞", "𐍈", "👋", "👋🏽", "👩‍👩‍👧‍👦", "🧑🏿‍🚒", "🇫🇷", "🇺🇦🇪🇺",
    "1️⃣", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "Z\u0351\u0300\u036b",
    "ﷺ", "\u202eevil\u202c", "[1/2] ", "[", "]", "/",
]
# fmt: on


def random_text(rng: random.Random, max_pieces: int) -> str:
    return "".join(rng.choice(HOSTILE) for _ in range(rng.randint(1, max_pieces)))


def check_parts(text: str, parts: list[str], limit: int) -> None:
    assert all(len(p.encode("utf-8")) <= limit for p in parts)
    if len(text.encode("utf-8")) <= limit:
        assert parts == [text]
        return
    n = len(parts)
    assert n >= 2
    bodies = []
    for k, part in enumerate(parts, start=1):
        tag = parse_tag(part)
        assert tag is not None, part
        assert tag[:2] == (k, n)
        assert tag[2], "empty body"
        bodies.append(tag[2])
    assert "".join(bodies) == text
    assert b"".join(b.encode("utf-8") for b in bodies) == text.encode("utf-8")
    # Every cut is between user-perceived characters, unless that character alone is
    # bigger than a body (then between code points, which str slicing guarantees). The body
    # budget may have been sized for a tag one digit wider than the final count needs.
    edges, pos = {0}, 0
    oversize: list[tuple[int, int]] = []
    body_limit = limit - len(f"[{n}/{n}] ") - 2
    for c in clusters(text):
        if len(c.encode("utf-8")) > body_limit:
            oversize.append((pos, pos + len(c)))
        pos += len(c)
        edges.add(pos)
    cut = 0
    for body in bodies[:-1]:
        cut += len(body)
        assert cut in edges or any(a < cut < b for a, b in oversize), (text, cut)


def test_short_text_is_untagged() -> None:
    assert split_text("hello") == ["hello"]
    exact = "é" * 100  # 200 bytes
    assert split_text(exact) == [exact]


def test_one_byte_over_gets_two_tagged_parts() -> None:
    text = "x" * 201
    parts = split_text(text)
    assert [p[:6] for p in parts] == ["[1/2] ", "[2/2] "]
    check_parts(text, parts, MAX_TEXT_BYTES)


def test_many_random_hostile_texts() -> None:
    rng = random.Random(20261125)
    for _ in range(1000):
        text = random_text(rng, rng.choice((5, 40, 200, 600)))
        limit = rng.choice((MAX_TEXT_BYTES, MAX_TEXT_BYTES, 16, 17, 31, 64, 233))
        check_parts(text, split_text(text, limit), limit)


def test_emoji_sequences_stay_whole() -> None:
    family = "👩‍👩‍👧‍👦"  # 25 bytes, 7 code points
    text = family * 20
    parts = split_text(text)
    for part in parts:
        body = parse_tag(part)
        assert body is not None
        assert body[2] == family * (len(body[2]) // len(family))


def test_rtl_and_combining_marks_stay_with_their_base() -> None:
    text = ("שָׁלוֹם " + "e\u0301\u0302\u0303 ") * 40
    parts = split_text(text)
    check_parts(text, parts, MAX_TEXT_BYTES)
    for part in parts[1:]:
        body = parse_tag(part)
        assert body is not None
        assert clusters(body[2])[0][0] not in "\u0301\u0302\u0303\u05b8\u05c1\u05b9"


def test_character_bigger_than_a_part_is_cut_between_code_points() -> None:
    zalgo = "e" + "\u0301" * 300  # one cluster of 601 bytes
    parts = split_text(zalgo)
    check_parts(zalgo, parts, MAX_TEXT_BYTES)
    assert len(parts) == 4


def test_prefers_breaking_after_whitespace() -> None:
    text = " ".join(f"word{i:03d}" for i in range(120))
    parts = split_text(text)
    check_parts(text, parts, MAX_TEXT_BYTES)
    for part in parts[:-1]:
        assert part.endswith(" ")


def test_tag_width_grows_with_part_count() -> None:
    text = "y" * 30_000
    parts = split_text(text)
    assert len(parts) >= 100
    assert parts[0].startswith("[1/") and parts[-1].startswith(f"[{len(parts)}/{len(parts)}] ")
    check_parts(text, parts, MAX_TEXT_BYTES)


@pytest.mark.parametrize(
    ("text", "limit", "max_parts"),
    [
        ("", MAX_TEXT_BYTES, None),
        ("bad \ud800 surrogate", MAX_TEXT_BYTES, None),
        ("x" * 50, 15, None),
        ("x" * 1000, MAX_TEXT_BYTES, 3),
    ],
)
def test_rejects_bad_input(text: str, limit: int, max_parts: int | None) -> None:
    with pytest.raises(RadioInputError):
        split_text(text, limit, max_parts)


def test_parse_tag() -> None:
    assert parse_tag("[2/3] body") == (2, 3, "body")
    assert parse_tag("no tag") is None
    assert parse_tag("[4/3] k > n") is None
    assert parse_tag("[0/3] zero") is None
    assert parse_tag("[1/2]no space") is None
