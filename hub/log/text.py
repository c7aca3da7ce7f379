"""The text policy: which characters a person's text may hold before it becomes history.

Signed entries are read by people, so a text must look like what it says. One policy, applied
at every boundary where text comes in (the radio desk, the portal's forms, the CLI and the
control socket through the daemon's ops, MQTT commands) and checked once more where an entry
is made (:func:`hub.log.entry.make_body`):

- text is normalised to Unicode NFC, so one visible text has one encoding;
- refused: C0/C1 control characters (line feed and tab only where a text may span lines),
  lone surrogates (not valid UTF-8), line and paragraph separators (U+2028/U+2029),
  and format characters (category Cf): zero-width space, word joiner, byte-order mark,
  bidi embeddings, overrides and isolates, Unicode tag characters, interlinear annotations,
  soft hyphen and the like;
- allowed: zero-width non-joiner and joiner (U+200C/U+200D), which Persian, Indic scripts
  and emoji sequences need; every letter, mark, digit, symbol and emoji of any script.

Refused, not stripped: a steward sees why and sends the text again, rather than a log that
silently differs from what was typed. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata

from hub.errors import InputError

JOINERS = frozenset("\u200c\u200d")
LINE_BREAKS = frozenset("\n\t")


def _name(ch: str) -> str:
    o = ord(ch)
    try:
        return f"U+{o:04X} {unicodedata.name(ch)}"
    except ValueError:
        return f"U+{o:04X}"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` breaks the policy (naming the first bad character), or None.

    It does not check normalisation; :func:`clean_text` normalises, :func:`check_text` refuses.
    """
    for ch in value:
        if ch.isprintable() or ch in JOINERS:
            continue  # the fast path: letters, marks, digits, symbols, spaces
        if multiline and ch in LINE_BREAKS:
            continue
        cat = unicodedata.category(ch)
        if cat == "Cs":
            return f"a lone surrogate ({_name(ch)}, not valid UTF-8)"
        if cat == "Cc":
            if ch in "\r\n":
                return "a line break (one line only here)"
            return f"a control character ({_name(ch)})"
        if cat in ("Zl", "Zp"):
            return f"a line or paragraph separator ({_name(ch)})"
        if cat == "Cf":
            return f"an invisible format character ({_name(ch)})"
        if cat == "Zs":
            continue  # no-break and other spaces are visible as space
        if cat in ("Co", "Cn"):
            continue  # private use and unassigned code points: shown as a box, not hidden
        return f"a character that is not printable ({_name(ch)})"
    return None


def clean_text(
    value: object,
    *,
    name: str = "text",
    multiline: bool = False,
    max_bytes: int | None = None,
    strip: bool = True,
) -> str:
    """``value`` as policy-clean NFC text; raises :class:`InputError` saying what is wrong."""
    if not isinstance(value, str):
        raise InputError(f"{name} must be text")
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InputError(f"{name} has {problem}")
    text = unicodedata.normalize("NFC", value)
    if strip:
        text = text.strip()
    if max_bytes is not None and len(text.encode("utf-8")) > max_bytes:
        raise InputError(f"{name} is longer than {max_bytes} bytes")
    return text


def check_text(value: str, *, name: str = "text", multiline: bool = True) -> None:
    """Refuse ``value`` unless it is already policy-clean NFC (where entries are made)."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InputError(f"{name} has {problem}")
    if not unicodedata.is_normalized("NFC", value):
        raise InputError(f"{name} is not in Unicode NFC form")
