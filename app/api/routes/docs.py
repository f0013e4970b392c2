"""The API docs on a developer's machine: ``/docs`` is Swagger UI served by this app from the installed
``swagger-ui-bundle-v2`` package (Swagger UI 5, which reads the OpenAPI 3.1 FastAPI writes; no CDN, no
inline script: the page CSP holds), reading ``/openapi.json``. Both are there only with
``ENVIRONMENT=local``; elsewhere they answer 404 (issue 12: the schema and the docs page were public on
every deployment)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from app.errors import AppError, ErrorCode

root_router = APIRouter(include_in_schema=False)

ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>kefu API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/static/kit/docs-init.js"></script>
</body>
</html>
"""


def docs_enabled(environment: str) -> bool:
    return environment == "local"


def swagger_ui_folder() -> Path | None:
    spec = importlib.util.find_spec("swagger_ui_bundle")
    if spec is None or spec.origin is None:
        return None
    vendor = Path(spec.origin).parent / "vendor"
    found = sorted(vendor.glob("swagger-ui-*"))
    return found[-1] if found else None


def _local_only(request: Request) -> Path:
    """The Swagger UI folder when this app serves docs (its settings, like ``/openapi.json``), else 404."""
    folder = swagger_ui_folder() if docs_enabled(request.app.state.settings.environment) else None
    if folder is None:
        raise AppError(ErrorCode.NOT_FOUND, "the API docs are served with ENVIRONMENT=local only")
    return folder


@root_router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    _local_only(request)
    return HTMLResponse(PAGE)


@root_router.get("/docs/assets/{name}")
async def docs_asset(name: str, request: Request) -> FileResponse:
    folder = _local_only(request)
    if name not in ASSETS:
        raise AppError(ErrorCode.NOT_FOUND, "no such asset")
    return FileResponse(folder / name, media_type=ASSETS[name])
