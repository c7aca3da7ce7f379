"""Lazy package exports: a package's ``__init__`` names its public API, and each name is
imported from its module on first use (PEP 562), so importing a package for one small
name never loads the rest of it (a sans-IO core stays free of I/O libraries).

Usage in a package's ``__init__.py``::

    __getattr__, __dir__ = lazy_exports(__name__, {"Thing": "pkg.module", ...})

with the same names imported under ``if TYPE_CHECKING:`` for type checkers.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``; ``exports`` maps name -> module."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(sys.modules[package])))

    return __getattr__, __dir__


class _Deferred(types.ModuleType):
    """Stands in for a module until one of its attributes is used, then loads it and takes
    on its contents (so whoever imported the stand-in holds a working module)."""

    def __getattr__(self, attr: str) -> object:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def defer_import(name: str) -> None:
    """Make ``import name`` (by anyone, from now on) give a stand-in that loads the module on
    first attribute use.

    For a dependency's dependency imported at start-up but used only on a path the hub never
    takes: ``meshtastic`` imports ``requests`` (180 modules, 9 MB on a 512 MB board) only for
    its command line's version check. Does nothing if ``name`` is already loaded.
    """
    if name not in sys.modules:
        sys.modules[name] = _Deferred(name)
