"""What an MCPB host does with ``manifest.json``: turn ``server.mcp_config`` into a command and environment.

The rules are the substitution rules of the MCPB manifest spec (anthropics/mcpb, MANIFEST.md): ``${__dirname}``
is the unpacked bundle, ``${user_config.KEY}`` the user's value or the field's ``default``, numbers and
booleans become strings, and an optional field left empty becomes the empty string (which is why the server
treats empty variables as unset). Only what this project's manifest uses is implemented; ``multiple`` and
``platform_overrides`` are not.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
MANIFEST_PATH: Final = ROOT / "manifest.json"
PLACEHOLDER: Final = re.compile(r"\$\{([^}]+)\}")

UserValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Launch:
    """The process a host would start for the bundle."""

    command: str
    args: list[str]
    env: dict[str, str]


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    """The manifest as JSON."""
    with path.open(encoding="utf-8") as handle:
        manifest: dict[str, Any] = json.load(handle)
    return manifest


def as_text(value: UserValue) -> str:
    """A user_config value as the host writes it into an argument or variable (JavaScript's ``String()``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def user_values(manifest: Mapping[str, Any], given: Mapping[str, UserValue]) -> dict[str, str]:
    """Every user_config key's text: what the user gave, else the default, else the empty string.

    Raises:
        KeyError: ``given`` names a key the manifest does not declare.
    """
    fields: Mapping[str, Mapping[str, Any]] = manifest.get("user_config", {})
    unknown = set(given) - set(fields)
    if unknown:
        raise KeyError(f"not in user_config: {sorted(unknown)}")
    values: dict[str, str] = {}
    for key, spec in fields.items():
        value: UserValue | None = given.get(key, spec.get("default"))
        values[key] = "" if value is None else as_text(value)
    return values


def substitute(template: str, *, dirname: Path, values: Mapping[str, str]) -> str:
    """Replace the placeholders a host knows; an unknown one is left as it is, as hosts do."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "__dirname":
            return str(dirname)
        if name in ("/", "pathSeparator"):
            return os.sep
        if name.startswith("user_config."):
            return values[name.removeprefix("user_config.")]
        return match.group(0)

    return PLACEHOLDER.sub(replace, template)


def launch(manifest: Mapping[str, Any], *, dirname: Path, user_config: Mapping[str, UserValue]) -> Launch:
    """The command, arguments and environment of ``server.mcp_config`` after substitution."""
    config: Mapping[str, Any] = manifest["server"]["mcp_config"]
    values = user_values(manifest, user_config)
    args: list[str] = config.get("args", [])
    env: Mapping[str, str] = config.get("env", {})
    return Launch(
        command=substitute(config["command"], dirname=dirname, values=values),
        args=[substitute(arg, dirname=dirname, values=values) for arg in args],
        env={name: substitute(value, dirname=dirname, values=values) for name, value in env.items()},
    )


def referenced_user_config(manifest: Mapping[str, Any]) -> set[str]:
    """The user_config keys that ``mcp_config`` mentions."""
    text = json.dumps(manifest["server"]["mcp_config"])
    return {name.removeprefix("user_config.") for name in PLACEHOLDER.findall(text) if name.startswith("user_config.")}
