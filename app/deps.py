"""One ``Annotated`` alias per dependency. Routes declare what they need; nothing else reaches into
``app.state``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Path, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.credentials import conversation_token_matches
from app.auth.csrf import cookie_refusal
from app.auth.service import Principal, authenticate, origin_allowed
from app.auth.sso.idp import IdpGateway
from app.auth.sso.renewal import SsoRenewal
from app.auth.staff_streams import SessionCheck
from app.container import Container
from app.db import crud_conversations, crud_tenancy
from app.db.base import utcnow
from app.db.models import Conversation
from app.errors import AppError, ErrorCode
from app.settings import Settings

SESSION_COOKIE = "kefu_session"


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """The staff session cookie a sign-in sets (password or single sign-on alike)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_s,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
    )


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_settings(container: ContainerDep) -> Settings:
    return container.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(container: ContainerDep) -> AsyncIterator[AsyncSession]:
    async with container.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def bearer_or_cookie(request: Request) -> str | None:
    """The staff credential: ``Authorization: Bearer``, or the session cookie only where a page of another
    origin could not have sent it (``app.auth.csrf``). A cookie that does not qualify counts as no
    credential; why is kept for ``get_principal`` (403 ``cross_site_request`` where a login is needed)."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    cookie = request.cookies.get(SESSION_COOKIE) or None
    if cookie is None:
        return None
    refusal = cookie_refusal(request.headers)
    if refusal is not None:
        request.state.cookie_refusal = refusal
        return None
    return cookie


def get_sso_gateway(container: ContainerDep) -> IdpGateway:
    """The IdP gateway of staff SSO (one per process, made on first use, closed with the container)."""
    if container.sso is None:
        container.sso = IdpGateway(container.settings.sso)
        container.closers.append(container.sso.aclose)
    gateway: IdpGateway = container.sso
    return gateway


SsoGatewayDep = Annotated[IdpGateway, Depends(get_sso_gateway)]


def get_sso_renewal(container: ContainerDep, gateway: SsoGatewayDep) -> SsoRenewal:
    return SsoRenewal(gateway, container.settings.secret_key.get_secret_value())


SsoRenewalDep = Annotated[SsoRenewal, Depends(get_sso_renewal)]


async def get_optional_principal(
    request: Request, session: SessionDep, renewal: SsoRenewalDep
) -> Principal | None:
    token = bearer_or_cookie(request)
    if token is None:
        return None
    principal = await authenticate(session, token=token, renewal=renewal)
    if principal is None:
        raise AppError(ErrorCode.UNAUTHENTICATED, "the token is unknown, expired or revoked")
    request.state.staff_token = token  # for the live streams' re-checks (``StreamCheckDep``)
    return principal


OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


async def get_principal(request: Request, principal: OptionalPrincipalDep) -> Principal:
    if principal is None:
        refusal = getattr(request.state, "cookie_refusal", None)
        if refusal is not None:  # the session cookie came without the proof a sibling origin cannot forge
            raise AppError(ErrorCode.CROSS_SITE_REQUEST, refusal)
        raise AppError(
            ErrorCode.UNAUTHENTICATED,
            "log in (Authorization: Bearer <token> or the session cookie) or send an API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has_role(*roles):
            raise AppError(ErrorCode.FORBIDDEN, f"this needs the role {' or '.join(roles)}")
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require_role("admin"))]
# Agents work the console; admins may do everything an agent may.
AgentDep = Annotated[Principal, Depends(require_role("agent", "admin"))]


async def get_stream_check(
    request: Request, principal: PrincipalDep, container: ContainerDep, renewal: SsoRenewalDep
) -> SessionCheck:
    """For a staff live stream: does the caller's credential still give this principal?"""
    return SessionCheck(
        token=request.state.staff_token, principal=principal, sessions=container.sessions, renewal=renewal
    )


StreamCheckDep = Annotated[SessionCheck, Depends(get_stream_check)]


async def get_widget_conversation(
    request: Request,
    container: ContainerDep,
    conversation_id: Annotated[str, Path(max_length=64)],
    x_conversation_token: Annotated[str | None, Header(max_length=200)] = None,
) -> Conversation:
    """The conversation the caller holds the token of. A wrong token is answered exactly like an unknown
    conversation (404), so ids cannot be probed."""
    if not x_conversation_token:
        raise AppError(ErrorCode.UNAUTHENTICATED, "send the conversation's X-Conversation-Token")
    secret = container.settings.secret_key.get_secret_value()
    if not conversation_token_matches(secret, conversation_id, x_conversation_token):
        raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
    # A short session of its own: nothing stays open (or locked) while the route runs the turn.
    async with container.sessions() as session:
        conv = await crud_conversations.find_conversation(session, conversation_id=conversation_id)
        key = None
        if conv is not None and conv.widget_key_id is not None:
            key = await crud_tenancy.get_widget_key(session, widget_key_id=conv.widget_key_id)
    # The token lapses after the conversation has been idle (checked here, against the row: the token
    # itself is stateless); a lapsed one is answered like an unknown conversation.
    idle_limit = timedelta(seconds=container.settings.conversation_token_max_age_s)
    if conv is None or utcnow() - conv.updated_at > idle_limit:
        raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
    if conv.widget_key_id is not None:
        if key is None or not key.is_active:
            raise AppError(ErrorCode.UNAUTHENTICATED, "the widget key of this conversation is disabled")
        origin = request.headers.get("origin")
        if not origin_allowed(key, origin):
            raise AppError(ErrorCode.ORIGIN_NOT_ALLOWED, "this site is not allowed to use this widget key")
        if origin:
            request.state.cors_origin = origin
    return conv


WidgetConversationDep = Annotated[Conversation, Depends(get_widget_conversation)]
