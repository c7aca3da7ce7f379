"""What every op module shares: the op signature, a registrar, and argument checks.

Ops take the open :class:`hub.daemon.core.HubCore` and the request's arguments (untrusted
JSON) and return a JSON-able dict. They validate their arguments and raise
:class:`hub.errors.InputError` with a reason; ops that need a running service (the radio)
raise :class:`hub.errors.DaemonError` when run offline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.daemon.core import HubCore
from hub.errors import InputError
from hub.log import FieldValue, clean_text

Op = Callable[[HubCore, dict[str, Any]], dict[str, Any]]


def registrar(table: dict[str, Op]) -> Callable[[str], Callable[[Op], Op]]:
    """A decorator ``@op("name")`` that puts functions into ``table``."""

    def op(name: str) -> Callable[[Op], Op]:
        def register(fn: Op) -> Op:
            table[name] = fn
            return fn

        return register

    return op


def text_arg(args: dict[str, Any], name: str, required: bool, max_bytes: int) -> str | None:
    """A one-line text argument, clean by the hub's text policy (:mod:`hub.log.text`)."""
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise InputError(f"{name} is required")
        return None
    value = clean_text(value, name=name, max_bytes=max_bytes)
    if required and not value:
        raise InputError(f"{name} is required")
    return value or None


def int_arg(args: dict[str, Any], name: str) -> int | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be an integer")
    return value


def fields_arg(args: dict[str, Any]) -> dict[str, FieldValue]:
    fields = args.get("fields", {})
    if not isinstance(fields, dict):
        raise InputError("fields must be an object")
    out: dict[str, FieldValue] = {}
    for k, v in fields.items():
        if not isinstance(v, int | str | type(None)):
            raise InputError(f"field {k!r} must be text, an integer or null")
        if isinstance(v, str):  # notes and documents may span lines; NFC, no invisibles
            v = clean_text(v, name=str(k), multiline=True, strip=False)
        out[str(k)] = v
    return out
