"""The tenant's bank connection, set by its admins (``/admin/bank-connection``): the bank API's base URL,
the secret its calls carry, the SMS gateway, and the key(s) customer tokens are checked with (an HS256
shared key and/or RS256 public keys, PEM or JWKS). Kept in ``tenants.settings["actions"]``; the secret and
the HS256 key are sealed (AES-256-GCM under ``SECRET_KEY``, as the OIDC client secret:
``app.auth.sso.sealing``), never returned, and every change is audited without them
(``actions.bank_configure`` / ``actions.bank_update``)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.actions.catalogue import BankConnection
from app.actions.config import ActionsConfig
from app.actions.token_keys import BadPublicKeys, TokenKeys, parse_public_keys
from app.auth.audit import record_audit
from app.auth.service import Principal
from app.auth.sso.sealing import Unsealable, seal, unseal
from app.db import crud_tenancy
from app.errors import AppError, ErrorCode
from app.schemas.admin_actions import BankConnectionCreate, BankConnectionPublic, BankConnectionUpdate

logger = logging.getLogger(__name__)

SECRET_PURPOSE = "actions-bank-secret"
TOKEN_KEY_PURPOSE = "actions-token-key"
# The fields stored as they are (the sealed ones are ``*_sealed``).
PLAIN = ("bank_url", "sms_url", "token_public_keys")


async def _stored(session: AsyncSession, tenant_id: str) -> dict[str, Any]:
    tenant = await crud_tenancy.get_tenant(session, tenant_id=tenant_id)
    return dict((tenant.settings or {}).get("actions", {})) if tenant else {}


def _open(secret_key: str, purpose: str, value: Any) -> str:
    if not value:
        return ""
    try:
        return unseal(secret_key, purpose, str(value))
    except Unsealable:
        logger.warning("a sealed %s cannot be opened (SECRET_KEY rotated?): set it again", purpose)
        return ""


async def connection(
    session: AsyncSession, *, tenant_id: str, config: ActionsConfig, secret_key: str, demo_secrets: bool
) -> BankConnection:
    """The tenant's bank with its secrets opened. Without its own secret / token keys, the demo bank's
    ``ACTIONS__DEMO_*`` ones, but only where ``demo_secrets`` (ENVIRONMENT local / test: anyone can read
    the built-in demo key, so a deployed tenant using it would accept forged customer tokens); elsewhere
    they stay empty: no customer token is accepted and no action offered until the tenant has its own."""
    conf = await _stored(session, tenant_id)
    base = str(conf.get("bank_url") or f"http://{config.fake_bank_host}:{config.fake_bank_port}").rstrip("/")
    secret = _open(secret_key, SECRET_PURPOSE, conf.get("bank_secret_sealed"))
    hs256 = _open(secret_key, TOKEN_KEY_PURPOSE, conf.get("token_key_sealed"))
    try:
        rs256 = parse_public_keys(str(conf.get("token_public_keys") or ""))
    except BadPublicKeys:  # validated when set; unreadable only if written around the admin API
        logger.warning("tenant %s: its stored public keys cannot be read", tenant_id)
        rs256 = ()
    if demo_secrets and not secret:
        secret = config.demo_bank_secret.get_secret_value()
    if demo_secrets and not hs256 and not rs256:
        hs256 = config.demo_token_key.get_secret_value()
    return BankConnection(
        base_url=base,
        secret=secret,
        sms_url=str(conf.get("sms_url") or base + "/sms/send"),
        tokens=TokenKeys(hs256=hs256, rs256=rs256),
    )


def public(conf: dict[str, Any]) -> BankConnectionPublic:
    base = str(conf.get("bank_url") or "").rstrip("/")
    keys = str(conf.get("token_public_keys") or "")
    algorithms = (["HS256"] if conf.get("token_key_sealed") else []) + (["RS256"] if keys else [])
    return BankConnectionPublic(
        bank_url=base,
        sms_url=str(conf.get("sms_url") or (base + "/sms/send" if base else "")),
        bank_secret_set=bool(conf.get("bank_secret_sealed")),
        token_key_set=bool(conf.get("token_key_sealed")),
        token_public_keys=keys,
        token_algorithms=algorithms,
    )


def _prepared(given: dict[str, Any], secret_key: str) -> dict[str, Any]:
    """The given fields as stored: secrets sealed, public keys checked; ``""`` removes an optional one."""
    out: dict[str, Any] = {}
    for name in ("bank_url", "sms_url"):
        if name in given:
            out[name] = given[name].rstrip("/") if given[name] else None
    if given.get("bank_secret"):
        out["bank_secret_sealed"] = seal(secret_key, SECRET_PURPOSE, given["bank_secret"])
    if "token_key" in given:
        key = given["token_key"] or ""
        if key and len(key) < 32:
            raise AppError(ErrorCode.VALIDATION_ERROR, "token_key must have at least 32 characters")
        out["token_key_sealed"] = seal(secret_key, TOKEN_KEY_PURPOSE, key) if key else None
    if "token_public_keys" in given:
        text = (given["token_public_keys"] or "").strip()
        try:
            parse_public_keys(text)
        except BadPublicKeys as exc:
            raise AppError(ErrorCode.VALIDATION_ERROR, f"token_public_keys: {exc}") from None
        out["token_public_keys"] = text or None
    return out


async def _save(
    session: AsyncSession, *, actor: Principal, values: dict[str, Any], replace: bool, action: str
) -> BankConnectionPublic:
    tenant = await crud_tenancy.get_tenant(session, tenant_id=actor.tenant_id)
    if tenant is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such tenant")
    before = dict((tenant.settings or {}).get("actions", {}))
    conf = {} if replace else dict(before)
    conf.update(values)
    conf = {k: v for k, v in conf.items() if v is not None}
    tenant.settings = {**(tenant.settings or {}), "actions": conf}
    changed = sorted(
        k.removesuffix("_sealed") for k in set(before) | set(conf) if before.get(k) != conf.get(k)
    )
    if not changed and not replace:
        return public(conf)  # nothing to write or audit
    data = {"changed": changed, "bank_url": conf.get("bank_url", ""), "sms_url": conf.get("sms_url", "")}
    await record_audit(session, actor, action=action, target_type="tenant", target_id=tenant.id, data=data)
    await session.commit()
    return public(conf)


async def get(session: AsyncSession, *, tenant_id: str) -> BankConnectionPublic:
    conf = await _stored(session, tenant_id)
    if not conf.get("bank_url"):
        raise AppError(ErrorCode.NOT_FOUND, "this tenant has no bank connection (PUT it first)")
    return public(conf)


async def configure(
    session: AsyncSession, *, actor: Principal, secret_key: str, body: BankConnectionCreate
) -> BankConnectionPublic:
    """Set (or replace) the whole connection; commits."""
    values = _prepared(body.model_dump(), secret_key)
    return await _save(session, actor=actor, values=values, replace=True, action="actions.bank_configure")


async def update(
    session: AsyncSession, *, actor: Principal, secret_key: str, body: BankConnectionUpdate
) -> BankConnectionPublic:
    """Change the fields given (a null is no change); commits."""
    await get(session, tenant_id=actor.tenant_id)
    given = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    values = _prepared(given, secret_key)
    return await _save(session, actor=actor, values=values, replace=False, action="actions.bank_update")
