"""The admin console page, ``/admin`` (admins log in on it; every page reads the authenticated API). Its
pages are the ES modules in ``app/web/admin/pages/``, listed here into the shell, so a new page is one new
file."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.routes.web import _lang
from app.web.pages import AREAS, render

_NAME = re.compile(r"[a-z0-9_-]+")

root_router = APIRouter(tags=["pages"], include_in_schema=False)


def admin_pages() -> list[str]:
    """Names of the admin page modules (``pages/<name>.js``), sorted; the shell orders them by group."""
    folder = AREAS["admin"] / "pages"
    return sorted(p.stem for p in folder.glob("*.js") if p.is_file() and _NAME.fullmatch(p.stem))


@root_router.get("/admin")
async def admin_page(request: Request, lang: Annotated[str | None, Query(max_length=2)] = None) -> Response:
    return render("admin/admin.html", lang=_lang(lang, request), pages=admin_pages())
