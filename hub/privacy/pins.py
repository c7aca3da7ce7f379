"""Steward radios kept out of public view: enrolments sealed to the federated hubs.

A radio broadcasts its node number and key to anyone in range, so a public link from a
handle to them would let anyone follow a steward. No enrolment is ever written with them
in the clear: a JOIN (and a renewal) is written as ``enrol-sealed``, whose ``pin`` is the
node number and key in a NaCl ``secretbox`` under this hub's **pin secret**:

- every hub has one without any setup, derived one way from its signing key
  (:func:`crypto.seal.derive_pin_secret`); a neighbourhood may instead install one shared
  file on every hub (``canopy review set-key --pin FILE``: ``DATA/pin.key``, 0600), which
  then seals;
- ``canopy peer add`` also writes a ``pin-share`` entry (kind 34): this hub's pin secrets
  sealed to the new peer's feed key, which only that hub opens, while folding this hub's
  feed. What it learns is kept in ``DATA/pin-shared.keys`` (0600), so a restart opens the
  same pins without folding twice.

Every hub holding a secret recognises the steward's radio; the public, a broker listener
or another neighbourhood's hub sees a random-looking box that matches nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from crypto.seal import (
    KEY_BYTES,
    UnsealError,
    derive_pin_secret,
    open_pin,
    open_pin_secrets,
    seal_pin,
    share_pin_secrets,
)
from hub.errors import EntryError
from hub.local import DataDir, atomic_write, load_identity, load_signing_key
from hub.log import FieldValue
from hub.privacy.policy import PrivacyError, read_private_text

PIN_FILE = "pin.key"
SHARED_FILE = "pin-shared.keys"
MAX_LEARNED = 256  # secrets learned from peers: each costs a fold again, so a bound


def new_pin_secret(path: Path) -> None:
    if path.exists():
        raise PrivacyError(f"{path} exists: a pin secret is never overwritten")
    atomic_write(path, (os.urandom(KEY_BYTES).hex() + "\n").encode(), mode=0o600)


def _read_secret_file(path: Path, many: bool) -> list[bytes]:
    text = read_private_text(
        path, "no pin secret at {path}", "cannot read the pin secret {path}: {e}"
    )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out: list[bytes] = []
    for line in lines if many else lines[:1] or [""]:
        try:
            secret = bytes.fromhex(line)
        except ValueError:
            secret = b""
        if len(secret) != KEY_BYTES:
            raise PrivacyError(f"{path} is not a pin secret (64 hex digits a line)")
        out.append(secret)
    return out


def read_pin_secret(path: Path) -> bytes:
    return _read_secret_file(path, many=False)[0]


def install_pin_secret(datadir: DataDir, source: Path) -> None:
    secret = read_pin_secret(source)
    atomic_write(datadir.root / PIN_FILE, (secret.hex() + "\n").encode(), mode=0o600)


def hub_pin_secret(datadir: DataDir) -> bytes | None:
    """The neighbourhood's installed pin secret, or None (the hub's own derived one seals)."""
    path = datadir.root / PIN_FILE
    return read_pin_secret(path) if path.exists() else None


class PinKeyring:
    """This hub's pin secrets: its own (the first seals), and those peers shared with it.

    Callable as the roster's ``unpin``; :meth:`learn` is the state's hook for a
    ``pin-share`` entry addressed to this hub. Keys are read on first use.
    """

    def __init__(self, datadir: DataDir) -> None:
        self.datadir = datadir
        self._seed: bytes | None = None
        self._feed = b""
        self._learned: list[bytes] | None = None
        self._derived: bytes | None = None
        # the installed secret, read again only when its file changes (`review set-key --pin`
        # while the daemon runs): a fold asks for it once per sealed pin
        self._installed: tuple[tuple[int, int] | None, bytes | None] = (None, None)

    def _load(self) -> bytes:
        if self._seed is None:
            ident = load_identity(self.datadir)
            self._seed = load_signing_key(self.datadir, ident).seed
            self._feed = ident.feed.raw
        return self._seed

    def own(self) -> list[bytes]:
        """This hub's secrets, the sealing one first (an installed one, else derived)."""
        if self._derived is None:
            self._derived = derive_pin_secret(self._load())
        derived, installed = self._derived, self._installed_secret()
        return [derived] if installed is None or installed == derived else [installed, derived]

    def _installed_secret(self) -> bytes | None:
        try:
            st = os.stat(self.datadir.root / PIN_FILE)
        except FileNotFoundError:
            self._installed = (None, None)
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        if self._installed[0] != stamp:
            self._installed = (stamp, hub_pin_secret(self.datadir))
        return self._installed[1]

    def learned(self) -> list[bytes]:
        if self._learned is None:
            path = self.datadir.root / SHARED_FILE
            self._learned = _read_secret_file(path, many=True) if path.exists() else []
        return self._learned

    def __call__(self, pin: object) -> tuple[int | None, bytes | None]:
        """A sealed pin's ``(node, pkey)``, or ``(None, None)`` when no secret opens it
        (another neighbourhood's, or a hub that has not shared with this one yet)."""
        if not isinstance(pin, bytes):
            return None, None
        for secret in self.own() + self.learned():
            try:
                return open_pin(secret, pin)
            except UnsealError:
                continue
        return None, None

    def share(self, peer_feed: bytes) -> bytes:
        """The ``box`` of a ``pin-share`` entry to ``peer_feed``: this hub's own secrets."""
        return share_pin_secrets(peer_feed, self.own())

    def learn(self, to: bytes, box: bytes) -> bool:
        """Keep the secrets of a ``pin-share`` entry addressed to this hub; True when one
        is new (pins folded before it may open now). Another hub's box, or a damaged one,
        teaches nothing."""
        seed = self._load()
        if to != self._feed:
            return False
        try:
            secrets = open_pin_secrets(seed, box)
        except UnsealError:
            return False
        known = set(self.own()) | set(self.learned())
        new = [s for s in secrets if s not in known]
        if not new or len(self.learned()) + len(new) > MAX_LEARNED:
            return False  # nothing new, or a peer flooding this hub with secrets
        self._learned = self.learned() + new
        text = "".join(s.hex() + "\n" for s in self._learned)
        atomic_write(self.datadir.root / SHARED_FILE, text.encode(), mode=0o600)
        return True

    def seal_enrol(self, fields: dict[str, FieldValue]) -> tuple[str, dict[str, FieldValue]]:
        """``enrol`` with a radio → ``enrol-sealed`` with it in ``pin``; without one the
        plain ``enrol`` (a handle and role only). A radio that cannot be sealed is refused,
        never written in the clear."""
        if "node" not in fields and "pkey" not in fields:
            return "enrol", fields
        node, pkey = fields.get("node"), fields.get("pkey")
        if not isinstance(node, int) or not isinstance(pkey, bytes) or len(pkey) != 32:
            raise EntryError("an enrolment's radio is a node number and a 32-byte key, together")
        if not 0 <= node < 2**64:
            raise EntryError("a node number is 0 to 2^64-1")
        out = {k: v for k, v in fields.items() if k not in ("node", "pkey")}
        out["pin"] = seal_pin(self.own()[0], node, pkey)
        return "enrol-sealed", out
