"""Staff single sign-on (OpenID Connect, authorization code + PKCE): ``GET /auth/sso/start?org=<tenant>``
sends the browser to the tenant's IdP; the IdP sends it back to ``GET /auth/sso/callback``, which opens a
login (the same session cookie as a password login) and lands on the console (``<page>#sso``), or lands
there with ``#sso_error=<reason>``. Both are browser navigations: they answer with redirects, never JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from app.api import API_PREFIX
from app.auth.sso import signin
from app.auth.sso.idp import SsoFailure
from app.deps import SessionDep, SettingsDep, SsoGatewayDep, set_session_cookie
from app.settings import Settings

router = APIRouter(prefix="/auth/sso", tags=["auth"])

STATE_COOKIE = "kefu_sso"
STATE_COOKIE_PATH = f"{API_PREFIX}/auth/sso"


def redirect_uri(request: Request, settings: Settings) -> str:
    """The callback URL registered at the IdP: ``SSO__PUBLIC_URL`` based, else this request's origin."""
    base = settings.sso.public_url or str(request.base_url)
    return base.rstrip("/") + f"{API_PREFIX}/auth/sso/callback"


def _back(page: str, reason: str) -> RedirectResponse:
    response = RedirectResponse(f"{page}#sso_error={reason}", status_code=303)
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
    return response


@router.get("/start")
async def start(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    gateway: SsoGatewayDep,
    org: Annotated[str, Query(min_length=1, max_length=64)],
    next_page: Annotated[str, Query(alias="next", max_length=20)] = "/console",
) -> RedirectResponse:
    """302 to the IdP's sign-in page, with the sign-in's state sealed in a cookie bound to this browser
    (SameSite=Lax: it comes back on the IdP's top-level redirect)."""
    page = signin.safe_next(next_page)
    try:
        begun = await signin.start(
            session,
            gateway=gateway,
            secret=settings.secret_key.get_secret_value(),
            org=org,
            next_page=page,
            redirect_uri=redirect_uri(request, settings),
            ttl_s=settings.sso.state_ttl_s,
        )
    except SsoFailure as exc:
        return _back(page, exc.reason)
    response = RedirectResponse(begun.authorize_url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        begun.cookie,
        max_age=settings.sso.state_ttl_s,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path=STATE_COOKIE_PATH,
    )
    return response


@router.get("/callback")
async def callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    gateway: SsoGatewayDep,
    state: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    secret = settings.secret_key.get_secret_value()
    try:
        started = signin.read_state(secret, request.cookies.get(STATE_COOKIE))
    except SsoFailure as exc:
        return _back(signin.NEXT_PAGES[0], exc.reason)
    try:
        result = await signin.finish(
            session,
            gateway=gateway,
            secret=secret,
            started=started,
            state=state,
            code=code,
            error=error,
            redirect_uri=redirect_uri(request, settings),
            ttl_s=settings.session_ttl_s,
        )
    except SsoFailure as exc:
        return _back(started.next_page, exc.reason)
    response = RedirectResponse(f"{started.next_page}#sso", status_code=303)
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
    set_session_cookie(response, result.token, settings)
    return response
