"""The structure drawn from svit's own imports: no circle between modules and no arrow from a lower
layer to a higher one (docs/ARCHITECTURE.md, "Layers"). Each module is parsed with ``ast``; imports
at module level count (those inside functions are listed by ``function_level_imports`` and may only
stay there for an optional dependency or a measured import cost, said in a comment on their line).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "svit"

# The documented order, lowest first; a module may import its own layer and the layers below it.
# The longest matching prefix decides a module's layer.
LAYERS: dict[str, int] = {
    "svit": 0,  # the package's own __init__ (a warnings filter and the version)
    "svit.config": 0,
    "svit.utils": 1,
    "svit.run_folder": 1,  # the names of OUTPUT_DIR's files (utils.logging names log.txt from it)
    "svit.data": 2,
    "svit.losses": 2,
    "svit.checkpoint": 2,
    "svit.checkpoint_files": 2,
    "svit.weights": 2,  # the catalogue read_checkpoint resolves names with
    "svit.models": 3,
    "svit.svmix": 4,
    "svit.engine": 5,
    # the plots the trainer redraws each epoch sit at the engine's layer; the views above it
    "svit.vis": 5,
    "svit.vis.attention_view": 6,
    "svit.vis.data_view": 6,
    "svit.vis.predict_view": 6,
    "svit.vis.svmix_view": 6,
    "svit.vis.gradcam": 6,
    "svit.vis.rollout_families": 6,
    "svit.apps": 7,  # the code behind tools/ (benchmarks, ensembling): may use everything, used by nothing
}

# Known exceptions the next round is expected to remove (each one a (from, to) module pair):
KNOWN_UPWARD: set[tuple[str, str]] = set()
# Files whose function-level imports are still uncommented (being edited by others; next round).
UNCOMMENTED_OK: set[str] = set()
KNOWN_CYCLES: list[set[str]] = []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(node: ast.AST, here: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    """The svit modules one import statement names (``from pkg import mod`` counts ``pkg.mod``)."""
    found: list[str] = []
    if isinstance(node, ast.Import):
        found = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        mod = _resolve(node, here, is_package)
        found = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
    return [m for m in found if m in modules]


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def _module_level(body: list[ast.stmt]):
    """Statements that run when the module is imported (not function bodies, not TYPE_CHECKING)."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if isinstance(node, ast.ClassDef):
                yield from _module_level(node.body)
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            for block in ("body", "orelse", "finalbody"):
                yield from _module_level(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                yield from _module_level(handler.body)
            continue
        yield node


def _autoloads(node: ast.AST) -> bool:
    """``import_submodules(__name__)`` at module level (svit.utils.autoload: a registry package that
    imports all its modules, an import the statements do not show)."""
    call = node.value if isinstance(node, ast.Expr) else None
    return (isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", "")) ==
            "import_submodules" and bool(call.args) and getattr(call.args[0], "id", "") == "__name__")


def import_graph(inside_functions: bool = False) -> dict[str, set[str]]:
    """module -> the svit modules it imports at module level (and, if asked, inside functions)."""
    modules = all_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        edges: set[str] = set()
        nodes = ast.walk(tree) if inside_functions else _module_level(tree.body)
        for node in nodes:
            edges.update(_targets(node, name, path.name == "__init__.py", modules))
            if _autoloads(node):  # import_submodules(__name__): every module of the package
                edges.update(m for m in modules if m.startswith(name + "."))
        edges.discard(name)
        graph[name] = edges
    return graph


def function_level_imports() -> list[tuple[str, int, str]]:
    """(file, line, source line) of each import of an svit module inside a function."""
    modules = all_modules()
    rows = []
    for name, path in modules.items():
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)) and _targets(
                            sub, name, path.name == "__init__.py", modules):
                        rows.append((str(path.relative_to(ROOT)), sub.lineno, lines[sub.lineno - 1].strip()))
    return sorted(set(rows))


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one module (the import circles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _known(pair: tuple[str, str]) -> bool:
    return any(pair[0] == a and (pair[1] == b or pair[1].startswith(b + ".")) for a, b in KNOWN_UPWARD)


def _covered(cycle: set[str]) -> bool:
    """A circle is known when it only runs through a known loop's modules (or their sub-modules)."""
    return any(all(any(m == k or m.startswith(k + ".") for k in known) for m in cycle) for known in KNOWN_CYCLES)


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, edges in graph.items() for b in edges if layer(b) > layer(a))


def test_no_import_cycle() -> None:
    cycles = [sorted(c) for c in strongly_connected(import_graph()) if not _covered(c)]
    assert not cycles, f"import circles between svit modules: {cycles}"


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    bad = [pair for pair in upward_imports(import_graph()) if not _known(pair)]
    assert not bad, f"imports running up the layers (docs/ARCHITECTURE.md 'Layers'): {bad}"


def test_function_level_imports_say_why() -> None:
    """An svit import inside a function carries a comment (optional dependency, import cost, cycle)."""
    bare = [(f, n, line) for f, n, line in function_level_imports() if "#" not in line and f not in UNCOMMENTED_OK]
    assert not bare, f"function-level imports without a reason: {bare}"


def test_every_module_has_a_layer() -> None:
    assert all(layer(m) >= 0 for m in all_modules())


def test_the_checker_sees_a_cycle_and_an_upward_arrow() -> None:
    """The checks themselves: a two-module circle and a models -> engine arrow are found."""
    graph = {"svit.models.a": {"svit.engine.b"}, "svit.engine.b": {"svit.models.a"}}
    assert strongly_connected(graph) == [{"svit.models.a", "svit.engine.b"}]
    assert upward_imports(graph) == [("svit.models.a", "svit.engine.b")]


@pytest.mark.parametrize("pair", sorted(KNOWN_UPWARD))
def test_known_exceptions_still_exist(pair: tuple[str, str]) -> None:
    """A known exception that has gone away is taken off the list (so the list only shrinks)."""
    graph = import_graph(inside_functions=True)
    assert any(b == pair[1] or b.startswith(pair[1] + ".") for b in graph[pair[0]]), pair
