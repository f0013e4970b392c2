"""Which requests may use the login cookie (issue 12, CSRF).

The consoles send their login as ``Authorization: Bearer`` (kept in the tab's sessionStorage); a sibling
origin of the same site (another port, another subdomain) cannot read or send that. The ``kefu_session``
cookie, which the browser adds by itself to same-site requests (``SameSite=Strict`` stops cross-site ones
only), is taken only together with proof that this origin's own script made the request:

- the custom header ``X-Kefu-CSRF`` (any value): a page of another origin cannot add a custom header
  without a CORS preflight, and the staff API grants none;
- and, where the browser says where the request came from, it came from here: ``Sec-Fetch-Site`` is
  ``same-origin``, and ``Origin`` (when sent) is this server's own origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from app.auth.service import normalise_origin

CSRF_HEADER = "X-Kefu-CSRF"


def cookie_refusal(headers: Mapping[str, str]) -> str | None:
    """Why the session cookie may not stand for the caller on this request (``headers``: the request's,
    case-insensitive), or None when it may."""
    if not headers.get(CSRF_HEADER, "").strip():
        return (
            f"the session cookie counts only with the {CSRF_HEADER} header (the consoles send it); "
            "other clients send Authorization: Bearer <token>"
        )
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() != "same-origin":
        return f"the session cookie is not accepted from another origin (Sec-Fetch-Site: {site[:40]})"
    origin = headers.get("origin")
    if origin is not None and not _is_own_origin(origin, headers.get("host", "")):
        return "the session cookie is not accepted from another origin (Origin)"
    return None


def _is_own_origin(origin: str, host: str) -> bool:
    """``origin`` names this server (the Host the request was sent to, the origin's own scheme)."""
    given = normalise_origin(origin)
    if given is None or not host:
        return False
    scheme = urlsplit(given).scheme
    return given == normalise_origin(f"{scheme}://{host}")
