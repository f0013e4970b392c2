"""Schemas of a tenant's single sign-on (OpenID Connect) settings: ``OidcConfigCreate`` (PUT: set up or
replace), ``OidcConfigUpdate`` (PATCH: omitted fields stay), ``OidcConfigPublic`` (never the secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

RoleName = Literal["admin", "agent"]


class OidcConfigCreate(BaseModel):
    # The IdP's issuer identifier, exactly as its discovery document states it (https).
    issuer: str = Field(min_length=8, max_length=500)
    client_id: str = Field(min_length=1, max_length=200)
    # Stored sealed; never returned.
    client_secret: str = Field(min_length=1, max_length=1000)
    scopes: str = Field(default="openid email profile", max_length=500)
    # The claim (in the ID token or from userinfo) whose value(s) pick the role, and value -> role.
    role_claim: str = Field(default="groups", min_length=1, max_length=100)
    role_map: dict[str, RoleName] = Field(min_length=1, max_length=200)
    enabled: bool = True
    # Staff of this tenant may sign in through the IdP only (their password logins end now).
    password_login_disabled: bool = False
    # An SSO login is re-checked at the IdP at least this often; a user disabled there loses access then.
    session_check_s: int = Field(default=900, ge=60, le=86400)


class OidcConfigUpdate(BaseModel):
    issuer: str | None = Field(default=None, min_length=8, max_length=500)
    client_id: str | None = Field(default=None, min_length=1, max_length=200)
    client_secret: str | None = Field(default=None, min_length=1, max_length=1000)
    scopes: str | None = Field(default=None, max_length=500)
    role_claim: str | None = Field(default=None, min_length=1, max_length=100)
    role_map: dict[str, RoleName] | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    password_login_disabled: bool | None = None
    session_check_s: int | None = Field(default=None, ge=60, le=86400)


class OidcConfigPublic(BaseModel):
    issuer: str
    client_id: str
    client_secret_set: bool
    scopes: str
    role_claim: str
    role_map: dict[str, str]
    enabled: bool
    password_login_disabled: bool
    session_check_s: int
    # Register this at the IdP as the client's redirect URI.
    redirect_uri: str
    # The consoles' sign-in page for this tenant (its SSO button pre-filled with the organisation).
    sign_in_url: str
    updated_at: datetime
