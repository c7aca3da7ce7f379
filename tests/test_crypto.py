"""Key files, typed signature errors, entry framing, C2SP signed notes and checkpoints.

The signed-note known answer is the example of Go's ``golang.org/x/mod/sumdb/note``
(package documentation and ``TestSign``): reproduced byte for byte and opened here.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crypto.entrysig import (
    ZERO_HASH,
    entry_length,
    sign_entry,
    signed_message,
    split_entry,
    verify_entry,
)
from crypto.errors import BadSignature, CryptoError, KeyFileError, MalformedData, ProofError
from crypto.keys import PublicKey, SigningKey, load_key_file, write_key_file
from crypto.note import (
    Checkpoint,
    Verifier,
    key_id,
    open_note,
    parse_note,
    parse_signer_key,
    sign_note,
)

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG_LINE = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n" + GO_SIG_LINE + "\n"

SEED = bytes(range(32))


@pytest.fixture
def key() -> SigningKey:
    return SigningKey(SEED)


@pytest.fixture
def umask_zero() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# --- key files ----------------------------------------------------------------------------


def test_key_file_is_created_0600_and_round_trips(tmp_path: Path, key: SigningKey) -> None:
    path = tmp_path / "hub.key"
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="ascii") == SEED.hex() + "\n"
    assert load_key_file(path).public == key.public


def test_key_file_is_0600_even_with_a_permissive_umask(
    tmp_path: Path, key: SigningKey, umask_zero: None
) -> None:
    path = tmp_path / "hub.key"
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_file_refuses_to_overwrite(tmp_path: Path, key: SigningKey) -> None:
    path = tmp_path / "hub.key"
    path.write_text("precious\n")
    with pytest.raises(KeyFileError, match="already exists"):
        write_key_file(path, key)
    assert path.read_text() == "precious\n"


def test_key_file_in_missing_directory_is_a_key_file_error(tmp_path: Path, key: SigningKey) -> None:
    with pytest.raises(KeyFileError, match="cannot create"):
        write_key_file(tmp_path / "nope" / "hub.key", key)


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o660, 0o606])
def test_key_file_readable_by_others_is_refused_naming_chmod(
    tmp_path: Path, key: SigningKey, mode: int
) -> None:
    path = tmp_path / "hub.key"
    write_key_file(path, key)
    path.chmod(mode)
    with pytest.raises(KeyFileError) as info:
        load_key_file(path)
    msg = str(info.value)
    assert f"chmod 600 {path}" in msg
    assert f"{mode:04o}" in msg


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="missing"):
        load_key_file(tmp_path / "absent.key")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not hex at all\n",
        b"00" * 31 + b"\n",
        b"00" * 33 + b"\n",
        b"\xff\xfe\x00garbage",
        SEED.hex().encode() + b" trailing\n",
    ],
)
def test_garbage_key_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "hub.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=r"hub\.key"):
        load_key_file(path)


def test_key_file_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.key"
    path.mkdir(mode=0o700)
    path.chmod(0o700)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key_file(path)


# --- keys and signatures --------------------------------------------------------------------


def test_sign_and_verify(key: SigningKey) -> None:
    sig = key.sign(b"message")
    assert len(sig) == 64
    key.public.verify(b"message", sig)
    assert key.sign(b"message") == sig  # Ed25519 is deterministic


@pytest.mark.parametrize(
    ("message", "mutate"),
    [
        (b"messagE", lambda s: s),
        (b"message", lambda s: bytes([s[0] ^ 1]) + s[1:]),
        (b"message", lambda s: s[:-1]),
        (b"message", lambda s: s + b"\x00"),
        (b"message", lambda s: b""),
        (b"message", lambda s: bytes(64)),
    ],
)
def test_bad_signature_raises_typed_error(
    key: SigningKey, message: bytes, mutate: Callable[[bytes], bytes]
) -> None:
    sig = key.sign(b"message")
    with pytest.raises(BadSignature):
        key.public.verify(message, mutate(sig))


def test_signature_from_another_key_is_bad(key: SigningKey) -> None:
    other = SigningKey(bytes(32))
    with pytest.raises(BadSignature):
        other.public.verify(b"m", key.sign(b"m"))


def test_malformed_keys_raise_malformed_data() -> None:
    with pytest.raises(MalformedData):
        PublicKey(bytes(31))
    with pytest.raises(MalformedData):
        PublicKey.from_hex("zz" * 32)
    with pytest.raises(MalformedData):
        PublicKey.from_hex("00" * 33)
    with pytest.raises(MalformedData):
        SigningKey(bytes(33))


def test_error_classes_share_one_root() -> None:
    for cls in (BadSignature, MalformedData, KeyFileError, ProofError):
        assert issubclass(cls, CryptoError)


def test_signing_key_repr_hides_the_seed(key: SigningKey) -> None:
    text = repr(key)
    assert SEED.hex() not in text and SEED.hex()[:16] not in text
    assert key.public.hex()[:16] in text


# --- entry framing and the shadow header ------------------------------------------------


def test_entry_round_trip_and_header_forms(key: SigningKey) -> None:
    for seq, n in enumerate([0, 23, 24, 255, 256, 65535]):
        prev = ZERO_HASH if seq == 0 else bytes([seq]) * 32
        body = bytes([seq]) * n
        entry = sign_entry(key, seq, prev, body)
        head = {0: 0x40, 23: 0x57, 24: 0x58, 255: 0x58, 256: 0x59, 65535: 0x59}[n]
        assert entry[0] == 0x82 and entry[1] == head
        assert split_entry(entry) == (body, entry[-64:])
        assert entry_length(b"junk" + entry + b"more", 4) == len(entry)
        assert verify_entry(key.public, seq, prev, entry) == body


def test_signed_message_layout(key: SigningKey) -> None:
    msg = signed_message(key.public, 258, b"\xaa" * 32, b"body")
    assert msg == b"canopy-entry-v1\x00" + key.public.raw + bytes(
        6
    ) + b"\x01\x02" + b"\xaa" * 32 + (b"body")


def test_entry_errors_are_typed(key: SigningKey) -> None:
    entry = sign_entry(key, 3, b"\x01" * 32, b"body")
    with pytest.raises(BadSignature, match="entry 4"):
        verify_entry(key.public, 4, b"\x01" * 32, entry)
    with pytest.raises(BadSignature):
        verify_entry(key.public, 3, ZERO_HASH, entry)
    with pytest.raises(BadSignature):
        verify_entry(SigningKey(bytes(32)).public, 3, b"\x01" * 32, entry)
    with pytest.raises(MalformedData):
        verify_entry(key.public, 3, b"\x01" * 32, entry[:-1])
    with pytest.raises(MalformedData):
        verify_entry(key.public, 3, b"\x01" * 32, entry + b"\x00")
    with pytest.raises(MalformedData):
        signed_message(key.public, -1, ZERO_HASH, b"")
    with pytest.raises(MalformedData):
        signed_message(key.public, 2**64, ZERO_HASH, b"")
    with pytest.raises(MalformedData):
        signed_message(key.public, 0, bytes(31), b"")
    with pytest.raises(MalformedData, match="exceeds"):
        sign_entry(key, 0, ZERO_HASH, bytes(65536))


@pytest.mark.parametrize(
    "entry",
    [
        b"",
        b"\x82",
        b"\x82\x40",
        b"\x82\x58\x05" + bytes(5) + b"\x58\x40" + bytes(64),  # non-minimal 1-byte length
        b"\x82\x59\x00\x05" + bytes(5) + b"\x58\x40" + bytes(64),  # non-minimal 2-byte length
        b"\x82\x5a\x00\x00\x00\x05" + bytes(5) + b"\x58\x40" + bytes(64),  # 4-byte length
        b"\x82\x5f\x45" + bytes(5) + b"\xff\x58\x40" + bytes(64),  # indefinite
        b"\x83\x45" + bytes(5) + b"\x58\x40" + bytes(64),
        b"\x82\x45" + bytes(5) + b"\x58\x3f" + bytes(63),
        b"\x82\x45" + bytes(5) + b"\x59\x00\x40" + bytes(64),
        b"\x82\x60" + b"\x58\x40" + bytes(64),  # text instead of bytes
    ],
)
def test_malformed_entry_framing_is_refused(entry: bytes) -> None:
    with pytest.raises(MalformedData):
        split_entry(entry)


def test_entry_length_refuses_truncated_sequences(key: SigningKey) -> None:
    entry = sign_entry(key, 0, ZERO_HASH, b"x" * 30)
    for cut in (0, 1, 2, len(entry) - 1):
        with pytest.raises(MalformedData):
            entry_length(entry[:cut], 0)
    with pytest.raises(MalformedData):
        entry_length(b"\x00" + entry, 0)


# --- C2SP signed notes: the Go sumdb/note example ----------------------------------------


def test_go_note_example_is_reproduced_byte_for_byte() -> None:
    name, skey = parse_signer_key(GO_SKEY)
    assert name == "PeterNeumann"
    verifier = Verifier.parse(GO_VKEY)
    assert skey.public == verifier.public
    assert verifier.key_id.hex() == "c74f20a3"
    assert key_id(name, skey.public) == bytes.fromhex("c74f20a3")
    assert verifier.to_string() == GO_VKEY
    assert sign_note(GO_TEXT, name, skey) == GO_NOTE


def test_go_note_example_opens() -> None:
    note = open_note(GO_NOTE, [Verifier.parse(GO_VKEY)])
    assert note.text == GO_TEXT
    assert len(note.signatures) == 1
    name, kid, sig = note.signatures[0]
    assert (name, kid.hex(), len(sig)) == ("PeterNeumann", "c74f20a3", 64)


def test_note_with_unknown_cosignature_still_opens() -> None:
    other = SigningKey(bytes(32))
    cosig = sign_note(GO_TEXT, "witness.example", other).split("\n\n", 1)[1]
    note = open_note(GO_NOTE + cosig, [Verifier.parse(GO_VKEY)])
    assert [s[0] for s in note.signatures] == ["PeterNeumann", "witness.example"]
    # ... and with both verifiers known, both are checked.
    both = [Verifier.parse(GO_VKEY), Verifier("witness.example", other.public)]
    assert len(open_note(GO_NOTE + cosig, both).signatures) == 2


def _flip_b64(line: str) -> str:
    prefix, blob = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}"


@pytest.mark.parametrize(
    "note",
    [
        GO_NOTE.replace("cryptography", "Cryptography"),
        GO_TEXT + "\n" + _flip_b64(GO_SIG_LINE) + "\n",
        GO_NOTE + _flip_b64(GO_SIG_LINE) + "\n",  # a second, bad line by the known key
        GO_NOTE.replace("PeterNeumann", "PeterNeuman"),  # name no longer matches: unknown key
    ],
)
def test_mangled_note_signatures_are_bad(note: str) -> None:
    with pytest.raises(BadSignature):
        open_note(note, [Verifier.parse(GO_VKEY)])


@pytest.mark.parametrize(
    "note",
    [
        GO_NOTE.replace("\n\n", "\n"),  # no blank line
        GO_NOTE[:-1],  # no final newline
        GO_NOTE.replace("— ", "- "),  # hyphen instead of em dash
        GO_NOTE.replace("— ", "—"),  # no space after the dash
        GO_NOTE.replace("PeterNeumann ", "Peter Neumann "),  # space in the name
        GO_NOTE.replace("x08go/", "x08go*"),  # not base64
        GO_TEXT + "\n— PeterNeumann AAAA\n",  # shorter than a key ID and a signature
        GO_TEXT + "\n",  # no signature lines
        GO_TEXT.replace("\n", "\x01", 1) + "\n" + GO_SIG_LINE + "\n",  # control character
        "x" * 1_000_001,
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(MalformedData):
        open_note(note, [Verifier.parse(GO_VKEY)])


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # short key ID
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # algorithm 0x02
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short key
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!",  # not base64
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # empty name
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(MalformedData):
        Verifier.parse(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        GO_SKEY.replace("PRIVATE+KEY+", ""),
        GO_SKEY.replace("c74f20a3", "c74f20a4"),
        GO_SKEY.replace("+AYEK", "+AoEK"),  # algorithm byte 0x02
        GO_SKEY[:-4],
        GO_SKEY.replace("PeterNeumann", "Peter Neumann"),
    ],
)
def test_malformed_signer_keys_are_refused(skey: str) -> None:
    with pytest.raises(MalformedData):
        parse_signer_key(skey)


@pytest.mark.parametrize(
    ("text", "name"),
    [("no newline", "n"), ("bell \x07\n", "n"), ("ok\n", "has space"), ("ok\n", "a+b")],
)
def test_sign_note_refuses_bad_text_or_name(key: SigningKey, text: str, name: str) -> None:
    with pytest.raises(MalformedData):
        sign_note(text, name, key)


def test_parse_note_splits_at_the_last_blank_line() -> None:
    text = "line one\n\nline three\n"  # a blank line inside the text is allowed ...
    note = parse_note(text + "\n" + GO_SIG_LINE + "\n")
    assert note.text == text  # ... because the split is at the last one


# --- checkpoints ----------------------------------------------------------------------------

ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()


def test_checkpoint_body_round_trip() -> None:
    cp = Checkpoint("canopy/corner-shop/d75a980182b10ab7", 9, ROOT)
    assert cp.body() == f"canopy/corner-shop/d75a980182b10ab7\n9\n{ROOT_B64}\n"
    assert Checkpoint.parse(cp.body()) == cp
    ext = Checkpoint("o", 0, ROOT, ("ext one", "ext two"))
    assert Checkpoint.parse(ext.body()) == ext


@pytest.mark.parametrize(
    "text",
    [
        f"o\n01\n{ROOT_B64}\n",  # leading zero
        f"o\n-1\n{ROOT_B64}\n",
        f"o\n+1\n{ROOT_B64}\n",
        f"o\n 1\n{ROOT_B64}\n",
        f"o\n1.0\n{ROOT_B64}\n",
        f"o\n\n{ROOT_B64}\n",
        f"\n1\n{ROOT_B64}\n",  # empty origin
        f"o\n1\n{ROOT_B64}",  # no final newline
        "o\n1\n",
        f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n",  # root of 31 bytes
        f"o\n1\n{ROOT_B64.rstrip('=')}\n",  # padding removed
        "o\n1\n!!!!\n",
        "",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(MalformedData):
        Checkpoint.parse(text)


CHECKPOINT_DIGITS_BUG = (
    "BUG in crypto/note.py Checkpoint.parse: the size check uses str.isdigit(), which is "
    "true for non-ASCII digits, so {size!r} {outcome}. C2SP tlog-checkpoint sizes are ASCII "
    'decimal. Fix: replace the check with `if not re.fullmatch(r"0|[1-9][0-9]*", size_s):`.'
)


@pytest.mark.parametrize("size", ["١٢", "²"])
def test_checkpoint_size_must_be_ascii_decimal(size: str) -> None:
    text = f"o\n{size}\n{ROOT_B64}\n"
    try:
        cp = Checkpoint.parse(text)
    except MalformedData:
        return
    except Exception as e:  # anything else escapes the typed-error contract
        raise AssertionError(
            CHECKPOINT_DIGITS_BUG.format(size=size, outcome=f"raises {type(e).__name__}: {e}")
        ) from e
    raise AssertionError(
        CHECKPOINT_DIGITS_BUG.format(size=size, outcome=f"is accepted as size {cp.size}")
    )
