"""Split long texts into LoRa-sized parts on character boundaries (sans-IO).

Invariants of :func:`split_text`:

- every part is at most ``limit`` bytes of UTF-8 (200 by default), *including* its tag;
- a text that fits in one part is returned unchanged and untagged;
- otherwise each part starts with the tag ``"[k/n] "`` (k = 1..n) and the bodies, concatenated
  in order, give back the original text exactly;
- no code point is ever cut, and a user-perceived character (a base letter with its
  combining marks, an emoji ZWJ sequence with modifiers and variation selectors, a flag made of
  two regional indicators, CR LF) is kept whole unless it alone is larger than a part, in which
  case it is cut between code points;
- a break after whitespace is preferred when it costs less than half a part.
"""

from __future__ import annotations

import re
import unicodedata

from hub.mesh import MAX_TEXT_BYTES as MAX_TEXT_BYTES  # the default limit, re-exported
from radio.errors import RadioInputError

_MIN_LIMIT = 16
_TAG_RE = re.compile(r"\[([1-9][0-9]{0,3})/([1-9][0-9]{0,3})\] ")
_ZWJ = "\u200d"


def _is_extender(ch: str) -> bool:
    """True when ``ch`` belongs to the character before it (never starts a new cluster)."""
    cp = ord(ch)
    if ch == _ZWJ or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return True  # joiner, variation selectors
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:
        return True  # emoji skin-tone modifiers, emoji tag sequences
    return unicodedata.combining(ch) != 0 or unicodedata.category(ch) in ("Mn", "Mc", "Me")


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def clusters(text: str) -> list[str]:
    """Split ``text`` into user-perceived characters (an approximation of grapheme clusters)."""
    out: list[str] = []
    for ch in text:
        if out:
            prev = out[-1]
            joins = (
                _is_extender(ch)
                or prev.endswith(_ZWJ)
                or (prev == "\r" and ch == "\n")
                or (len(prev) == 1 and _is_regional_indicator(prev) and _is_regional_indicator(ch))
            )
            if joins:
                out[-1] = prev + ch
                continue
        out.append(ch)
    return out


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8"))


def _pack(units: list[str], body_limit: int) -> list[str]:
    """Greedily pack clusters into bodies of at most ``body_limit`` bytes."""
    bodies: list[str] = []
    current: list[str] = []
    size = 0
    last_space = -1  # index in ``current`` just after the last whitespace cluster
    for unit in units:
        n = _utf8_len(unit)
        if n > body_limit:
            # One cluster bigger than a part: fall back to code points (each ≤ 4 bytes).
            for cp in unit:
                if size + _utf8_len(cp) > body_limit:
                    bodies.append("".join(current))
                    current, size, last_space = [], 0, -1
                current.append(cp)
                size += _utf8_len(cp)
            continue
        if size + n > body_limit:
            cut = len(current)
            if last_space > 0 and size - _utf8_len("".join(current[:last_space])) < body_limit // 2:
                cut = last_space  # the carried-over word has no whitespace in it
            bodies.append("".join(current[:cut]))
            current = current[cut:]
            size = _utf8_len("".join(current))
            last_space = -1
            if size + n > body_limit:
                bodies.append("".join(current))
                current, size = [], 0
        current.append(unit)
        size += n
        if unit.isspace():
            last_space = len(current)
    if current:
        bodies.append("".join(current))
    return bodies


def split_text(text: str, limit: int = MAX_TEXT_BYTES, max_parts: int | None = None) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-8 bytes each, tag included.

    :raises RadioInputError: empty text, text that cannot be encoded as UTF-8 (lone
        surrogates), a ``limit`` below 16 bytes, or more than ``max_parts`` parts.
    """
    if limit < _MIN_LIMIT:
        raise RadioInputError(f"part limit {limit} is below {_MIN_LIMIT} bytes")
    if not text:
        raise RadioInputError("empty text")
    try:
        size = _utf8_len(text)
    except UnicodeEncodeError as e:
        raise RadioInputError(f"text is not encodable as UTF-8: {e.reason}") from e
    if size <= limit:
        return [text]
    units = clusters(text)
    digits = 1
    while True:
        tag_len = len("[/] ") + 2 * digits
        bodies = _pack(units, limit - tag_len)
        if len(str(len(bodies))) <= digits:
            break
        digits += 1
    n = len(bodies)
    if max_parts is not None and n > max_parts:
        raise RadioInputError(f"text needs {n} parts, more than the {max_parts} allowed")
    return [f"[{k}/{n}] {body}" for k, body in enumerate(bodies, start=1)]


def parse_tag(part: str) -> tuple[int, int, str] | None:
    """Read a ``"[k/n] "`` tag: return ``(k, n, body)``, or None for an untagged text."""
    m = _TAG_RE.match(part)
    if m is None:
        return None
    k, n = int(m.group(1)), int(m.group(2))
    if k > n:
        return None
    return k, n, part[m.end() :]
