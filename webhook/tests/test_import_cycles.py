"""Imports run one way: no cycle between the project's modules.

Every ``.py`` file under ``webhook/`` and ``django_project/`` (tests and migrations included)
is parsed with ``ast``; every ``import`` and ``from ... import`` in it is an edge, wherever it
stands: at module level, inside a function, under ``if TYPE_CHECKING`` (see
``TYPE_CHECKING_COUNTS``). A lazy import inside a function hides a cycle from the
interpreter, not from this test.

The rule, kept simple:

- ``import a.b.c`` is an edge to ``a.b.c``; ``from a.b import c`` is an edge to the module
  ``a.b.c`` when there is one, else to ``a.b`` (``c`` is a name defined or re-exported there).
  Relative imports are resolved against the importing module's package.
- Only the module named counts, not the packages above it (their ``__init__`` runs first, but
  a package's ``__init__`` re-exporting from its own submodules, like ``webhook.models``, is
  not a cycle). ``webhook.models.clients`` importing ``from webhook.models import X`` while
  ``webhook/models/__init__`` imports ``webhook.models.clients`` is one: submodules import
  from the module that defines the name.
- Modules outside the project (Django, the standard library) and a module importing itself
  are ignored; so are imports by string (``importlib.import_module``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("webhook", "django_project")
# Imports under ``if TYPE_CHECKING:`` never run, but they are a dependence all the same (a
# module that needs another's types sits above it): they count. Set False to ignore them.
TYPE_CHECKING_COUNTS = True

Graph = dict[str, dict[str, list[str]]]  # module -> imported module -> where ("path:line")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if ".venv" not in path.parts
    }


def _package_of(module: str, path: Path) -> str:
    """The package a relative import in ``module`` starts from."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _targets(node: ast.AST, module: str, path: Path, known: set[str]) -> list[str]:
    """The project modules one import statement names (see the module's rule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = _package_of(module, path)
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        base = ".".join(p for p in (base, node.module) if p)
    else:
        base = node.module or ""
    found = []
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in known:
            found.append(submodule)
        elif base in known:
            found.append(base)
    return found


def _type_checking_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``if typing.TYPE_CHECKING:``), without an ``else``."""
    if not isinstance(node, ast.If) or node.orelse:
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in a module, at any depth (see ``TYPE_CHECKING_COUNTS``)."""
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif TYPE_CHECKING_COUNTS or not _type_checking_only(node):
            todo.extend(ast.iter_child_nodes(node))
    return found


def import_graph() -> Graph:
    modules = _modules()
    known = set(modules)
    graph: Graph = {name: {} for name in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            for target in _targets(node, module, path, known):
                if target == module:
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                places = graph[module].setdefault(target, [])
                if where not in places:  # one line may import several names of a module
                    places.append(where)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """One cycle (as a closed path of modules) per strongly connected component that has one
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return [_cycle_in(graph, set(component)) for component in components]


def _cycle_in(graph: Graph, component: set[str]) -> list[str]:
    """A closed path through a strongly connected component, from its first module back."""
    start = min(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:  # breadth first: the shortest way back to start
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target == start:
                    path = [start]
                    while node != start:
                        path.append(node)
                        node = came_from[node]
                    return [start, *reversed(path[1:]), start]
                if target in component and target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {sorted(component)}")  # not a component


def _line(where: str) -> tuple[str, int]:
    path, _, line = where.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def _describe(graph: Graph, cycle: list[str]) -> str:
    steps = [
        f"  {a} -> {b}  ({', '.join(sorted(graph[a][b], key=_line))})"
        for a, b in zip(cycle, cycle[1:], strict=False)
    ]
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_no_import_cycle() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_describe(graph, c) for c in found)


def test_the_graph_sees_the_project() -> None:
    """The walk finds the modules and their edges, lazy imports and re-exports included."""
    graph = import_graph()
    assert "webhook.processor" in graph and "django_project.settings" in graph
    assert "webhook.services.bulk" in graph["webhook.processor"]
    assert "webhook.models.clients" in graph["webhook.models"]  # the package re-exports
    assert "webhook.admin.media" in graph["webhook.admin.conversation"]  # a lazy import


def test_a_cycle_is_found_and_named() -> None:
    graph: Graph = {
        "a": {"b": ["a.py:1"]},
        "b": {"c": ["b.py:3"]},
        "c": {"a": ["c.py:9"], "d": ["c.py:2"]},
        "d": {},
    }
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert "c -> a  (c.py:9)" in _describe(graph, ["a", "b", "c", "a"])
    assert cycles({"a": {"b": ["x"]}, "b": {}}) == []
