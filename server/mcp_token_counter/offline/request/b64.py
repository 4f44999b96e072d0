"""Base64 payloads, decoded no further than needed."""

from __future__ import annotations

import binascii


def strip_data_url(data: str) -> str:
    """``data`` without a ``data:…;base64,`` head: the API would refuse one, an estimate need not."""
    if data.startswith("data:"):
        comma = data.find(",", 0, 256)
        return data[comma + 1 :] if comma >= 0 else data
    return data


def decode_prefix(data: str | bytes, chars: int | None = None) -> bytes:
    """The bytes of the first ``chars`` base64 characters (all when None); empty when not base64."""
    prefix = data if chars is None or chars >= len(data) else data[: chars - chars % 4]
    try:
        return binascii.a2b_base64(prefix)
    except ValueError:  # binascii.Error, and also what a str with non-ASCII characters raises
        return b""
