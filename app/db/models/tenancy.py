"""Tenants and who may act for them: users (admin/agent), login sessions, API keys, widget keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id

ROLES = ("admin", "agent")


class Tenant(HasCreatedAt, Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Per-tenant overrides (policy knobs, languages); validated by the services that read them.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(HasCreatedAt, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'agent')", name="role"),
        UniqueConstraint("tenant_id", "email"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Stored lower-cased; unique within the tenant (not across tenants: creating a user must not tell one
    # tenant's admin which addresses another tenant uses). A login needs no tenant name: the password
    # picks the user among those with the address (``app.auth.service.login``).
    email: Mapped[str] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class AuthSession(HasCreatedAt, Base):
    """A login: the bearer token / session cookie is shown once; only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # An SSO login (``oidc_sessions``) holds only until then unless re-checked at the IdP; NULL: a
    # password login, which never needs it.
    recheck_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiKey(HasCreatedAt, Base):
    """Server-to-server key ``kefu_sk_<prefix>_<secret>``: looked up by prefix, checked by SHA-256."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('admin', 'agent')", name="role"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class WidgetKey(HasCreatedAt, Base):
    """The public per-tenant key the chat widget carries; only usable from ``allowed_origins``."""

    __tablename__ = "widget_keys"
    __table_args__ = (UniqueConstraint("public_key"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    allowed_origins: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
