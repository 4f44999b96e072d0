"""The forwarded body, encoded a piece at a time: the same bytes as one ``to_json``, without a whole copy."""

import hashlib
from typing import Any

import pydantic_core
import pytest

from mcp_token_counter.errors import PayloadTooLarge, TokenCounterError
from mcp_token_counter.upstream.body import CHUNK_CHARS, LIFT_CHARS, encode_body

MARK = "\0token-counter:lifted:"
BASE64 = "QUJD" * (LIFT_CHARS // 2)
# Escapes, multi-byte UTF-8 and a character outside the BMP, repeated across several chunk boundaries.
AWKWARD = 'é"\\\n\x01\u2028😀x' * (CHUNK_CHARS // 3)


def image(data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def nested(depth: int, leaf: str) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = [value]
    return value


BODIES = {
    "small": {"model": "m", "messages": [{"role": "user", "content": "Hello, Claude"}]},
    "one image": {"model": "m", "messages": [{"role": "user", "content": [image(BASE64), "text"]}]},
    "awkward text": {"model": "m", "messages": [{"role": "user", "content": AWKWARD}], "system": "s"},
    "several, keys unsorted": {
        "z": BASE64,
        "model": "m",
        "messages": [
            {"role": "user", "content": [image(BASE64), {"type": "text", "text": AWKWARD}, image(BASE64[::-1])]},
            {"role": "assistant", "content": BASE64 + "!"},
        ],
        "a": [1, 2.5, None, True, {"k": BASE64}],
        "system": [{"type": "text", "text": AWKWARD[:LIFT_CHARS]}],
    },
    "deeper than the walk": {"model": "m", "messages": [{"role": "user", "content": nested(40, BASE64)}]},
    "marker in a small string": {"model": "m", "messages": [{"role": "user", "content": BASE64}], "x": MARK + "0"},
    "marker as a key": {"model": "m", "messages": [{"role": "user", "content": BASE64}], "x": {MARK + "0": 1}},
    "marker inside a large string": {"model": "m", "messages": [{"role": "user", "content": BASE64 + MARK + "0"}]},
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_the_bytes_size_and_digest_are_those_of_one_to_json(body: dict[str, Any]) -> None:
    whole = pydantic_core.to_json(body)
    encoded = encode_body(body)
    assert b"".join(encoded.chunks()) == whole
    assert encoded.size == len(whole)
    assert encoded.sha256 == hashlib.sha256(whole).digest()


def test_large_strings_are_referenced_not_copied() -> None:
    data = BASE64 + "x"
    block = image(data)
    body = {"model": "m", "messages": [{"role": "user", "content": [block]}]}
    encoded = encode_body(body)
    assert any(part is data for part in encoded.parts)
    assert sum(len(part) for part in encoded.parts if isinstance(part, bytes)) < 1_000
    assert block["source"]["data"] is data, "the caller's body is left as it was"


def test_a_lone_surrogate_in_a_large_string_is_a_clear_error() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": BASE64 + "\ud800"}]}
    with pytest.raises(TokenCounterError, match="unpaired surrogate"):
        encode_body(body)


def test_the_size_limit_reports_the_encoded_size() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": [image("A" * 16_000_000), image("B" * 16_000_000)]}]}
    with pytest.raises(PayloadTooLarge) as caught:
        encode_body(body)
    assert caught.value.size == len(pydantic_core.to_json(body))
