"""Deployment-wide SSO settings (``SSO__*``); each tenant's provider is configured through the admin API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SsoConfig(BaseModel):
    # The app's public base URL as the IdP redirects browsers to it (``https://kefu.bank.example``); the
    # redirect URI to register at the IdP is ``<public_url>/api/v1/auth/sso/callback``. Unset: taken from
    # the request (fine when no proxy rewrites the host).
    public_url: str | None = Field(default=None, max_length=300)
    # Every call to an IdP (discovery, JWKS, token, userinfo) gives up after this long.
    http_timeout_s: float = Field(default=10.0, gt=0, le=60)
    # A sign-in started must come back from the IdP within this long (the state cookie's lifetime).
    state_ttl_s: int = Field(default=600, ge=60, le=3600)
    # Clock skew tolerated on ID tokens' exp / iat.
    clock_leeway_s: int = Field(default=60, ge=0, le=300)
    # Discovery documents and key sets are cached this long (an unknown key id refetches the key set).
    metadata_ttl_s: int = Field(default=3600, ge=0)
