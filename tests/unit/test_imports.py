"""The package's modules import each other without a cycle, type-only imports included.

A cycle means two concerns cannot be understood, tested or changed apart. It often works at run
time (an import inside a function, or under `TYPE_CHECKING`, defers it), so the check reads every
import statement in every module, wherever it stands, instead of importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mkdocs_backlinks"
NAME = PACKAGE.name


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name; a package is named by its `__init__`."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_by(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports anywhere in its source.

    `from a.b import c` names the module `a.b.c` when there is one, else `a.b` (c is an
    attribute of it). The `__init__` of a package on the way is left out: those hold only a
    docstring, so they cannot close a cycle (a test below keeps them that way).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return {m for m in found if m in modules and m != name and m != NAME}


def graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imported_by(name, path, modules) for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_check_finds_a_cycle_through_a_type_only_import(tmp_path: Path) -> None:
    """The check itself can fail: two modules that import each other, one only for typing."""
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text('"""Top."""\n')
    (root / "sub" / "__init__.py").write_text('"""Sub."""\n')
    (root / "a.py").write_text("from pkg.sub.b import thing\n")
    (root / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import other\n"
        "thing = 1\n"
    )
    (root / "c.py").write_text("def f():\n    from pkg.sub import b\n")
    modules = module_names(root)
    edges = {name: imported_by(name, path, modules) for name, path in modules.items()}
    assert edges["pkg.c"] == {"pkg.sub.b"}
    assert cycles(edges) == [["pkg.a", "pkg.sub.b"]]


@pytest.mark.parametrize("init", sorted(PACKAGE.rglob("__init__.py")), ids=str)
def test_subpackage_inits_hold_no_code_but_the_entry_point(init: Path) -> None:
    """A package's `__init__` that imported its modules would load them all (and `requests`
    with `http`) whenever any one is imported; only the command line re-exports `main`."""
    tree = ast.parse(init.read_text(encoding="utf-8"))
    statements = [
        node
        for node in tree.body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    if init.parent.name == "cli":
        assert all(isinstance(n, ast.ImportFrom | ast.Assign) for n in statements)
    elif init.parent == PACKAGE:
        assert [type(n) for n in statements] == [ast.Assign]  # __version__
    else:
        assert statements == []
