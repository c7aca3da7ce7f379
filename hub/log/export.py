"""Export a feed as a verifiable bundle, and verify such a bundle.

A bundle directory holds, per feed ``<hex>`` (the 64-hex feed key):

- ``<hex>.entries``: an RFC 8742 CBOR sequence; each item is an entry's exact stored
  bytes (so each item is also the Merkle leaf input), in feed order from index 0;
- ``<hex>.checkpoint``: the hub's signed C2SP checkpoint note covering exactly those entries;
- ``<hex>.vkey``: the verifier key (``name+keyid+base64``) whose key is the feed key.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.note import Checkpoint, Verifier, parse_note
from hub.errors import InputError, VerifyError
from hub.local import atomic_write
from hub.log.parallel import verify_parallel, worth_parallel
from hub.log.verify import VerifiedFeed, split_sequence, verify_checkpoint, verify_entries
from hub.log.view import LogView


def export_feed(view: LogView, verifier: Verifier, note: str, out: Path) -> list[Path]:
    """Write the bundle files of the feed of ``verifier``'s key, up to the checkpoint's size
    (the own feed with its own checkpoint, or a replica with its origin's)."""
    cp = Checkpoint.parse(parse_note(note).text)
    feed = verifier.public.raw.hex()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create {out}: {e.strerror}") from e
    reader = view.reader(feed)
    data = b"".join(reader.read_range(0, cp.size))
    paths = [out / f"{feed}.entries", out / f"{feed}.checkpoint", out / f"{feed}.vkey"]
    try:
        atomic_write(paths[0], data)
        atomic_write(paths[1], note.encode("utf-8"))
        atomic_write(paths[2], (verifier.to_string() + "\n").encode())
    except OSError as e:
        raise InputError(f"cannot write the bundle in {out}: {e.strerror}") from e
    return paths


def verify_bundle(
    bundle: Path, pinned: Verifier | None = None, show_progress: bool = False, jobs: int = 1
) -> Iterator[str]:
    """Verify every feed in ``bundle``; yield one summary line per feed.

    A long feed's signatures are checked on ``jobs`` processes (:mod:`hub.log.parallel`).
    Raises :class:`VerifyError` naming the first problem, the same whatever ``jobs``.
    """
    files = sorted(bundle.glob("*.entries"))
    if not files:
        raise VerifyError(f"no *.entries file in {bundle}")
    for path in files:
        feed_hex = path.stem
        try:
            feed = PublicKey.from_hex(feed_hex)
        except CryptoError as e:
            raise VerifyError(f"{path.name}: file name is not a feed key") from e
        verifier = _verifier_for(bundle, feed, pinned)
        entries = split_sequence(_read(path))
        if show_progress and len(entries) > 5000:
            with click.progressbar(
                length=len(entries), label=f"verifying {feed_hex[:12]}…", file=sys.stderr
            ) as bar:
                verified = _verify(feed, entries, jobs, bar.update)
        else:
            verified = _verify(feed, entries, jobs, None)
        note = _read(bundle / f"{feed_hex}.checkpoint").decode("utf-8", errors="replace")
        cp = verify_checkpoint(note, verifier, verified)
        yield (
            f"OK {cp.origin}: {verified.size} entries, every signature, the chain and the "
            f"checkpoint verify (feed {feed_hex[:16]}…)"
        )


def _verify(
    feed: PublicKey, entries: list[bytes], jobs: int, progress: Callable[[int], None] | None
) -> VerifiedFeed:
    if worth_parallel(len(entries), jobs):
        return verify_parallel(feed, entries, jobs, progress)
    return verify_entries(feed, entries, progress)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise VerifyError(f"{path.name} is missing") from e
    except OSError as e:
        raise VerifyError(f"cannot read {path.name}: {e.strerror}") from e


def _verifier_for(bundle: Path, feed: PublicKey, pinned: Verifier | None) -> Verifier:
    if pinned is not None:
        if pinned.public != feed:
            raise VerifyError(f"feed {feed.hex()[:16]}… is not signed by the pinned --vkey")
        return pinned
    vpath = bundle / f"{feed.hex()}.vkey"
    try:
        verifier = Verifier.parse(vpath.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise VerifyError(f"{vpath.name} is missing (or pass --vkey)") from e
    except (OSError, UnicodeDecodeError, CryptoError) as e:
        raise VerifyError(f"{vpath.name}: {e}") from e
    if verifier.public != feed:
        raise VerifyError(f"{vpath.name} is for a different key than the feed")
    return verifier
