"""Compact JSON schemas for tools/list: every client pays for them in context on every turn.

pydantic adds a ``title`` to every property, a model's docstring as its ``description``, an explicit
``additionalProperties: true`` (the JSON Schema default) on open objects, and spells optional arguments as
``anyOf [T, null]`` with ``default: null``. None of it tells a model anything the property names,
``required`` and the tool description do not.

Input schemas are also kept portable: no type lists (``["array", "null"]``) and no empty ``{}`` schemas, which
the Inspector warns about and Gemini rewrites. An optional argument is advertised as its type alone; the server
still takes ``null`` for it, as leaving it out (``arguments.without_optional_nulls``).
"""

from __future__ import annotations

import json
from typing import Any, cast


def compact_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The input schema without titles, with optional arguments as their type alone (``_without_null_branch``)."""
    return cast(dict[str, Any], _compact(_inline_defs(_without_model_docs(schema)), drop_null=True))


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The output schema without titles, defaults, descriptions, ``required`` or null branches.

    ``required`` and field descriptions go because a model reads results rather than writes them, and the
    values speak for themselves (docs/tools.md documents each field); the SDK still validates each result
    against the full model before sending it. Null branches go because no result carries a null: a field
    that does not apply is left out (``results.wire_json``), so ``anyOf [T, null]`` is just ``T``.
    """
    compact = cast(dict[str, Any], _compact(_inline_defs(_without_model_docs(schema)), drop_null=False))
    return cast(dict[str, Any], _type_lists(_without_null_branches(_without_descriptions(_without_required(compact)))))


def _without_model_docs(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop docstring-derived descriptions of the root and of ``$defs``; field descriptions stay."""
    root = {k: v for k, v in schema.items() if k != "description"}
    defs = cast(dict[str, dict[str, Any]], schema.get("$defs", {}))
    if defs:
        root["$defs"] = {name: {k: v for k, v in d.items() if k != "description"} for name, d in defs.items()}
    return root


def _compact(node: Any, *, drop_null: bool) -> Any:
    if isinstance(node, list):
        return [_compact(item, drop_null=drop_null) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in cast(dict[str, Any], node).items():
        if (key == "title" and isinstance(value, str)) or (key == "additionalProperties" and value is True):
            continue
        if key == "minItems" and drop_null:
            # The server checks a list's length against the full signature and says what to send; the
            # schema's copy costs every client context on every turn.
            continue
        if key == "properties":
            result[key] = {name: _compact(prop, drop_null=drop_null) for name, prop in value.items()}
        elif key == "default" and (value is None or value is False or not drop_null):
            # Output defaults describe nothing a client receives; an input's null or false default is what
            # leaving an optional argument out means anyway.
            continue
        else:
            result[key] = _compact(value, drop_null=drop_null)
    result = _enum_untyped(result)
    return _without_null_branch(result) if drop_null else result


def _enum_untyped(node: dict[str, Any]) -> dict[str, Any]:
    """An enum of strings without ``"type": "string"``: the values already say what they are."""
    values = node.get("enum")
    if (
        node.get("type") == "string"
        and isinstance(values, list)
        and all(isinstance(v, str) for v in cast(list[Any], values))
    ):
        return {k: v for k, v in node.items() if k != "type"}
    return node


def _without_null_branch(node: dict[str, Any]) -> dict[str, Any]:
    """An optional argument as the type it takes besides ``null``: one type alone, a union without its null
    branch. The ``null`` a client sends anyway (mcp-use sends one for every argument left out) is dropped before
    validation, so the schema need not say it."""
    branches = node.get("anyOf")
    if not isinstance(branches, list):
        return node
    kept = [b for b in cast(list[Any], branches) if b != {"type": "null"}]
    if len(kept) == len(cast(list[Any], branches)):
        return node
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    if len(kept) == 1:
        return {**cast(dict[str, Any], kept[0]), **rest}
    return {**rest, "anyOf": kept}


def _type_lists(node: Any) -> Any:
    """``anyOf`` of bare types (``[{"type": "string"}, {"type": "null"}]``) as one ``type`` list."""
    if isinstance(node, list):
        return [_type_lists(item) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    result = {key: _type_lists(value) for key, value in cast(dict[str, Any], node).items()}
    branches = result.get("anyOf")
    if isinstance(branches, list) and all(_bare_type(b) for b in cast(list[Any], branches)):
        rest = {k: v for k, v in result.items() if k != "anyOf"}
        return {**rest, "type": [b["type"] for b in cast(list[dict[str, str]], branches)]}
    return result


def _without_null_branches(node: Any) -> Any:
    """``anyOf [T, null]`` as ``T``, at every depth; a union of several types keeps them, without null."""
    if isinstance(node, list):
        return [_without_null_branches(item) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    result = {key: _without_null_branches(value) for key, value in cast(dict[str, Any], node).items()}
    branches = result.get("anyOf")
    if not isinstance(branches, list):
        return result
    kept = [b for b in cast(list[Any], branches) if b != {"type": "null"}]
    rest = {k: v for k, v in result.items() if k != "anyOf"}
    return {**rest, **cast(dict[str, Any], kept[0])} if len(kept) == 1 else {**rest, "anyOf": kept}


def _without_required(node: Any) -> Any:
    """The schema without ``required`` at any depth (nested result models too); property names stay."""
    if isinstance(node, list):
        return [_without_required(item) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in cast(dict[str, Any], node).items():
        if key == "required" and isinstance(value, list):
            continue
        if key == "properties" and isinstance(value, dict):
            result[key] = {name: _without_required(p) for name, p in cast(dict[str, Any], value).items()}
        else:
            result[key] = _without_required(value)
    return result


def _bare_type(node: Any) -> bool:
    return isinstance(node, dict) and list(cast(dict[str, Any], node)) == ["type"]


def _without_descriptions(schema: dict[str, Any]) -> dict[str, Any]:
    properties = cast(dict[str, dict[str, Any]], schema.get("properties", {}))
    slim = {name: {k: v for k, v in prop.items() if k != "description"} for name, prop in properties.items()}
    return {**schema, "properties": slim} if properties else schema


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace each ``$ref`` to a ``$defs`` entry used once by the entry itself: same meaning, fewer tokens."""
    defs = cast(dict[str, Any], schema.get("$defs", {}))
    text = json.dumps(schema)
    single = {name for name in defs if text.count(f'"#/$defs/{name}"') == 1}
    if not single:
        return schema

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in cast(list[Any], node)]
        if not isinstance(node, dict):
            return node
        fields = cast(dict[str, Any], node)
        ref = fields.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in single and len(fields) == 1:
            return inline(defs[ref.removeprefix("#/$defs/")])
        return {k: inline(v) for k, v in fields.items() if not (k == "$defs" and fields is schema)}

    result = cast(dict[str, Any], inline(schema))
    kept = {name: inline(d) for name, d in defs.items() if name not in single}
    return {**result, "$defs": kept} if kept else result
