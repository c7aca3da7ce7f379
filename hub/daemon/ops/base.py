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
from hub.log.entry import FieldValue

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
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise InputError(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise InputError(f"{name} is required")
    if len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        raise InputError(f"{name} is longer than {max_bytes} bytes")
    return value or None  # characters are checked where the entry is made


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
        out[str(k)] = v
    return out
