"""The faces' pages and assets, at the root: ``/`` (a start page), ``/demo`` (a bank's site with the chat
widget), ``/console`` (the agent console), ``/widget.js`` and ``/static/<area>/<file>``. Pages carry
no data: the console reads everything through the authenticated API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.conversations.customer_side import demo_widget_key
from app.deps import ContainerDep
from app.errors import AppError, ErrorCode
from app.web.pages import asset, render

root_router = APIRouter(tags=["pages"], include_in_schema=False)


def _lang(requested: str | None, request: Request) -> str:
    if requested in ("zh", "en"):
        return requested
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "zh"


@root_router.get("/")
async def home(request: Request, lang: Annotated[str | None, Query(max_length=2)] = None) -> Response:
    api_docs = request.app.state.settings.environment == "local"  # /docs is served there only
    return render("home.html", lang=_lang(lang, request), api_docs=api_docs)


@root_router.get("/widget.js")
async def widget_script() -> Response:
    """The widget: one ``<script src=".../widget.js" data-key="PUBLIC_KEY">`` on any page."""
    found = asset("widget", "widget.js")
    assert found is not None
    return FileResponse(
        found[0],
        media_type=found[1],
        headers={
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        },
    )


@root_router.get("/static/{area}/{path:path}")
async def static_asset(
    area: Annotated[str, Path(max_length=16)], path: Annotated[str, Path(max_length=200)]
) -> Response:
    found = asset(area, path)
    if found is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such file")
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if area == "widget":  # the widget's stylesheet loads into other sites' pages
        headers["Access-Control-Allow-Origin"] = "*"
    return FileResponse(found[0], media_type=found[1], headers=headers)


@root_router.get("/demo")
async def demo_page(
    request: Request, container: ContainerDep, lang: Annotated[str | None, Query(max_length=2)] = None
) -> Response:
    """A fictional bank's home page with the chat widget embedded (the demo tenant's widget key)."""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    key = await demo_widget_key(container, origin=origin)
    return render(
        "demo.html",
        lang=_lang(lang, request),
        widget_key=key.public_key,
        origin_allowed=key.origin_allowed,
        origin=origin,
    )


@root_router.get("/console")
async def console_page(request: Request, lang: Annotated[str | None, Query(max_length=2)] = None) -> Response:
    """The agent console (log in with an agent or admin account)."""
    return render("console/console.html", lang=_lang(lang, request))


@root_router.get("/console/")
async def console_slash() -> Response:
    return RedirectResponse("/console", status_code=308)
