"""Imports run one way: entry points on top, the library below, no cycles.

The units are the modules and subpackages directly under ``multigrade`` (``grades``,
``data``, ``jobs``, ...). A module that imports another unit's module makes an arrow from
its unit to that one; the arrows must form no cycle, no module may import an entry point,
and ``multigrade.errors`` (the base of every error of bad input) imports nothing of the
project.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "src" / "multigrade"
# ``python -m <module>``: composed from the library, imported by nothing
ENTRY_POINTS = {"multigrade.run", "multigrade.snn", "multigrade.bench", "multigrade.scann.__main__",
                "multigrade.reproduce.__main__", "multigrade.predict", "multigrade.export"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The ``multigrade`` modules ``path`` imports (``from multigrade import x`` counts as
    ``multigrade.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "multigrade":
                found |= {f"multigrade.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("multigrade.")}


def unit(module: str) -> str:
    """``multigrade.grades.loop`` -> ``grades``: the module or subpackage under ``multigrade``."""
    return module.split(".")[1]


def project_imports() -> dict[str, set[str]]:
    return {module_name(path): imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def unit_graph(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, imported in modules.items():
        if module == "multigrade":
            continue  # the package's lazy exports name modules, and import none of them
        for name in imported:
            if unit(name) != unit(module):
                graph[unit(module)].add(unit(name))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) == []


def test_the_units_of_multigrade_import_each_other_without_cycles():
    graph = unit_graph(project_imports())
    assert {"grades", "data", "api", "jobs"} <= set(graph)  # the walk sees the package
    assert cycles(graph) == []


def test_no_module_imports_an_entry_point():
    modules = project_imports()
    assert ENTRY_POINTS <= set(modules)
    offenders = {module: sorted(imported & ENTRY_POINTS) for module, imported in modules.items()
                 if imported & ENTRY_POINTS}
    assert offenders == {}


def test_the_errors_module_imports_nothing_of_the_project():
    assert project_imports()["multigrade.errors"] == set()
