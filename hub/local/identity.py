"""The hub's identity: its name, its Ed25519 feed key and its checkpoint origin."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from crypto.errors import KeyFileError
from crypto.keys import PublicKey, SigningKey, load_key_file, write_key_file
from crypto.note import Verifier
from hub.errors import DataDirError, InputError
from hub.local.atomic import atomic_write
from hub.local.datadir import DataDir

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._'-]{0,62}$")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "hub"


def origin_for(name: str, feed: PublicKey) -> str:
    """The checkpoint origin (also the note key name): ``canopy/<slug>/<first 16 hex of feed>``."""
    return f"canopy/{slug(name)}/{feed.hex()[:16]}"


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    feed: PublicKey

    @property
    def origin(self) -> str:
        return origin_for(self.name, self.feed)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.origin, self.feed)

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "feed": self.feed.hex(),
            "vkey": self.verifier.to_string(),
            "origin": self.origin,
        }


def create_identity(datadir: DataDir, name: str) -> Identity:
    """Create the key and identity; refuses (changing nothing) if either exists."""
    if not NAME_RE.match(name):
        raise InputError(
            "hub name must be 1-63 characters: letters, digits, space, . _ ' - "
            "and start with a letter or digit"
        )
    if datadir.identity.exists() or datadir.key.exists():
        raise DataDirError(f"{datadir.root} already holds a hub; refusing to overwrite it")
    try:
        datadir.root.mkdir(parents=True, exist_ok=True, mode=0o750)
        datadir.feeds.mkdir(exist_ok=True)
    except OSError as e:
        raise DataDirError(f"cannot create {datadir.root}: {e.strerror}") from e
    key = SigningKey.generate()
    try:
        write_key_file(datadir.key, key)
    except KeyFileError as e:
        raise DataDirError(str(e)) from e
    ident = Identity(name, key.public)
    payload = {"name": name, "feed": key.public.hex(), "format": 1}
    atomic_write(datadir.identity, json.dumps(payload, indent=2).encode() + b"\n")
    return ident


def load_identity(datadir: DataDir) -> Identity:
    datadir.require_initialised()
    try:
        data = json.loads(datadir.identity.read_text(encoding="utf-8"))
        return Identity(str(data["name"]), PublicKey.from_hex(str(data["feed"])))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataDirError(f"{datadir.identity} is unreadable or damaged: {e}") from e
    except Exception as e:  # crypto.MalformedData
        raise DataDirError(f"{datadir.identity} holds a bad feed key: {e}") from e


def load_signing_key(datadir: DataDir, ident: Identity) -> SigningKey:
    try:
        key = load_key_file(datadir.key)
    except KeyFileError as e:
        raise DataDirError(str(e)) from e
    if key.public != ident.feed:
        raise DataDirError(f"{datadir.key} does not match the feed key in {datadir.identity}")
    return key
