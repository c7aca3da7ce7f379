"""Retention by crypto-shredding: destroy the keys of sealed details past the retention
period; the log keeps every byte, so every signature, chain and Merkle proof still verifies.

Every hub runs the same rule on the entries' own claimed times (``retention_days`` of the
recorded policy), so federated hubs destroy the same keys within a day of each other. A
pass that destroyed any key appends a ``retention`` entry (cut-off time and count): the
audit reports the details erased from it, and the neighbourhood sees the rule kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.local import DataDir
from hub.log import FieldValue
from hub.privacy.keystore import KeyStore
from hub.privacy.policy import load_policy

DAY = 86400
AppendFn = Callable[[str, dict[str, FieldValue]], object]


@dataclass(frozen=True)
class RetentionResult:
    before: int  # keys of entries older than this were destroyed
    erased: int
    kept: int

    def to_json(self) -> dict[str, int]:
        return {"before": self.before, "erased": self.erased, "kept": self.kept}


def run_retention(datadir: DataDir, now: float, append: AppendFn | None = None) -> RetentionResult:
    """One retention pass over ``datadir`` at ``now``; see the module docstring."""
    policy = load_policy(datadir)
    before = int(now) - policy.retention_days * DAY
    keys = KeyStore(datadir)
    erased = keys.shred(before)
    if erased and append is not None:
        append("retention", {"before": before, "erased": erased})
    return RetentionResult(before, erased, len(keys))
