"""The package's structure: imports point down, no private names cross modules.

Reads every module of ``analysis/`` as text (nothing is imported) and checks
the rules of ARCHITECTURE.md: no import cycle (imports inside functions and
under ``TYPE_CHECKING`` count), no private name imported from another module,
no module importing its own package's ``__init__`` (the package root), no
module over 800 lines, and no module named like a function of its package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "analysis"
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(current: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".") if _is_package(current) else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + (node.module.split(".") if node.module else []))


def _imports(name: str) -> list[tuple[str, str, int]]:
    """``(target module, imported name or "", line)`` for every import of ``analysis``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names
                    if a.name.split(".")[0] == "analysis"]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, node)
            if target.split(".")[0] != "analysis":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:  # `from . import module`
                    out.append((sub, "", node.lineno))
                else:
                    out.append((target, alias.name, node.lineno))
    return out


GRAPH = {name: _imports(name) for name in MODULES}


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, imports in GRAPH.items():
        for target, _, _ in imports:
            if target in MODULES and target != name:
                edges[name].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert _cycles(_edges()) == []


def test_cycle_detector_finds_a_planted_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_no_private_name_imported_across_modules():
    bad = [f"{MODULES[name].relative_to(PKG.parent)}:{line} imports {target}.{imported}"
           for name, imports in GRAPH.items() for target, imported, line in imports
           if imported.startswith("_") and not imported.startswith("__") and target != name]
    assert bad == []


def test_no_module_imports_its_package_root():
    bad = []
    for name, imports in GRAPH.items():
        for target, imported, line in imports:
            inside = name.startswith(target + ".") or (target == name.rsplit(".", 1)[0]
                                                       and not _is_package(name))
            if target in MODULES and _is_package(target) and inside and imported and \
                    f"{target}.{imported}" not in MODULES:
                bad.append(f"{MODULES[name].relative_to(PKG.parent)}:{line} imports "
                           f"{imported} from its package root {target}")
    assert bad == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_small(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines (split it by concern)"


def test_no_module_shares_a_name_with_a_function_of_its_package():
    clashes = []
    for name, path in MODULES.items():
        if not _is_package(name):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = {a.asname or a.name for node in tree.body if isinstance(node, ast.ImportFrom)
                    for a in node.names}
        clashes += [f"{name}.{leaf}" for leaf in exported if f"{name}.{leaf}" in MODULES
                    and not _is_package(f"{name}.{leaf}")
                    and not any(isinstance(n, ast.ImportFrom) and n.module is None
                                for n in tree.body)]
    assert clashes == []
