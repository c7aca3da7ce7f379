"""Steward radios kept out of public view: enrolments sealed to the federated hubs.

A radio broadcasts its node number and key to anyone in range, so a public link from a
handle to them would let anyone follow a steward. With a **pin secret** (32 random bytes
that every federated hub holds: ``DATA/pin.key``, 0600, made by ``canopy review keygen``
and installed with ``canopy review set-key --pin FILE``), a JOIN is written as an
``enrol-sealed`` entry whose ``pin`` is the node number and key in a NaCl ``secretbox``
under that secret: every hub with the secret recognises the steward's radio, nobody else
can read or match it. Without a secret, JOIN writes the plain ``enrol`` as before.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from crypto.seal import KEY_BYTES, UnsealError, open_pin, seal_pin
from hub.local import DataDir, atomic_write
from hub.log import FieldValue
from hub.privacy.policy import PrivacyError

PIN_FILE = "pin.key"


def new_pin_secret(path: Path) -> None:
    if path.exists():
        raise PrivacyError(f"{path} exists: a pin secret is never overwritten")
    atomic_write(path, (os.urandom(KEY_BYTES).hex() + "\n").encode(), mode=0o600)


def read_pin_secret(path: Path) -> bytes:
    try:
        mode = os.stat(path).st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as e:
        raise PrivacyError(f"no pin secret at {path}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise PrivacyError(f"cannot read the pin secret {path}: {e}") from e
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PrivacyError(f"{path} is readable by others: chmod 600 it first")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise PrivacyError(f"{path} is not a pin secret (64 hex digits)")
    return secret


def install_pin_secret(datadir: DataDir, source: Path) -> None:
    secret = read_pin_secret(source)
    atomic_write(datadir.root / PIN_FILE, (secret.hex() + "\n").encode(), mode=0o600)


def hub_pin_secret(datadir: DataDir) -> bytes | None:
    path = datadir.root / PIN_FILE
    return read_pin_secret(path) if path.exists() else None


def seal_enrol(secret: bytes, fields: dict[str, FieldValue]) -> tuple[str, dict[str, FieldValue]]:
    """``enrol`` with a node number and key → ``enrol-sealed`` with them in ``pin``."""
    node, pkey = fields.get("node"), fields.get("pkey")
    if not isinstance(node, int) or not isinstance(pkey, bytes) or len(pkey) != 32:
        return "enrol", fields
    out = {k: v for k, v in fields.items() if k not in ("node", "pkey")}
    out["pin"] = seal_pin(secret, node, pkey)
    return "enrol-sealed", out


def pin_opener(datadir: DataDir) -> Callable[[object], tuple[int | None, bytes | None]] | None:
    """The roster's ``unpin`` for this hub, or None without a pin secret."""
    secret = hub_pin_secret(datadir)
    if secret is None:
        return None

    def unpin(pin: object) -> tuple[int | None, bytes | None]:
        if not isinstance(pin, bytes):
            return None, None
        try:
            return open_pin(secret, pin)
        except UnsealError:  # another neighbourhood's secret: grants its role, pins nothing
            return None, None

    return unpin
