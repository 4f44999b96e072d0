"""MkDocs hook (mkdocs.yml ``hooks:``): the tool reference's tables, made at build time from the server's own tools.

docs/tools.md holds one ``<!-- tool-reference: NAME -->`` marker per tool. Each is replaced by the tool's
description and annotations as clients see them, a table of its arguments and a table of its result's fields
(structured content), read from the server built in this process as the tests build it (no key, no network).

Two views of the same tools are read. The names, types and ``required`` lists are those of tools/list as a client
receives it (``TokenCounterServer.list_tools``). That list is compacted to save every client context (see
``tools/schema.py``): it drops defaults, ``minItems``, field descriptions and the results' ``required``. Those come
from the same tools' schemas before compaction (the SDK's ``MCPServer.list_tools``), which are what the server
validates arguments and results against.

A hook rather than a generated page kept in git: the tables cannot go stale, as every build (``make test``'s
strict one included) reads the server as it is. The arguments named as in the Messages API carry no description
in the schema, to keep tools/list small, so their descriptions are written in tool_reference.toml; a field with
none, an entry naming no field, a tool without a marker or a marker naming no tool is a warning, which fails
the strict build.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any, Final, cast

import anyio
from mcp.server import MCPServer
from mcp.types import Tool
from mkdocs.structure.pages import Page

from mcp_token_counter.app import build_server
from mcp_token_counter.config import load_settings

PAGE: Final = "tools.md"
MARKER: Final = re.compile(r"^<!-- tool-reference: ([\w-]+) -->$", re.MULTILINE)
DESCRIPTIONS: Final = Path(__file__).with_suffix(".toml")
ANNOTATION_WORDS: Final = {"readOnlyHint": "read-only", "idempotentHint": "idempotent", "openWorldHint": "open-world"}
# MkDocs counts warnings of loggers under "mkdocs.": each one fails a strict build.
log = logging.getLogger("mkdocs.plugins.tool_reference")

Schema = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """One row of a table: an argument or a result field (nested ones named ``parent[].child``)."""

    name: str
    type: str
    required: bool
    default: str
    limits: str
    described: str


@dataclass(frozen=True)
class ToolReference:
    """One tool as the page shows it."""

    tool: Tool
    arguments: tuple[Field, ...]
    results: tuple[Field, ...] | None  # None: the tool advertises no output schema


def on_page_markdown(markdown: str, /, *, page: Page, **_: object) -> str:
    """Replace the markers of the tool reference page; other pages are left as they are."""
    if page.file.src_uri != PAGE:
        return markdown
    texts = descriptions()
    filled, problems = filled_in(markdown, tool_references(texts), texts)
    for problem in problems:
        log.warning(problem)
    return filled


def filled_in(
    markdown: str, references: Mapping[str, ToolReference], texts: Mapping[str, Any]
) -> tuple[str, list[str]]:
    """The page with each marker replaced by its tool's block, and what is wrong: a tool without a marker, a
    marker naming no tool, a field without a description, a description naming no field."""
    named = MARKER.findall(markdown)
    problems = [f"{PAGE} has no '<!-- tool-reference: {n} -->' for the tool {n}" for n in references if n not in named]
    problems += [f"{PAGE} marks a tool the server does not have: {name}" for name in named if name not in references]
    problems += [f"scripts/tool_reference.toml: {problem}" for problem in description_problems(references, texts)]
    filled = MARKER.sub(lambda match: render(references[match[1]]) if match[1] in references else "", markdown)
    return filled, problems


def tool_references(texts: Mapping[str, Any]) -> dict[str, ToolReference]:
    """Every tool of the server, in tools/list order, with its argument and result rows described by ``texts``."""
    wire, full = server_tools()
    return {tool.name: reference(tool, full[tool.name], texts) for tool in wire}


@cache
def server_tools() -> tuple[list[Tool], dict[str, Tool]]:
    """Read once per build process (``mkdocs serve`` rebuilds reuse it: a changed server needs a restart)."""
    return anyio.run(listed_tools)


async def listed_tools() -> tuple[list[Tool], dict[str, Tool]]:
    """tools/list as a client receives it, and the same tools' schemas before compaction, by name."""
    settings, config_error = load_settings({})  # no key, no base URL: nothing is read from this shell
    server = build_server(settings, config_error=config_error)
    wire = await server.list_tools()
    full = await MCPServer.list_tools(server)
    return wire, {tool.name: tool for tool in full}


def descriptions() -> dict[str, Any]:
    """Read at each build, so that ``mkdocs serve`` shows an edited description."""
    return tomllib.loads(DESCRIPTIONS.read_text(encoding="utf-8"))


def reference(tool: Tool, full: Tool, texts: Mapping[str, Any]) -> ToolReference:
    own = cast(dict[str, Any], texts.get("tools", {}).get(tool.name, {}))
    arguments = rows(tool.input_schema, full.input_schema, Texts(own.get("arguments", {}), texts.get("arguments", {})))
    results = None
    if tool.output_schema is not None and full.output_schema is not None:
        results = rows(tool.output_schema, full.output_schema, Texts(own.get("results", {}), texts.get("results", {})))
    return ToolReference(tool, tuple(arguments), None if results is None else tuple(results))


@dataclass(frozen=True)
class Texts:
    """The hand-written descriptions for one table: the tool's own, then those shared by every tool."""

    own: Mapping[str, str]
    shared: Mapping[str, str]

    def of(self, name: str, schema_text: str) -> str:
        return self.own.get(name) or self.shared.get(name) or schema_text


def rows(wire: Schema, full: Schema, texts: Texts, prefix: str = "", defs: Schema | None = None) -> list[Field]:
    """A row per property of ``wire`` (the advertised schema), its facts completed from ``full``; nested objects'
    properties follow their parent as ``parent[].child`` or ``parent.child``."""
    defs = defs if defs is not None else cast(Schema, full.get("$defs", {}))
    full = resolved(full, defs)
    required = set(cast(list[str], full.get("required", [])))
    found: list[Field] = []
    for name, prop in cast(Schema, wire.get("properties", {})).items():
        whole = resolved(cast(Schema, full.get("properties", {}).get(name, {})), defs)
        found.append(
            Field(
                name=prefix + name,
                type=type_text(prop),
                required=name in required,
                default=default_text(whole),
                limits=limits_text(whole),
                described=texts.of(prefix + name, str(whole.get("description", ""))),
            )
        )
        nested, inner, mark = nested_object(prop, whole, defs)
        if nested is not None:
            found.extend(rows(nested, inner, texts, f"{prefix}{name}{mark}.", defs))
    return found


def resolved(node: Schema, defs: Schema) -> Schema:
    """``node`` itself, or the ``$defs`` entry it refers to; an optional field's non-null branch when it is one."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        node = cast(Schema, defs.get(ref.removeprefix("#/$defs/"), {}))
    branches = [b for b in cast(list[Schema], node.get("anyOf", [])) if b != {"type": "null"}]
    if len(branches) == 1:
        return {**{k: v for k, v in node.items() if k != "anyOf"}, **resolved(branches[0], defs)}
    return node


def nested_object(wire: Schema, full: Schema, defs: Schema) -> tuple[Schema | None, Schema, str]:
    """The object schema under a property that has fields of its own (in both views), with its name's mark."""
    if "properties" in wire:
        return wire, full, ""
    items = wire.get("items")
    if isinstance(items, dict) and "properties" in items:
        return cast(Schema, items), resolved(cast(Schema, full.get("items", {})), defs), "[]"
    return None, full, ""


def type_text(node: Schema) -> str:
    """A schema's type in words: ``string``, ``array of object``, ``string or array of object``."""
    if "enum" in node:
        return "string" if all(isinstance(v, str) for v in cast(list[Any], node["enum"])) else "value"
    if "anyOf" in node:
        return " or ".join(type_text(branch) for branch in cast(list[Schema], node["anyOf"]))
    kind = node.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(cast(list[str], kind))
    if kind == "array" and isinstance(node.get("items"), dict):
        return f"array of {type_text(cast(Schema, node['items']))}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"object of {type_text(cast(Schema, node['additionalProperties']))}"
    return str(kind)


def default_text(node: Schema) -> str:
    """The default as JSON, or nothing: a ``null`` default is what leaving the argument out means."""
    if node.get("default") is None:
        return ""
    return f"`{json.dumps(node['default'])}`"


def limits_text(node: Schema) -> str:
    """The values or bounds the schema sets: an enum, an array's least length, a number's range."""
    parts: list[str] = []
    if "enum" in node:
        parts.append("one of " + ", ".join(f"`{value}`" for value in cast(list[Any], node["enum"])))
    if "minItems" in node:
        least = int(node["minItems"])
        parts.append(f"at least {least} item{'s' if least != 1 else ''}")
    if "minimum" in node:
        parts.append(f"≥ {node['minimum']}")
    if "maximum" in node:
        parts.append(f"≤ {node['maximum']}")
    return "; ".join(parts)


def description_problems(references: Mapping[str, ToolReference], texts: Mapping[str, Any]) -> list[str]:
    """Fields with no description anywhere, and descriptions that name no field of any tool (stale entries)."""
    problems = [
        f"{name}: {kind} {row.name} has no description"
        for name, ref in references.items()
        for kind, table in (("argument", ref.arguments), ("result field", ref.results or ()))
        for row in table
        if not row.described
    ]
    own_tools = cast(dict[str, dict[str, dict[str, str]]], texts.get("tools", {}))
    for tool in own_tools.keys() - references.keys():
        problems.append(f"[tools.{tool}] names no tool of the server")
    for kind in ("arguments", "results"):
        shared = set(cast(dict[str, str], texts.get(kind, {})))
        for tool, own in own_tools.items():
            names = field_names(references.get(tool), kind)
            problems += [f"[tools.{tool}.{kind}] {n} is no such field" for n in set(own.get(kind, {})) - names]
        everywhere = set[str]().union(*(field_names(ref, kind) for ref in references.values()))
        problems += [f"[{kind}] {name} is no tool's field" for name in sorted(shared - everywhere)]
    return problems


def field_names(ref: ToolReference | None, kind: str) -> set[str]:
    if ref is None:
        return set()
    return {row.name for row in (ref.arguments if kind == "arguments" else ref.results or ())}


def render(ref: ToolReference) -> str:
    """The generated block: title, description and annotations as clients see them, then the two tables, in a
    ``div`` the tests find by its ``data-tool``."""
    tool = ref.tool
    hints = tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else {}
    marks = ", ".join(word for hint, word in ANNOTATION_WORDS.items() if hints.get(hint))
    lines = [
        f'<div class="tool-reference" data-tool="{tool.name}" markdown>',
        "",
        f"> **{tool.title}**: {tool.description}",
        "",
        f"Annotations: {marks or 'none'}.",
        "",
        *argument_table(ref.arguments),
        "",
        *result_table(ref.results),
        "",
        "</div>",
    ]
    return "\n".join(lines)


def argument_table(arguments: Sequence[Field]) -> list[str]:
    """Argument, type, required, default, limits, description; the default or limits column only when a row
    of the tool has one."""
    columns = (("Default", attrgetter("default")), ("Limits", attrgetter("limits")))
    optional = [(title, value) for title, value in columns if any(map(value, arguments))]
    titles = ["Argument", "Type", "Required", *(title for title, _ in optional), "Description"]
    lines = ["| " + " | ".join(titles) + " |", "|" + "---|" * len(titles)]
    for row in arguments:
        cells = [f"`{row.name}`", row.type, "yes" if row.required else "no", *(value(row) for _, value in optional)]
        lines.append("| " + " | ".join([*cells, cell(row.described)]) + " |")
    return lines


def result_table(results: Sequence[Field] | None) -> list[str]:
    if results is None:
        return [
            "This tool advertises no output schema (it keeps tools/list within its budget): its result's fields "
            "are described below."
        ]
    lines = ["| Result field | Type | Present | Description |", "|---|---|---|---|"]
    for row in results:
        present = "always" if row.required or row.default else "when it applies"
        kind = f"{row.type} ({row.limits})" if row.limits else row.type
        lines.append(f"| `{row.name}` | {kind} | {present} | {cell(row.described)} |")
    return lines


def cell(text: str) -> str:
    """Text for one table cell: on one line, its pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")
