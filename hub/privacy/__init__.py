"""Privacy of the people in the log: public summaries, sealed details, delayed texts, and
retention by destroying the keys of sealed details (docs/privacy.md).

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.privacy.keystore import KeyStore as KeyStore
    from hub.privacy.pins import PinKeyring as PinKeyring
    from hub.privacy.pins import install_pin_secret as install_pin_secret
    from hub.privacy.pins import new_pin_secret as new_pin_secret
    from hub.privacy.policy import DEFAULT_POLICY as DEFAULT_POLICY
    from hub.privacy.policy import POLICY_KINDS as POLICY_KINDS
    from hub.privacy.policy import Policy as Policy
    from hub.privacy.policy import PrivacyError as PrivacyError
    from hub.privacy.policy import held_back as held_back
    from hub.privacy.policy import load_policy as load_policy
    from hub.privacy.policy import policy_from as policy_from
    from hub.privacy.policy import public_fields as public_fields
    from hub.privacy.policy import public_json as public_json
    from hub.privacy.policy import public_prefix as public_prefix
    from hub.privacy.policy import public_redactor as public_redactor
    from hub.privacy.policy import raw_is_public as raw_is_public
    from hub.privacy.policy import save_policy as save_policy
    from hub.privacy.policy import withheld as withheld
    from hub.privacy.retention import RetentionResult as RetentionResult
    from hub.privacy.retention import run_retention as run_retention
    from hub.privacy.review import Reviewed as Reviewed
    from hub.privacy.review import keygen as keygen
    from hub.privacy.review import read_private as read_private
    from hub.privacy.review import read_public as read_public
    from hub.privacy.review import review_sealed as review_sealed
    from hub.privacy.sealer import Sealer as Sealer
    from hub.privacy.sealer import check_report as check_report
    from hub.privacy.sealer import public_part_problem as public_part_problem
    from hub.privacy.shares import rebuild_key as rebuild_key
    from hub.privacy.shares import split_key as split_key

__all__ = [
    "DEFAULT_POLICY",
    "POLICY_KINDS",
    "KeyStore",
    "PinKeyring",
    "Policy",
    "PrivacyError",
    "RetentionResult",
    "Reviewed",
    "Sealer",
    "check_report",
    "held_back",
    "install_pin_secret",
    "keygen",
    "load_policy",
    "new_pin_secret",
    "policy_from",
    "public_fields",
    "public_json",
    "public_part_problem",
    "public_prefix",
    "public_redactor",
    "raw_is_public",
    "read_private",
    "read_public",
    "rebuild_key",
    "review_sealed",
    "run_retention",
    "save_policy",
    "split_key",
    "withheld",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "KeyStore": "hub.privacy.keystore",
        "DEFAULT_POLICY": "hub.privacy.policy",
        "POLICY_KINDS": "hub.privacy.policy",
        "Policy": "hub.privacy.policy",
        "PrivacyError": "hub.privacy.policy",
        "load_policy": "hub.privacy.policy",
        "policy_from": "hub.privacy.policy",
        "public_fields": "hub.privacy.policy",
        "public_json": "hub.privacy.policy",
        "new_pin_secret": "hub.privacy.pins",
        "PinKeyring": "hub.privacy.pins",
        "install_pin_secret": "hub.privacy.pins",
        "public_prefix": "hub.privacy.policy",
        "held_back": "hub.privacy.policy",
        "public_redactor": "hub.privacy.policy",
        "raw_is_public": "hub.privacy.policy",
        "save_policy": "hub.privacy.policy",
        "withheld": "hub.privacy.policy",
        "RetentionResult": "hub.privacy.retention",
        "run_retention": "hub.privacy.retention",
        "Reviewed": "hub.privacy.review",
        "keygen": "hub.privacy.review",
        "read_private": "hub.privacy.review",
        "read_public": "hub.privacy.review",
        "review_sealed": "hub.privacy.review",
        "Sealer": "hub.privacy.sealer",
        "rebuild_key": "hub.privacy.shares",
        "split_key": "hub.privacy.shares",
        "check_report": "hub.privacy.sealer",
        "public_part_problem": "hub.privacy.sealer",
    },
)
