"""Vendored front-end assets, served by Storeboard itself (no CDN)."""

from __future__ import annotations

import threading
from functools import lru_cache

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(tags=["assets"])


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, built offline by vl-convert (~1 s, once)."""
    import vl_convert

    return vl_convert.javascript_bundle()


def warm_up() -> None:
    """Build the bundle in the background so the first page view does not wait for it."""
    threading.Thread(target=vega_bundle, name="vega-bundle", daemon=True).start()


@router.get("/assets/vega-bundle.js", include_in_schema=False)
def vega_bundle_js() -> Response:
    return Response(vega_bundle(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})
