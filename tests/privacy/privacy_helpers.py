"""Helpers for the privacy tests: a hub with a review key, and a scan for secrets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.daemon import HubCore
from hub.local import DataDir, create_identity
from hub.privacy import keygen, policy_from, read_public, save_policy


@dataclass
class ReviewedHub:
    data: Path
    keydir: Path

    @property
    def pub(self) -> Path:
        return self.keydir / "review.pub"

    @property
    def key(self) -> Path:
        return self.keydir / "review.key"

    @classmethod
    def make(cls, tmp: Path, **policy: Any) -> ReviewedHub:
        data, keydir = tmp / "hub", tmp / "reviewer"
        dd = DataDir(data)
        create_identity(dd, "Corner Shop")
        keygen(keydir)
        save_policy(dd, policy_from(policy, read_public(keydir / "review.pub")))
        return cls(data, keydir)

    def core(self, clock: Any = None) -> HubCore:
        core = HubCore(DataDir(self.data), clock) if clock else HubCore(DataDir(self.data))
        core.open()
        return core


def files_containing(root: Path, needles: list[bytes]) -> dict[str, list[str]]:
    """Every file under ``root`` that holds one of ``needles`` (bytes, as written)."""
    found: dict[str, list[str]] = {}
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            hits = [n.decode(errors="replace") for n in needles if n in data]
            if hits:
                found[str(p.relative_to(root))] = hits
    return found
