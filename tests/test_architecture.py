"""The project's import structure, read with ``ast`` from the source (nothing is imported).

* no import cycle among the project's modules, nor among its top-level packages;
* debt_rules (the rule engine) depends on none of the conversation, booking, privacy,
  actions or staff console code, nor on Rasa;
* conversation does not import Rasa (actions/ adapts it to rasa_sdk);
* booking and actions do not import the staff console.

Every import counts, including imports inside functions (a lazy import is still a
dependency); for the cycle checks, imports under ``if TYPE_CHECKING:`` do not (they never
run). The checker itself is tested on small synthetic graphs, so that a checker that finds
nothing cannot pass for a clean tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("debt_rules", "conversation", "booking", "privacy", "actions", "channels", "staff_console",
            "web", "ja_nlu", "runner")
SKIP_DIRS = {"node_modules", "__pycache__", "migrations"}   # alembic scripts are not imported by module name


@dataclass(frozen=True)
class Import:
    source: str        # importing module, e.g. "actions.booking"
    target: str        # imported module, as precise as known, e.g. "staff_console.bookings" or "rasa.core"
    line: int
    type_only: bool    # under ``if TYPE_CHECKING:``


# -- building the graph -------------------------------------------------------------------
def module_files(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Module name -> file, for every .py file of the given top-level packages."""
    out: dict[str, Path] = {}
    for pkg in packages:
        base = root / pkg
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(root)
            if SKIP_DIRS.intersection(rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement anywhere in the tree, with whether it is type-checking only."""
    def visit(node: ast.AST, type_only: bool) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, type_only
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from visit(child, True)
            for child in node.orelse:
                yield from visit(child, type_only)
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, type_only)

    yield from visit(tree, False)


def imports_of(module: str, path: Path, known: Iterable[str]) -> list[Import]:
    """The imports of one module. ``from pkg import name`` points at ``pkg.name`` when
    that is a module of the project, else at ``pkg``; relative imports are resolved."""
    known = set(known)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[Import] = []
    for node, type_only in _import_nodes(tree):
        if isinstance(node, ast.Import):
            out.extend(Import(module, alias.name, node.lineno, type_only) for alias in node.names)
            continue
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            out.append(Import(module, sub if sub in known else target, node.lineno, type_only))
    return out


def project_imports(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> list[Import]:
    files = module_files(root, packages)
    return [imp for module, path in files.items() for imp in imports_of(module, path, files)]


def top(name: str) -> str:
    return name.split(".")[0]


def own_module(target: str, known: Iterable[str]) -> str | None:
    """The project module an import lands in (the longest known prefix), or None."""
    known = set(known)
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in known:
            return ".".join(parts[:n])
    return None


def module_graph(imports: Iterable[Import], known: Iterable[str]) -> dict[str, set[str]]:
    known = set(known)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for imp in imports:
        target = own_module(imp.target, known)
        if target and not imp.type_only and target != imp.source:
            graph[imp.source].add(target)
    return graph


def package_graph(modules: Mapping[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for source, targets in modules.items():
        graph.setdefault(top(source), set()).update(top(t) for t in targets if top(t) != top(source))
    return graph


# -- the cycle checker ----------------------------------------------------------------------
def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node, or with a self-loop
    (Tarjan's algorithm, iterative), each sorted; sorted by their first node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    nodes = set(graph) | {t for ts in graph.values() for t in ts}
    edges = {n: sorted(set(graph.get(n, ()))) for n in nodes}

    for start in sorted(nodes):
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    out.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(out)


def describe(cycles: list[list[str]], graph: Mapping[str, set[str]]) -> str:
    lines = []
    for cycle in cycles:
        members = set(cycle)
        edges = [f"{s} -> {t}" for s in cycle for t in sorted(graph.get(s, ())) if t in members]
        lines.append(f"cycle {cycle}: " + ", ".join(edges))
    return "\n".join(lines)


def forbidden(imports: Iterable[Import], source_pkg: str, banned: Iterable[str]) -> list[str]:
    banned = set(banned)
    return [f"{imp.source}:{imp.line} imports {imp.target}" for imp in imports
            if top(imp.source) == source_pkg and top(imp.target) in banned]


# -- the checker on synthetic input (these must be able to fail) ------------------------------
def test_find_cycles_finds_a_two_node_cycle():
    assert find_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_find_cycles_finds_a_long_cycle_and_a_self_loop():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": {"a"}, "e": {"e"}, "f": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "d"], ["e"]]


def test_find_cycles_finds_nothing_in_a_dag():
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []


def test_graph_from_source_finds_module_and_package_cycles(tmp_path):
    files = {
        "alpha/__init__.py": "",
        "alpha/one.py": "from beta import two\n",
        "alpha/three.py": "import os\n\ndef later():\n    from . import one\n",
        "beta/__init__.py": "",
        "beta/two.py": "from alpha.three import later\n",
        "beta/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from alpha import one\n",
        "gamma/__init__.py": "from beta.two import *\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    packages = ("alpha", "beta", "gamma")
    known = module_files(tmp_path, packages)
    imports = project_imports(tmp_path, packages)
    graph = module_graph(imports, known)
    assert graph["alpha.three"] == {"alpha.one"}         # relative, inside a function
    assert graph["beta.typed"] == set()                  # TYPE_CHECKING only
    assert find_cycles(graph) == [["alpha.one", "alpha.three", "beta.two"]]
    assert find_cycles(package_graph(graph)) == [["alpha", "beta"]]
    assert forbidden(imports, "alpha", {"os"}) == ["alpha.three:1 imports os"]


# -- the project --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return project_imports()


@pytest.fixture(scope="module")
def modules(imports) -> dict[str, set[str]]:
    return module_graph(imports, module_files(ROOT, PACKAGES))


def test_the_project_modules_are_found(modules):
    assert {"debt_rules.diagnose", "conversation.dialogue", "actions.booking", "privacy.pii"} <= set(modules)
    assert any(modules.values()), "no import between project modules found: the parser is broken"


def test_no_import_cycle_between_modules(modules):
    cycles = find_cycles(modules)
    assert not cycles, describe(cycles, modules)


def test_no_import_cycle_between_packages(modules):
    packages = package_graph(modules)
    cycles = find_cycles(packages)
    assert not cycles, describe(cycles, packages)


def test_debt_rules_depends_on_no_application_code_and_no_rasa(imports):
    found = forbidden(imports, "debt_rules", {"conversation", "booking", "privacy", "actions", "staff_console",
                                              "rasa", "rasa_sdk"})
    assert not found, "\n".join(found)


def test_conversation_does_not_import_rasa(imports):
    found = forbidden(imports, "conversation", {"rasa"})
    assert not found, "\n".join(found)


@pytest.mark.parametrize("package", ["booking", "actions"])
def test_booking_and_actions_do_not_import_the_staff_console(imports, package):
    found = forbidden(imports, package, {"staff_console"})
    assert not found, "\n".join(found)
