"""Schemas of the admin routes of the action catalogue (``/admin/actions``)."""

from __future__ import annotations

import re
import string
from datetime import datetime
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, Field, field_validator, model_validator

Verification = Literal["none", "verified", "step_up"]
NAME = r"^[a-z][a-z0-9_]{0,63}$"


class BankCall(BaseModel):
    """The bank API call: ``url`` is a template under the tenant's bank base URL (``{customer_id}`` and
    the parameters' names, e.g. ``/customers/{customer_id}/cards/{card_last4}/freeze``); the tenant's
    secret goes as ``Authorization: Bearer``; writes carry ``idempotency_header`` with the confirmation's
    key. Only ``idempotent`` calls (reads) are retried."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(min_length=1, max_length=300, pattern=r"^/")
    idempotent: bool = False
    idempotency_header: str = Field(default="Idempotency-Key", max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    body: dict[str, str] = Field(default_factory=dict)  # JSON field -> parameter name


class Templates(BaseModel):
    """The reply per language: placeholders ``{name}`` take the parameters and the fields the bank's
    answer names (``{card.status}``); ``item_*`` renders each element of ``list`` (``{cards}``)."""

    en: str = Field(min_length=1, max_length=1000)
    zh: str = Field(min_length=1, max_length=1000)
    list: str = Field(default="", max_length=64)
    item_en: str = Field(default="", max_length=300)
    item_zh: str = Field(default="", max_length=300)

    @field_validator("en", "zh", "item_en", "item_zh")
    @classmethod
    def _parses(cls, v: str) -> str:
        try:
            list(string.Formatter().parse(v))
        except ValueError as exc:
            raise ValueError(f"template does not parse: {exc}") from None
        return v


def _check_schema(v: dict[str, Any]) -> dict[str, Any]:
    try:
        Draft202012Validator.check_schema(v)
    except SchemaError as exc:
        raise ValueError(f"parameters is not a valid JSON schema: {exc.message}") from None
    if v.get("type") != "object" or not isinstance(v.get("properties", {}), dict):
        raise ValueError('parameters must be an object schema: {"type": "object", "properties": {...}}')
    for name in v.get("properties", {}):
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", name):
            raise ValueError(f"parameter name {name!r}: lower case letters, digits, _")
    return v


class ActionCreate(BaseModel):
    name: str = Field(pattern=NAME)
    description: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    verification: Verification = "verified"
    confirm: bool = True
    handoff_after: bool = False
    enabled: bool = True
    http: BankCall
    keywords: list[str] = Field(min_length=1, max_length=200)
    templates: Templates

    @field_validator("parameters")
    @classmethod
    def _schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_schema(v)

    @model_validator(mode="after")
    def _url_names_parameters(self) -> ActionCreate:
        known = {"customer_id", *self.parameters.get("properties", {})}
        named = {f for _, f, _, _ in string.Formatter().parse(self.http.url) if f}
        if named - known:
            raise ValueError(f"the URL names unknown parameters: {sorted(named - known)}")
        if self.confirm is False and self.http.method != "GET" and self.verification != "none":
            raise ValueError("a call that changes something (not GET) needs confirm: true")
        return self


class ActionUpdate(BaseModel):
    description: dict[str, str] | None = None
    parameters: dict[str, Any] | None = None
    verification: Verification | None = None
    confirm: bool | None = None
    handoff_after: bool | None = None
    enabled: bool | None = None
    http: BankCall | None = None
    keywords: list[str] | None = Field(default=None, min_length=1, max_length=200)
    templates: Templates | None = None

    @field_validator("parameters")
    @classmethod
    def _schema(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if v is None else _check_schema(v)


class ActionPublic(BaseModel):
    id: str
    name: str
    description: dict[str, str]
    parameters: dict[str, Any]
    verification: Verification
    confirm: bool
    handoff_after: bool
    enabled: bool
    http: BankCall
    keywords: list[str]
    templates: Templates
    created_at: datetime
    updated_at: datetime


# --- the tenant's bank connection (``/admin/bank-connection``) ---------------------------------------------

_URL = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"


class BankConnectionCreate(BaseModel):
    """The tenant's bank: where its API and SMS gateway answer, the secret calls carry, and the key(s) its
    site signs customer tokens with. Secrets are stored sealed and never returned."""

    bank_url: str = Field(min_length=8, max_length=500, pattern=_URL)
    # The SMS gateway (one-time codes); default ``{bank_url}/sms/send``.
    sms_url: str | None = Field(default=None, min_length=8, max_length=500, pattern=_URL)
    # Sent as a bearer token on every bank and SMS call; stored sealed, never returned.
    bank_secret: str = Field(min_length=16, max_length=1000)
    # HS256 customer tokens: the shared key (at least 32 characters); stored sealed, never returned.
    token_key: str | None = Field(default=None, min_length=32, max_length=1000)
    # RS256 customer tokens: the bank's public key(s), a PEM ``PUBLIC KEY`` or a JWKS document (JSON).
    token_public_keys: str | None = Field(default=None, min_length=20, max_length=20000)


class BankConnectionUpdate(BaseModel):
    """Only the fields given change; ``""`` for ``token_key`` / ``token_public_keys`` removes it."""

    bank_url: str | None = Field(default=None, min_length=8, max_length=500, pattern=_URL)
    sms_url: str | None = Field(default=None, min_length=8, max_length=500, pattern=_URL)
    bank_secret: str | None = Field(default=None, min_length=16, max_length=1000)
    token_key: str | None = Field(default=None, max_length=1000)
    token_public_keys: str | None = Field(default=None, max_length=20000)


class BankConnectionPublic(BaseModel):
    bank_url: str
    sms_url: str
    bank_secret_set: bool
    token_key_set: bool
    token_public_keys: str
    # The customer-token algorithms this tenant accepts now (HS256 with a key, RS256 with public keys).
    token_algorithms: list[str]
