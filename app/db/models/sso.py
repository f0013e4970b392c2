"""Staff sign-in through a tenant's OpenID Connect identity provider (issue 15): the tenant's provider,
which IdP subject is which user, and what an SSO login needs to be re-checked at the IdP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id, utcnow


class OidcProvider(HasCreatedAt, Base):
    """One per tenant. The client secret is stored sealed (AES-GCM under a key derived from SECRET_KEY,
    ``app.auth.sso.sealing``), never in clear and never returned by the API."""

    __tablename__ = "oidc_providers"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_sealed: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(500), default="openid email profile")
    # The claim (id token or userinfo) whose value(s) pick the role; ``role_map``: value -> admin | agent.
    role_claim: Mapped[str] = mapped_column(String(100), default="groups")
    role_map: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The tenant's staff may not sign in with a local password (SSO only; API keys still work).
    password_login_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # An SSO login is re-checked at the IdP (refresh token) at least this often; it ends when that fails.
    session_check_s: Mapped[int] = mapped_column(Integer, default=900)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OidcIdentity(HasCreatedAt, Base):
    """The IdP's subject (``iss`` + ``sub``) behind a user of the tenant (made at the first sign-in)."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "issuer", "subject"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class OidcSession(Base):
    """The IdP side of one SSO login (``auth_sessions`` row): its refresh token, sealed. The login itself
    holds only until ``auth_sessions.recheck_at``; renewing it means a good refresh at the IdP."""

    __tablename__ = "oidc_sessions"

    auth_session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    provider_id: Mapped[str] = mapped_column(ForeignKey("oidc_providers.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    refresh_token_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
