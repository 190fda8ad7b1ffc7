"""The sandbox's JSON responses.

orjson encodes a page of records several times faster than the standard library's encoder, so the
sandbox's own CPU stays well below what the imitated APIs' rate limits let a connector ask for:
the benchmarks share two cores between the sandbox and the pipeline they measure.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    """A ``JSONResponse`` encoded with orjson (dict keys that are not strings become strings)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
