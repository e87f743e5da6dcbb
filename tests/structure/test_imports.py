"""The package's imports form no cycle (layers import downwards only), counting the imports
inside functions too: a cycle hidden behind a function-level import is still a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import perfcodegen
from perfcodegen.layers import LAYERS, layer_of

ROOT = Path(perfcodegen.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """perfcodegen modules that `path` imports anywhere (module level or in a function),
    except under `if TYPE_CHECKING:` (never executed)."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in modules}


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    modules = set(paths)
    graph = {name: _imports(path, modules) for name, path in paths.items()}
    for name in modules:  # importing a.b.c imports the packages a and a.b first
        parts = name.split(".")
        graph[name] |= {".".join(parts[:i]) for i in range(1, len(parts))} & modules
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if target == node or (node.startswith(target + ".") and target in graph):
                continue  # a package's own __init__ runs first: not a cycle
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_perfcodegen_import_names_a_module_of_the_package() -> None:
    """mypy cannot see a missing module imported inside a function (missing imports are
    ignored for the optional extras): this check can."""
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    missing = []
    for name, path in paths.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.startswith("perfcodegen") and node.module not in paths:
                    missing.append(f"{name}: {node.module}")
            elif isinstance(node, ast.Import):
                missing += [f"{name}: {a.name}" for a in node.names
                            if a.name.startswith("perfcodegen") and a.name not in paths]  # fmt: skip
    assert missing == []


def _package(module: str) -> str:
    """The top-level package (or module) of `perfcodegen.x.y`: 'x'; '' for perfcodegen."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for source, targets in graph.items():
        edges = packages.setdefault(_package(source), set())
        edges.update(_package(t) for t in targets if _package(t) not in ("", _package(source)))
    return packages


def test_no_package_level_cycles() -> None:
    """Packages import each other without a cycle (module cycles are caught above; this also
    catches `a.x -> b.y -> a.z`, which no module cycle shows)."""
    packages = _package_graph(_graph())
    packages.pop("", None)  # perfcodegen's own __init__: the facade above everything
    assert _cycle(packages) is None, " -> ".join(_cycle(packages) or [])


def test_imports_follow_the_layer_order() -> None:
    """No module imports from a higher layer than its own (perfcodegen.layers.LAYERS)."""
    upward = []
    for source, targets in _graph().items():
        if _package(source) == "":
            continue
        for target in targets:
            if _package(target) and layer_of(_package(target)) > layer_of(_package(source)):
                upward.append(f"{source} -> {target}")
    assert upward == [], "imports against the layer order:\n" + "\n".join(sorted(upward))


def test_every_package_has_a_layer() -> None:
    tops = {_package(name) for name in _graph()} - {""}
    assert sorted(t for t in tops if not any(t in layer for layer in LAYERS)) == []


def test_the_layer_checks_find_violations() -> None:
    graph = {"perfcodegen.judge.a": {"perfcodegen.cli.b"}, "perfcodegen.cli.b": {"perfcodegen.judge.c"}}
    assert _cycle(_package_graph(graph)) == ["cli", "judge", "cli"]
    assert layer_of("judge") < layer_of("cli")
