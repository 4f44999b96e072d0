"""The forwarded body as JSON bytes, produced a piece at a time so that no whole copy of it is held.

A request can carry tens of MB of base64 in one string. ``pydantic_core.to_json`` of the whole body builds
its own buffer of that size, copies it into ``bytes``, and the ``bytes`` then live for the whole upstream
call: over stdio that was the only memory this server added to the SDK's own (see ``bench/startup.py``).
Instead the body is encoded with its large strings lifted out, and those are escaped a chunk at a time
whenever the bytes are needed: once here to measure and hash them, and once per attempt to send them.

The bytes are exactly ``pydantic_core.to_json(body)``'s: everything but the lifted strings goes through one
``to_json`` call, and a string's escaping does not depend on where it is cut.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, cast

import pydantic_core

from ..config import MAX_BODY_BYTES
from ..errors import PayloadTooLarge, TokenCounterError

NESTING_MESSAGE: Final = (
    "The request is nested too deeply to encode as JSON (over about 250 levels); the Messages API does not "
    "take structures like this. Flatten the deeply nested field and call again."
)
# Shorter strings stay in the skeleton: copying them costs little, and each lifted one costs a marker.
LIFT_CHARS: Final = 64 * 1024
CHUNK_CHARS: Final = 256 * 1024
# Message content sits 4 to 8 levels down; a large string deeper than this is copied whole, which is
# correct, and the walk stays bounded on pathologically nested input.
_MAX_LIFT_DEPTH: Final = 32
# Holds a lifted string's place in the skeleton. The NUL keeps it out of ordinary text; a body that contains
# it anyway is encoded whole rather than split at the wrong place.
_MARK: Final = "\0token-counter:lifted:"
_ESCAPED_MARK: Final = pydantic_core.to_json(_MARK)[1:-1]

type Part = bytes | str
type Container = dict[Any, Any] | list[Any]


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """The body's JSON as literal bytes and lifted strings, with the size and SHA-256 of the whole."""

    parts: tuple[Part, ...]
    size: int
    sha256: bytes

    @property
    def whole(self) -> bytes | None:
        """The bytes themselves when nothing was lifted out (they are then already one object), else None."""
        only = self.parts[0] if len(self.parts) == 1 else None
        return only if isinstance(only, bytes) else None

    def chunks(self) -> Iterator[bytes]:
        """The body's bytes in order: literal parts whole, lifted strings escaped ``CHUNK_CHARS`` at a time."""
        return _chunks(self.parts)

    async def stream(self) -> AsyncIterator[bytes]:
        """``chunks`` for httpx2, which takes only an async iterable as a streamed request body."""
        for chunk in self.chunks():
            yield chunk


def encode_body(body: dict[str, Any]) -> EncodedBody:
    """Compact UTF-8 JSON, measured and hashed, refused above the API's 32 MB limit before anything is sent.

    Raises:
        PayloadTooLarge: the body is over 32 MB.
        TokenCounterError: lone surrogates (not valid Unicode), or nesting deeper than JSON encoding allows.
    """
    try:
        parts = _split(body)
        size, digest = 0, hashlib.sha256()
        for chunk in _chunks(parts):
            size += len(chunk)
            digest.update(chunk)
    except pydantic_core.PydanticSerializationError as exc:
        raise TokenCounterError(_unencodable_message(str(exc))) from exc
    if size > MAX_BODY_BYTES:
        raise PayloadTooLarge(size, MAX_BODY_BYTES)
    return EncodedBody(parts, size, digest.digest())


def _split(body: dict[str, Any]) -> tuple[Part, ...]:
    """The encoded skeleton cut at each lifted string's marker, with the strings in between."""
    lifted: list[str] = []
    skeleton = pydantic_core.to_json(_lift(body, lifted, _MAX_LIFT_DEPTH))
    if not lifted:
        return (skeleton,)
    if skeleton.count(_ESCAPED_MARK) != len(lifted):
        return (pydantic_core.to_json(body),)
    markers = [pydantic_core.to_json(f"{_MARK}{index}") for index in range(len(lifted))]
    parts: list[Part] = []
    start = 0
    for at, index in sorted((skeleton.index(marker), index) for index, marker in enumerate(markers)):
        parts += (skeleton[start:at], lifted[index])
        start = at + len(markers[index])
    parts.append(skeleton[start:])
    return tuple(parts)


def _lift(value: Container, lifted: list[str], depth: int) -> Container:
    """A dict or list with strings of ``LIFT_CHARS`` or more replaced by numbered markers.

    Only the containers on the way to a lifted string are copied; everything else is the caller's object.
    Exact type checks, and no call per leaf, because a long conversation has tens of thousands of leaves
    and this walk should cost about what encoding them does. Subclasses below the top are encoded whole.
    """
    pairs: Iterable[tuple[Any, Any]] = value.items() if isinstance(value, dict) else enumerate(value)
    copy: Container | None = None
    for key, item in pairs:
        if type(item) is str:
            if len(item) < LIFT_CHARS:
                continue
            lifted.append(item)
            new: Any = f"{_MARK}{len(lifted) - 1}"
        elif depth > 1 and (type(item) is dict or type(item) is list):
            new = _lift(cast(Container, item), lifted, depth - 1)
            if new is item:
                continue
        else:
            continue
        if copy is None:
            copy = dict(value) if isinstance(value, dict) else list(value)
        copy[key] = new
    return value if copy is None else copy


def _chunks(parts: Iterable[Part]) -> Iterator[bytes]:
    for part in parts:
        if isinstance(part, bytes):
            yield part
            continue
        yield b'"'
        for start in range(0, len(part), CHUNK_CHARS):
            yield pydantic_core.to_json(part[start : start + CHUNK_CHARS])[1:-1]
        yield b'"'


def _unencodable_message(reason: str) -> str:
    if "surrogate" in reason:
        return (
            "The request contains text that is not valid Unicode (an unpaired surrogate, such as the escape "
            "\\ud800); remove it and call again."
        )
    if "depth" in reason:
        return NESTING_MESSAGE
    return f"The request cannot be encoded as JSON ({reason}); fix the field and call again."
