"""The shape of the code: which package may import which, and no import cycles.

The graph is read from the source with `ast`: every import counts, at module
level, inside a function or under `TYPE_CHECKING` alike, so a cycle cannot be
hidden by moving an import into a function.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("intake_store", "bot", "actions", "vocabulary")

# importer package -> packages it must never import (ARCHITECTURE.md, "Contracts")
FORBIDDEN = {
    "intake_store": ("bot", "actions"),
    "actions": ("intake_store", "bot"),
    "vocabulary": ("intake_store", "bot", "actions"),
}

Graph = dict[str, set[str]]


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> source file, for every package present."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _known(name: str, modules) -> str | None:
    """The project module `name` refers to: itself, or the module that defines it."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules) -> set[str]:
    """The project modules that `module` imports anywhere in its source."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import name`: the submodule pkg.name if there is one, else pkg
            targets = [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
        else:
            continue
        found |= {t for t in (_known(t, modules) for t in targets) if t and t != module}
    return found


def import_graph(root: Path = ROOT) -> Graph:
    modules = project_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def forbidden_imports(graph: Graph) -> list[str]:
    """'importer -> imported' for every import that crosses a forbidden line."""
    out = []
    for importer, targets in sorted(graph.items()):
        banned = FORBIDDEN.get(importer.split(".")[0], ())
        out += [f"{importer} -> {t}" for t in sorted(targets) if t.split(".")[0] in banned]
    return out


# ---------------------------------------------------------------- the project

def test_the_graph_sees_every_package_and_its_imports():
    graph = import_graph()
    assert {"intake_store", "intake_store.web", "intake_store.app", "bot.gateway.wiring", "actions"} <= set(graph)
    assert "intake_store.web" in graph["intake_store.api"]
    assert "intake_store.models" in graph["bot.gateway.transcript"]
    assert "intake_store.app" in graph["intake_store.cli"]  # imported inside a function


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_dependencies_point_one_way():
    assert forbidden_imports(import_graph()) == []


# ---------------------------------------------------------------- the checks themselves

def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    _write(tmp_path, {
        "intake_store/__init__.py": "",
        "intake_store/web.py": "from .tickets import Backoffice\n",
        "intake_store/tickets.py": "def f():\n    from . import web\n",
        "intake_store/jobs/__init__.py": "from ..models import Notification\n",
        "intake_store/models.py": "",
    })
    graph = import_graph(tmp_path)
    assert graph["intake_store.jobs"] == {"intake_store.models"}
    assert find_cycle(graph) == ["intake_store.tickets", "intake_store.web", "intake_store.tickets"]
    del graph["intake_store.tickets"]
    assert find_cycle(graph) is None


def test_a_forbidden_import_is_named(tmp_path):
    _write(tmp_path, {
        "intake_store/__init__.py": "",
        "intake_store/migrations/env.py": "import bot.gateway.models\n",
        "bot/__init__.py": "",
        "bot/gateway/__init__.py": "",
        "bot/gateway/models.py": "from intake_store import conversations\n",
        "intake_store/conversations.py": "",
        "actions/__init__.py": "",
        "actions/status.py": "def f():\n    from intake_store.web import json_ok\n",
    })
    assert forbidden_imports(import_graph(tmp_path)) == [
        "actions.status -> intake_store",  # intake_store.web does not exist here: the package itself
        "intake_store.migrations.env -> bot.gateway.models",
    ]


@pytest.mark.parametrize("graph, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"d"}}, ["d", "d"]),
])
def test_find_cycle_on_small_graphs(graph, cycle):
    assert find_cycle(graph) == cycle
