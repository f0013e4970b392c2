"""Schemas of login and of the admin routes for users and keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class LoginCreate(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)


class UserPublic(BaseModel):
    id: str
    tenant_id: str
    email: str
    display_name: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None


class LoginPublic(BaseModel):
    token: str  # send as Authorization: Bearer <token>; the same value is set as an HttpOnly cookie
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserPublic


class PrincipalPublic(BaseModel):
    tenant_id: str
    role: str
    actor_type: str
    actor_id: str
    email: str | None = None


class UserCreate(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)
    role: Literal["admin", "agent"]
    display_name: str = Field(default="", max_length=200)


class UserUpdate(BaseModel):
    """Change a user's role and/or whether the account may log in (omitted fields stay as they are)."""

    role: Literal["admin", "agent"] | None = None
    is_active: bool | None = None


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Literal["admin", "agent"] = "agent"


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    key: str  # shown once; only its hash is stored


class WidgetKeyCreate(BaseModel):
    name: str = Field(default="", max_length=200)
    allowed_origins: list[str] = Field(min_length=1, max_length=50)


class WidgetKeyUpdate(BaseModel):
    """Omitted fields stay as they are; ``is_active: false`` disables the key (its widget stops working)."""

    name: str | None = Field(default=None, max_length=200)
    allowed_origins: list[str] | None = Field(default=None, min_length=1, max_length=50)
    is_active: bool | None = None


class WidgetKeyPublic(BaseModel):
    id: str
    name: str
    public_key: str
    allowed_origins: list[str]
    is_active: bool
    created_at: datetime
