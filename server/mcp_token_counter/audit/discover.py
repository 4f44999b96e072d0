"""Where the MCP hosts keep their configs, for the platform the audit runs on and the folder it runs in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DESKTOP_FILE = "claude_desktop_config.json"


@dataclass(frozen=True, slots=True)
class Places:
    """What the config locations depend on; tests pass their own."""

    home: Path
    cwd: Path
    environ: Mapping[str, str]


def candidates(places: Places) -> list[tuple[str, Path]]:
    """(host, path) of every config a host could have here, found or not, in a fixed order."""
    home, cwd, env = places.home, places.cwd, places.environ
    appdata = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
    xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    codex = Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else home / ".codex"
    return [
        ("Claude Desktop", home / "Library" / "Application Support" / "Claude" / DESKTOP_FILE),
        ("Claude Desktop", appdata / "Claude" / DESKTOP_FILE),
        ("Claude Desktop", xdg / "Claude" / DESKTOP_FILE),
        ("Claude Code (project)", cwd / ".mcp.json"),
        ("Claude Code (user)", home / ".claude.json"),
        ("Cursor (project)", cwd / ".cursor" / "mcp.json"),
        ("Cursor (user)", home / ".cursor" / "mcp.json"),
        ("VS Code", cwd / ".vscode" / "mcp.json"),
        ("Codex", codex / "config.toml"),
    ]


def found_configs(places: Places) -> list[tuple[str, Path]]:
    """The candidates that exist, each file once."""
    seen: set[Path] = set()
    found: list[tuple[str, Path]] = []
    for host, path in candidates(places):
        if path.is_file() and path.resolve() not in seen:
            seen.add(path.resolve())
            found.append((host, path))
    return found
