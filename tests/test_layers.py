"""The layout's promises: arrows between layers point down, and one package talks HTTP to the API."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "server" / "mcp_token_counter"
# What each layer may import from the package, besides itself and the top-level shared modules
# (config, errors, catalog, clock, metrics, redaction).
MAY_IMPORT: dict[str, set[str]] = {
    "offline": set(),
    "upstream": {"replicas"},
    "core": {"upstream", "offline", "replicas"},
    "files": {"core", "upstream", "offline", "replicas"},
    "tools": {"core", "files", "upstream", "offline", "replicas", "view"},
    "audit": {"core", "upstream", "offline", "replicas"},
    # The one command-line parser takes the server's flags too (serving.web's defaults and host check).
    "cli": {"core", "files", "upstream", "offline", "replicas", "audit", "view", "serving"},
    "view": {"core", "files"},
    "serving": set(),
    "replicas": set(),
    # The OAuth resource server: the authorization server over upstream's HTTP, Redis for quotas, and
    # serving's notion of which paths are MCP endpoints.
    "auth": {"upstream", "replicas", "serving"},
}
LAYERS = set(MAY_IMPORT)


def _package_imports(path: Path) -> set[str]:
    """The package's first-level names that ``path`` imports (``core`` for ``from ..core.state import x``)."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = list(module[: len(module) - node.level])
            target = [*base, *(node.module or "").split(".")] if node.module else base
            if len(target) > 1:
                names.add(target[1])
            elif not node.module:
                names.update(alias.name for alias in node.names)
    return names


def _layer_modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    for path in _layer_modules(layer):
        reached = (_package_imports(path) & LAYERS) - {layer}
        assert reached <= MAY_IMPORT[layer], f"{path.relative_to(PACKAGE)} imports {reached - MAY_IMPORT[layer]}"


def test_only_the_upstream_package_imports_httpx2() -> None:
    importers = {
        path.relative_to(PACKAGE).parts[0]
        for path in PACKAGE.rglob("*.py")
        if any(
            isinstance(node, ast.Import | ast.ImportFrom)
            and any(name.split(".")[0] == "httpx2" for name in _imported(node))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    }
    assert importers == {"upstream"}


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]


def test_the_layer_map_covers_every_folder() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == LAYERS
    offline = PACKAGE / "offline"
    assert {p.name for p in offline.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == set(OFFLINE_MAY_IMPORT)
    # Nothing side by side again: every offline module lives in the sub-package that names its job.
    assert [p.name for p in offline.glob("*.py")] == ["__init__.py"]


# offline/'s own layers: the request rules price a body's parts and send text to the text engine, which runs
# on the compiled core when it loads.
OFFLINE_MAY_IMPORT: dict[str, set[str]] = {"request": {"text"}, "text": {"compiled"}, "compiled": set()}


def _offline_layers(path: Path) -> set[str]:
    """The offline sub-packages ``path`` imports from (``text`` for ``from ..text.count import x``)."""
    modules = _modules()
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    reached = _imported_modules(name, path, modules) | _type_imports(name, path, modules)
    prefix = "mcp_token_counter.offline."
    return {module.removeprefix(prefix).split(".")[0] for module in reached if module.startswith(prefix)}


@pytest.mark.parametrize("layer", sorted(OFFLINE_MAY_IMPORT))
def test_within_offline_the_arrows_point_down(layer: str) -> None:
    for path in sorted((PACKAGE / "offline" / layer).rglob("*.py")):
        reached = _offline_layers(path) - {layer}
        allowed = OFFLINE_MAY_IMPORT[layer]
        assert reached <= allowed, f"{path.relative_to(PACKAGE)} imports offline.{reached - allowed}"


def test_the_rest_of_the_package_reaches_offline_through_the_request_rules_or_the_engine_choice() -> None:
    """The core estimates through ``offline.request``; the start-up line and --version ask ``offline.compiled``
    which engine is active. Nothing outside offline/ reaches into the text engine."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "offline" not in path.relative_to(PACKAGE).parts:
            assert "text" not in _offline_layers(path), f"{path.relative_to(PACKAGE)} imports offline.text"


def test_the_mcp_door_never_reaches_the_audit_which_starts_processes() -> None:
    """count_tool_definitions counts what it is given; only a person at the CLI starts servers (audit/)."""
    reached = {name for path in _layer_modules("tools") for name in _package_imports(path)}
    assert "audit" not in reached
    assert "audit" not in MAY_IMPORT["tools"] | MAY_IMPORT["core"] | MAY_IMPORT["serving"]


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its ``__init__``)."""
    modules: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """The nodes run when the module is imported or its functions called: all but ``if TYPE_CHECKING:`` bodies,
    which name a type for pyright and import nothing."""
    nodes: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def _imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, at module level or inside a function (lazily)."""
    return _imported_from_tree(name, path, ast.parse(path.read_text(encoding="utf-8")), modules)


def _imported_from_tree(name: str, path: Path, tree: ast.Module, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            source = ".".join([*base, node.module] if node.module else base)
            # ``from pkg import mod`` reaches mod; ``from pkg import name`` reaches pkg (or the module named).
            targets.update(f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    reached = {_owning_module(target, modules) for target in targets}
    return {module for module in reached if module is not None and module != name}


def _type_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules ``name`` imports under ``if TYPE_CHECKING:``: no cycle, but still an arrow."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    runtime = {id(node) for node in _runtime_nodes(tree)}
    hidden = ast.Module(
        body=[n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and id(n) not in runtime], type_ignores=[]
    )
    return _imported_from_tree(name, path, hidden, modules)


def _owning_module(target: str, modules: dict[str, Path]) -> str | None:
    """The module ``target`` names: itself, or the module holding the name (``a.b.f`` → ``a.b``)."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (its modules in order, the first repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            if found := visit(target):
                return found
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if found := visit(module):
            return found
    return None


def test_no_module_imports_itself_round_a_cycle() -> None:
    """No cycle among the package's modules, counting lazy (function-level) imports: each arrow points one way.
    ``if TYPE_CHECKING:`` imports are left out, since they never run."""
    modules = _modules()
    graph = {name: _imported_modules(name, path, modules) for name, path in modules.items()}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_lazy_cycle() -> None:
    """The check above can fail: a function-level import back is a cycle."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
