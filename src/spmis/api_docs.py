"""``GET /docs``: the interactive API description (Swagger UI), served entirely by SPMIS.

The Swagger UI files come from the pinned ``swagger-ui-dist`` npm package (``make assets``
copies them into ``spmis/web/static/vendor/``, committed with their licence), so the page works
on an offline government network and loads no script from a public CDN. The page itself has no
inline script: ``static/js/api-docs.js`` starts Swagger UI on ``/openapi.json``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SPMIS API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, from SPMIS's own pinned copy of its files."""
    return HTMLResponse(PAGE)
