"""The signed log: the entry format, the append-only store, the hub's writable log, read-only
views, export and verification.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.log.checkpoints import Checkpoints as Checkpoints
    from hub.log.checkpoints import binary_signature as binary_signature
    from hub.log.entry import BY_NAME as BY_NAME
    from hub.log.entry import FORMAT_VERSION as FORMAT_VERSION
    from hub.log.entry import KINDS as KINDS
    from hub.log.entry import Body as Body
    from hub.log.entry import FieldValue as FieldValue
    from hub.log.entry import LoggedEntry as LoggedEntry
    from hub.log.entry import TimeSource as TimeSource
    from hub.log.entry import decode_body as decode_body
    from hub.log.entry import encode_body as encode_body
    from hub.log.entry import iso_time as iso_time
    from hub.log.entry import kind_name as kind_name
    from hub.log.entry import make_body as make_body
    from hub.log.export import export_feed as export_feed
    from hub.log.export import verify_bundle as verify_bundle
    from hub.log.own import HubLog as HubLog
    from hub.log.parallel import default_jobs as default_jobs
    from hub.log.parallel import verify_parallel as verify_parallel
    from hub.log.replicas import ForkFound as ForkFound
    from hub.log.store import HEADER as HEADER
    from hub.log.store import FeedFile as FeedFile
    from hub.log.store import FeedReader as FeedReader
    from hub.log.text import clean_text as clean_text
    from hub.log.text import text_problem as text_problem
    from hub.log.verify import split_sequence as split_sequence
    from hub.log.verify import verify_checkpoint as verify_checkpoint
    from hub.log.verify import verify_entries as verify_entries
    from hub.log.view import LogView as LogView
    from hub.log.view import iter_entries as iter_entries

__all__ = [
    "BY_NAME",
    "FORMAT_VERSION",
    "HEADER",
    "KINDS",
    "Body",
    "Checkpoints",
    "FeedFile",
    "FeedReader",
    "FieldValue",
    "ForkFound",
    "HubLog",
    "LogView",
    "LoggedEntry",
    "TimeSource",
    "binary_signature",
    "clean_text",
    "decode_body",
    "default_jobs",
    "encode_body",
    "export_feed",
    "iso_time",
    "iter_entries",
    "kind_name",
    "make_body",
    "split_sequence",
    "text_problem",
    "verify_bundle",
    "verify_checkpoint",
    "verify_entries",
    "verify_parallel",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Checkpoints": "hub.log.checkpoints",
        "binary_signature": "hub.log.checkpoints",
        "BY_NAME": "hub.log.entry",
        "Body": "hub.log.entry",
        "FORMAT_VERSION": "hub.log.entry",
        "FieldValue": "hub.log.entry",
        "KINDS": "hub.log.entry",
        "LoggedEntry": "hub.log.entry",
        "TimeSource": "hub.log.entry",
        "decode_body": "hub.log.entry",
        "encode_body": "hub.log.entry",
        "iso_time": "hub.log.entry",
        "kind_name": "hub.log.entry",
        "make_body": "hub.log.entry",
        "export_feed": "hub.log.export",
        "verify_bundle": "hub.log.export",
        "HubLog": "hub.log.own",
        "default_jobs": "hub.log.parallel",
        "verify_parallel": "hub.log.parallel",
        "ForkFound": "hub.log.replicas",
        "FeedFile": "hub.log.store",
        "FeedReader": "hub.log.store",
        "HEADER": "hub.log.store",
        "clean_text": "hub.log.text",
        "text_problem": "hub.log.text",
        "split_sequence": "hub.log.verify",
        "verify_checkpoint": "hub.log.verify",
        "verify_entries": "hub.log.verify",
        "LogView": "hub.log.view",
        "iter_entries": "hub.log.view",
    },
)
