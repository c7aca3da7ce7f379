"""The code's structure: rooms without cycles, dependencies one way, small modules,
sans-IO cores that load no I/O library, and packages used through their public API. Read
from the source (imports as written), so a new module is checked the day it is added."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crypto", "hub", "radio", "portal")
MAX_LINES = 400
# Protocol cores: bytes/text and time in, events and bytes out (STYLE.md, rule 1).
SANS_IO = (
    "crypto.entrysig",
    "crypto.merkle",
    "crypto.note",
    "crypto.cosignature",
    "hub.log.entry",
    "hub.state",
    "hub.state.model",
    "hub.state.notices",
    "hub.state.corrections",
    "hub.audit.fold",
    "hub.audit.report",
    "hub.mqtt.commands",
    "hub.mqtt.topics",
    "hub.witness.core",
    "hub.witness.frames",
    "radio.desk",
    "radio.desk.core",
    "radio.desk.fix",
    "radio.fragment",
    "radio.outqueue",
    "radio.lora",
    "radio.sim.stream",
)
IO_LIBRARIES = (
    "asyncio",
    "flask",
    "meshtastic",
    "paho",
    "serial",
    "socket",
    "sqlite3",
    "subprocess",
    "threading",
    "tinydb",
)


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module
    top_level: bool  # at module level (runs on import), not inside a function
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            out[_module_name(path)] = path
    return out


SOURCES = _sources()
# Packages below the top level (``hub.log``, ``hub.daemon.ops``): each is used through its
# ``__init__``, which names its public API.
SUBPACKAGES = sorted(n for n, p in SOURCES.items() if p.name == "__init__.py" and n.count(".") >= 1)
# The portal's composition root registers each page module's blueprint and each module's
# ``init_app``: it imports those modules, through their package.
MODULE_IMPORTERS = {"portal.app"}


def _lazy_exports(path: Path) -> dict[str, str]:
    """``{name: module}`` from a package's ``lazy_exports(__name__, {...})`` call."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "lazy_exports"
        ):
            return dict(ast.literal_eval(node.args[1]))
    return {}


def _all(path: Path) -> list[str]:
    """A package's ``__all__``, as written."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return []


EXPORTS = {pkg: _lazy_exports(SOURCES[pkg]) for pkg in SUBPACKAGES}
PUBLIC = {pkg: _all(SOURCES[pkg]) for pkg in SUBPACKAGES}


def _package_of(module: str) -> str | None:
    """The innermost subpackage holding ``module`` (itself if it is one)."""
    parts = module.split(".")
    for i in range(len(parts), 1, -1):
        if ".".join(parts[:i]) in EXPORTS:
            return ".".join(parts[:i])
    return None


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path) -> Iterator[Import]:
    """Runtime imports of our own modules (``if TYPE_CHECKING:`` blocks are for types)."""

    def walk(node: ast.AST, top: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            inner = top and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield from _resolve(alias.name, None, inner, child.lineno)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                for alias in child.names:
                    yield from _resolve(child.module, alias.name, inner, child.lineno)
            yield from walk(child, inner)

    def _resolve(module: str, attr: str | None, top: bool, line: int) -> Iterator[Import]:
        if module.split(".")[0] not in PACKAGES:
            return
        if attr and f"{module}.{attr}" in SOURCES:
            target = f"{module}.{attr}"
        else:  # a name a package exports lazily is an import of the module defining it
            target = EXPORTS.get(module, {}).get(attr or "", module)
        yield Import(name, target, top, line)

    yield from walk(ast.parse(path.read_text()), True)


IMPORTS = [imp for name, path in SOURCES.items() for imp in _imports(name, path)]


def _room(module: str) -> str:
    """A module's room: its package below the top level, else the module itself.

    ``hub.log.store`` lives in ``hub.log``; ``radio.events`` is a room of its own.
    """
    parts = module.split(".")
    if len(parts) <= 2:
        return module
    package = ".".join(parts[:2])
    return package if (ROOT / package.replace(".", "/")).is_dir() else module


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_checker_sees_the_code() -> None:
    assert len(SOURCES) > 80 and len(IMPORTS) > 300
    assert Import("hub.daemon.loop", "hub.daemon.core", True, 0).target in {
        i.target for i in IMPORTS if i.source == "hub.daemon.loop"
    }
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_module_imports_itself_round_a_circle() -> None:
    edges: dict[str, set[str]] = {}
    for i in IMPORTS:
        if i.source != i.target:
            edges.setdefault(i.source, set()).add(i.target)
    assert _cycles(edges) == []


def test_rooms_depend_on_each_other_one_way() -> None:
    edges: dict[str, set[str]] = {}
    for i in IMPORTS:
        a, b = _room(i.source), _room(i.target)
        if a != b:
            edges.setdefault(a, set()).add(b)
    assert _cycles(edges) == []


def test_dependencies_point_from_radio_and_portal_to_hub_to_crypto() -> None:
    wrong = []
    for i in IMPORTS:
        src, dst = i.source.split(".")[0], i.target.split(".")[0]
        where = f"{i.source}:{i.line} imports {i.target}"
        if (
            (src == "crypto" and dst != "crypto")
            or {src, dst} == {"radio", "portal"}
            or (
                src == "hub"
                and dst in ("radio", "portal")
                # only the CLI, the composition root, loads them, and only when a command runs
                and (i.top_level or not i.source.startswith("hub.cli"))
            )
        ):
            wrong.append(where)
    assert wrong == []


def test_no_module_is_past_the_size_where_it_should_split() -> None:
    big = {n: len(p.read_text().splitlines()) for n, p in SOURCES.items()}
    assert {n: lines for n, lines in big.items() if lines > MAX_LINES} == {}


@pytest.mark.parametrize("module", SANS_IO)
def test_a_sans_io_core_loads_no_io_library(module: str) -> None:
    code = (
        "import sys\n"
        f"import {module}\n"
        f"print(' '.join(m for m in {IO_LIBRARIES!r} if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [], f"importing {module} loads {r.stdout.strip()}"


def _cross_imports(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """Every import (types and function-local ones too): ``(line, module, name)``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                yield node.lineno, node.module, alias.name


def test_other_rooms_import_a_package_through_its_init() -> None:
    wrong = []
    for source, path in SOURCES.items():
        for line, module, name in _cross_imports(path):
            package = _package_of(module)
            if package is None or _within(source, package):
                continue  # not a subpackage's, or a sibling's (never through its own __init__)
            where = f"{source}:{line} imports {module}" + (f".{name}" if name else "")
            if module != package:
                # a name spelt like its module cannot be a lazy export (the submodule would
                # shadow it), so it is imported from that module
                if name is None or name != module.rsplit(".", 1)[1]:
                    wrong.append(where)
            elif (name is None or name not in PUBLIC[package]) and not (
                name and f"{module}.{name}" in SOURCES and source in MODULE_IMPORTERS
            ):
                wrong.append(where)
    assert wrong == []


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_a_package_api_is_what_its_init_names(package: str) -> None:
    mod = importlib.import_module(package)
    public = list(mod.__all__)
    assert public == PUBLIC[package]
    exports = EXPORTS[package]
    if exports:  # lazy: __all__, the loader's table and the names for type checkers agree
        assert set(public) == set(exports)
        typed = {
            alias.asname: node.module
            for top in ast.parse(SOURCES[package].read_text()).body
            if isinstance(top, ast.If) and _is_type_checking(top)
            for node in top.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert typed == exports
        assert all(_within(m, package) and m in SOURCES for m in exports.values())
    assert [name for name in public if not hasattr(mod, name)] == []
