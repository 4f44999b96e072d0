"""Pydantic validation errors in our own words: which field, what was wrong, what to send instead.

pydantic's text ("Input should be a valid string [type=string_type, ...]" and an errors.pydantic.dev link) is
written for Python programmers; the tools' ``isError`` texts and the CLI's messages are read by a model or a
person sending JSON, so both go through ``describe``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

MAX_PROBLEMS: Final = 3
# What each error type asks for; "{...}" takes values from the error's context.
_WANTED: Final[Mapping[str, str]] = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "extra_forbidden": "is not a field this takes; leave it out",
    "union_tag_invalid": "has an unknown type; use one of {expected_tags}",
    "string_too_short": "must not be empty",
}
# Parts pydantic adds to a location for the member of a union it tried ("str", "list[ContentBlock]").
_UNION_MEMBERS: Final = frozenset({"str", "int", "float", "bool", "list", "dict", "none", "json-or-python"})


def describe(exc: ValidationError, *, prefix: str = "") -> str:
    """One line per field at fault (at most ``MAX_PROBLEMS``), e.g. ``messages[0].role must be one of ...``."""
    problems: dict[str, list[ErrorDetails]] = {}
    for error in exc.errors(include_url=False):
        problems.setdefault(_where(error["loc"], prefix), []).append(error)
    lines = [_problem(where, errors) for where, errors in list(problems.items())[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"and {len(problems) - MAX_PROBLEMS} more field(s)")
    return "; ".join(lines)


def _problem(where: str, errors: Sequence[ErrorDetails]) -> str:
    if len(errors) > 1:
        # Every member of a union refused it: name what each wanted.
        wanted = " or ".join(dict.fromkeys(_wanted(e).removeprefix("must be ") for e in errors))
        return f"{where} must be {wanted}, got {_json_type(errors[0]['input'])}"
    error = errors[0]
    # The type sent is news only when the type was the problem (a bound or a choice says enough).
    wrong_type = error["type"].endswith(("_type", "_parsing", "_from_float"))
    got = f", got {_json_type(error['input'])}" if wrong_type else ""
    return f"{where} {_wanted(error)}{got}"


def _wanted(error: ErrorDetails) -> str:
    template = _WANTED.get(error["type"], "has a value this does not take")
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return "has a value this does not take"


def _where(loc: Sequence[int | str], prefix: str) -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part not in _UNION_MEMBERS and "[" not in part:
            text += f".{part}" if text else part
    return text or "the arguments"


def _json_type(value: Any) -> str:
    """The JSON name of a value's type; never the value itself, which may be the caller's data."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
