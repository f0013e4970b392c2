"""Rendering the faces' HTML and finding their assets.

``render(name, **context)`` renders a Jinja template (autoescaped) from ``app/web/templates`` or from an
area folder (``"console/console.html"``, ``"admin/index.html"``) and adds the security headers every page
carries: a strict Content-Security-Policy (scripts, styles and connections from this origin only, no
inline script, no framing), ``nosniff``, no referrer leaks. ``asset(area, path)`` resolves a static file
of one area, refusing anything outside it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

WEB_DIR = Path(__file__).resolve().parent
# URL area -> folder. /static/<area>/<file>
AREAS: dict[str, Path] = {
    "kit": WEB_DIR / "static",
    "widget": WEB_DIR / "widget",
    "console": WEB_DIR / "console",
    "admin": WEB_DIR / "admin",
}
ASSET_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".json": "application/json",
}

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@functools.cache
def environment() -> Environment:
    """The template environment (built on first use, never at import)."""
    return Environment(
        loader=FileSystemLoader([str(WEB_DIR / "templates"), str(WEB_DIR)]),
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    name: str, *, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})


def asset(area: str, path: str) -> tuple[Path, str] | None:
    """(file, media type) of ``/static/<area>/<path>``, or None when there is no such servable file.

    Only files of the known types, inside the area's folder (no ``..``, no hidden files, no templates).
    """
    root = AREAS.get(area)
    if root is None or not path or any(part.startswith(".") for part in path.split("/")):
        return None
    media = ASSET_TYPES.get(Path(path).suffix.lower())
    if media is None:
        return None
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()) or not target.is_file():
        return None
    return target, media
