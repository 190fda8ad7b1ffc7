"""Decoding API response bodies: orjson (several times faster than the standard library on big
pages and bulk files), falling back to the standard library for what orjson refuses."""

from __future__ import annotations

import json
from typing import Any

import orjson  # a dlt dependency


def loads(data: bytes | str) -> Any:
    """Decode one JSON document.

    Raises:
        ValueError: the body is not JSON (``json.JSONDecodeError``).
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # NaN, Infinity and lone surrogates: the standard library reads them as before.
        return json.loads(data)
