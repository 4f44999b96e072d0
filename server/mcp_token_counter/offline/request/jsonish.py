"""Typed views of untyped JSON: the body arrives as plain parsed JSON, so every access narrows first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, cast

# The most of a caller's value a note repeats.
MAX_ECHO_CHARS: Final = 60


def as_mapping(value: object) -> Mapping[str, object] | None:
    """``value`` as a JSON object, or None."""
    return cast(Mapping[str, object], value) if isinstance(value, Mapping) else None


def as_list(value: object) -> Sequence[object] | None:
    """``value`` as a JSON array, or None (strings are not arrays here)."""
    return cast(Sequence[object], value) if isinstance(value, list | tuple) else None


def get_str(obj: Mapping[str, object], key: str) -> str | None:
    """``obj[key]`` when it is a string."""
    value = obj.get(key)
    return value if isinstance(value, str) else None


def clipped(text: str) -> str:
    """A caller's value as a note quotes it: at most ``MAX_ECHO_CHARS`` characters (a 1 MB block type was
    echoed whole in every result's notes, and in the agent's context), with a lone surrogate written as its
    escape: JSON can carry one in, but a result holding it cannot be encoded, and the call failed."""
    shown = text if len(text) <= MAX_ECHO_CHARS else text[:MAX_ECHO_CHARS] + "…"
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


def type_of(value: object) -> str | None:
    """The ``type`` field of a JSON object, if it has a string one."""
    obj = as_mapping(value)
    return None if obj is None else get_str(obj, "type")
