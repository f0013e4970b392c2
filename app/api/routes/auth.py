"""Login for admin and agent users: a bearer token, also set as a Secure HttpOnly SameSite cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.auth import service as auth
from app.deps import (
    SESSION_COOKIE,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    bearer_or_cookie,
    set_session_cookie,
)
from app.schemas.auth import LoginCreate, LoginPublic, PrincipalPublic, UserPublic

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=LoginPublic)
async def login(
    body: LoginCreate, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginPublic:
    """401 ``invalid_credentials`` for an unknown e-mail and a wrong password alike."""
    result = await auth.login(session, email=body.email, password=body.password, ttl_s=settings.session_ttl_s)
    set_session_cookie(response, result.token, settings)
    return LoginPublic(
        token=result.token,
        expires_at=result.expires_at,
        user=UserPublic.model_validate(result.user, from_attributes=True),
    )


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, session: SessionDep) -> Response:
    token = bearer_or_cookie(request)
    if token is not None:
        await auth.logout(session, token=token)
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=PrincipalPublic)
async def me(principal: PrincipalDep) -> PrincipalPublic:
    return PrincipalPublic.model_validate(principal, from_attributes=True)
