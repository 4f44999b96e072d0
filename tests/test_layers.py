"""The layout's promises: arrows between layers point down, and one package talks HTTP to the API."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "server" / "mcp_token_counter"
# What each layer may import from the package, besides itself and the top-level shared modules
# (config, errors, catalog, clock, metrics, redaction).
MAY_IMPORT: dict[str, set[str]] = {
    "offline": set(),
    "upstream": {"shared"},
    "core": {"upstream", "offline", "shared"},
    "files": {"core", "upstream", "offline", "shared"},
    "tools": {"core", "files", "upstream", "offline", "shared", "view"},
    "audit": {"core", "upstream", "offline", "shared"},
    # The one command-line parser takes the server's flags too (serving.web's defaults and host check).
    "cli": {"core", "files", "upstream", "offline", "shared", "audit", "view", "serving"},
    "view": {"core", "files"},
    "serving": set(),
    "shared": set(),
    # The OAuth resource server: the authorization server over upstream's HTTP, Redis for quotas, and
    # serving's notion of which paths are MCP endpoints.
    "auth": {"upstream", "shared", "serving"},
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


def test_the_mcp_door_never_reaches_the_audit_which_starts_processes() -> None:
    """count_tool_definitions counts what it is given; only a person at the CLI starts servers (audit/)."""
    reached = {name for path in _layer_modules("tools") for name in _package_imports(path)}
    assert "audit" not in reached
    assert "audit" not in MAY_IMPORT["tools"] | MAY_IMPORT["core"] | MAY_IMPORT["serving"]
