"""Reading the servers out of host configs: the JSON ``mcpServers``/``servers`` maps and Codex's TOML.

Claude Desktop, Claude Code (``.mcp.json``; ``~/.claude.json`` at the top for user scope and under
``projects[<folder>]`` for local scope), Cursor and VS Code (``servers``) share one JSON shape: a map from
name to ``command``/``args``/``env`` (stdio) or ``url``/``headers`` with ``type`` http or sse. Codex keeps
``[mcp_servers.<name>]`` tables with ``http_headers``, ``env_http_headers`` and ``bearer_token_env_var``.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, cast

from .entry import ServerEntry, Transport
from .expand import Expander, NeedsInput

SSE_TYPES: Final = frozenset({"sse"})
# ~/.claude.json keeps history and grows to a few MB; anything past this is not a config.
MAX_CONFIG_BYTES: Final = 64 * 1024 * 1024
HTTP_TYPES: Final = frozenset({"http", "streamable-http", "streamable_http", "streamableHttp"})


class ConfigUnreadable(Exception):
    """A config file that is missing, not JSON/TOML, or not shaped like a host config."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path


def read_config(path: Path, host: str, expand: Expander) -> list[ServerEntry]:
    """The servers ``path`` configures, in file order; Codex's TOML when the name ends in ``.toml``.

    Raises:
        ConfigUnreadable: the file cannot be read or parsed.
    """
    try:
        text = _read_text(path)
        doc: object = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigUnreadable(path, str(exc)) from exc
    if not isinstance(doc, dict):
        raise ConfigUnreadable(path, "not an object of settings")
    fields = cast(dict[str, Any], doc)
    codex = path.suffix == ".toml"
    servers = _servers(fields, "mcp_servers") if codex else json_servers(fields, expand)
    entries = (server_entry(name, spec, host, expand, codex=codex) for name, spec in servers.items())
    return [entry for entry in entries if entry is not None]


def _read_text(path: Path) -> str:
    """The file's text, as ``count`` reads a payload: a regular file only (a FIFO would block for ever, and
    ``/dev/zero`` never ends), and no more than ``MAX_CONFIG_BYTES``.

    Raises:
        OSError: it cannot be opened or read.
        ValueError: it is not a regular file, is too large, or is not UTF-8.
    """
    # O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer before fstat can refuse it.
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file; pass the host's config file itself")
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ValueError(f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB, more than any host config")
    return data.decode("utf-8")


def json_servers(doc: Mapping[str, Any], expand: Expander) -> dict[str, object]:
    """The name → server map of a JSON config; for ``~/.claude.json``, the project's local scope as well."""
    servers = _servers(doc, "mcpServers") or _servers(doc, "servers")
    projects = doc.get("projects")
    if isinstance(projects, dict):
        project = cast(dict[str, Any], projects).get(expand.workspace)
        if isinstance(project, dict):
            servers = servers | _servers(cast(dict[str, Any], project), "mcpServers")
    return servers


def server_entry(name: str, spec: object, host: str, expand: Expander, *, codex: bool) -> ServerEntry | None:
    """One server of a config; None when the config turns it off (``disabled``, ``enabled = false``)."""
    if not isinstance(spec, dict):
        return ServerEntry(name, host, "stdio", problem="the entry is not an object")
    fields = cast(dict[str, Any], spec)
    if fields.get("disabled") is True or fields.get("enabled") is False:
        return None
    try:
        headers = codex_headers(fields, expand) if codex else _strings(fields.get("headers"))
        return _entry(name, host, fields, headers, expand)
    except NeedsInput as exc:
        return ServerEntry(name, host, _transport(fields), problem=str(exc))


def codex_headers(fields: Mapping[str, Any], expand: Expander) -> dict[str, str]:
    """The headers of a Codex server: ``http_headers``, ``env_http_headers`` and ``bearer_token_env_var``."""
    headers = _strings(fields.get("http_headers"))
    for header, variable in _strings(fields.get("env_http_headers")).items():
        headers[header] = expand.environ.get(variable, "")
    token_variable = fields.get("bearer_token_env_var")
    if isinstance(token_variable, str):
        headers["Authorization"] = f"Bearer {expand.environ.get(token_variable, '')}"
    return headers


def _entry(
    name: str, host: str, fields: Mapping[str, Any], headers: Mapping[str, str], expand: Expander
) -> ServerEntry:
    transport = _transport(fields)
    command, url = fields.get("command"), fields.get("url") or fields.get("serverUrl")
    if transport == "stdio" and not isinstance(command, str):
        return ServerEntry(name, host, transport, problem="the entry has neither a command nor a url")
    return ServerEntry(
        name,
        host,
        transport,
        command=expand(command) if isinstance(command, str) else None,
        args=tuple(expand(str(arg)) for arg in cast(list[Any], fields.get("args") or [])),
        env={key: expand(value) for key, value in _strings(fields.get("env")).items()},
        cwd=expand(cwd) if isinstance(cwd := fields.get("cwd"), str) else None,
        url=expand(url) if isinstance(url, str) else None,
        headers={key: expand(value) for key, value in headers.items()},
        expanded=tuple(_expanded_variables(expand, command, url, fields.get("args"))),
    )


def _expanded_variables(expand: Expander, command: object, url: object, args: object) -> list[str]:
    """What the variables in the command, url and args expand to (env and headers are secrets already)."""
    raw = [command, url, *(cast(list[Any], args) if isinstance(args, list) else [])]
    return [value for item in raw if isinstance(item, str) for value in expand.variables_in(item)]


def _transport(fields: Mapping[str, Any]) -> Transport:
    kind = fields.get("type") or fields.get("transport")
    if isinstance(fields.get("command"), str) and kind in (None, "stdio"):
        return "stdio"
    if kind in SSE_TYPES:
        return "sse"
    has_url = isinstance(fields.get("url") or fields.get("serverUrl"), str)
    return "http" if has_url or kind in HTTP_TYPES else "stdio"


def _servers(doc: Mapping[str, Any], key: str) -> dict[str, object]:
    servers = doc.get(key)
    return dict(cast(dict[str, object], servers)) if isinstance(servers, dict) else {}


def _strings(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in cast(dict[object, object], value).items() if v is not None}
