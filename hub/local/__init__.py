"""Files of one hub on its own disk: the data directory and its writer lock, the identity,
atomic writes, the crash-safe TinyDB storage, and the small local records kept in it
(invite codes, the node list). Local bookkeeping, never history.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.local.atomic import atomic_write as atomic_write
    from hub.local.atomic import fsync_dir as fsync_dir
    from hub.local.datadir import PRIVATE as PRIVATE
    from hub.local.datadir import DataDir as DataDir
    from hub.local.datadir import WriterLock as WriterLock
    from hub.local.datadir import default_data_dir as default_data_dir
    from hub.local.datadir import private_file as private_file
    from hub.local.identity import Identity as Identity
    from hub.local.identity import create_identity as create_identity
    from hub.local.identity import load_identity as load_identity
    from hub.local.identity import load_signing_key as load_signing_key
    from hub.local.identity import origin_for as origin_for
    from hub.local.invites import CODE_LEN as CODE_LEN
    from hub.local.invites import Invite as Invite
    from hub.local.invites import InviteRefused as InviteRefused
    from hub.local.invites import burn_invite as burn_invite
    from hub.local.invites import create_invite as create_invite
    from hub.local.invites import pending_invites as pending_invites
    from hub.local.invites import redeem_invite as redeem_invite
    from hub.local.nodes import NodeList as NodeList
    from hub.local.nodes import read_nodes as read_nodes
    from hub.local.tinystore import AtomicJSONStorage as AtomicJSONStorage
    from hub.local.tinystore import open_db as open_db

__all__ = [
    "CODE_LEN",
    "PRIVATE",
    "AtomicJSONStorage",
    "DataDir",
    "Identity",
    "Invite",
    "InviteRefused",
    "NodeList",
    "WriterLock",
    "atomic_write",
    "burn_invite",
    "create_identity",
    "create_invite",
    "default_data_dir",
    "fsync_dir",
    "load_identity",
    "load_signing_key",
    "open_db",
    "origin_for",
    "pending_invites",
    "private_file",
    "read_nodes",
    "redeem_invite",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "atomic_write": "hub.local.atomic",
        "fsync_dir": "hub.local.atomic",
        "DataDir": "hub.local.datadir",
        "PRIVATE": "hub.local.datadir",
        "WriterLock": "hub.local.datadir",
        "default_data_dir": "hub.local.datadir",
        "private_file": "hub.local.datadir",
        "Identity": "hub.local.identity",
        "create_identity": "hub.local.identity",
        "load_identity": "hub.local.identity",
        "load_signing_key": "hub.local.identity",
        "origin_for": "hub.local.identity",
        "CODE_LEN": "hub.local.invites",
        "Invite": "hub.local.invites",
        "InviteRefused": "hub.local.invites",
        "burn_invite": "hub.local.invites",
        "create_invite": "hub.local.invites",
        "pending_invites": "hub.local.invites",
        "redeem_invite": "hub.local.invites",
        "NodeList": "hub.local.nodes",
        "read_nodes": "hub.local.nodes",
        "AtomicJSONStorage": "hub.local.tinystore",
        "open_db": "hub.local.tinystore",
    },
)
