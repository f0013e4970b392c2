"""Who the customer is: the bank's site signs a short-lived token (JWT: HS256 with the tenant's shared key,
or RS256 with its private key, checked with its public key) naming a pseudonymous customer id, and the
widget passes it when the conversation starts. Step-up: a one-time code
through the bank's SMS gateway; only its keyed digest is kept (``OtpSent``)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

import jwt

from app.actions.token_keys import TokenKeys
from app.errors import AppError, ErrorCode

CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def customer_from_token(token: str, *, keys: TokenKeys, max_age_s: int) -> str:
    """The token's customer id (``sub``), or 401 ``invalid_customer_token``: an algorithm the tenant has no
    key for (HS256 needs its shared key, RS256 its public keys; a JWKS key named by ``kid``), a bad
    signature, expired, no ``exp``/``iat``/``sub``, or a life longer than ``max_age_s``."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AppError(ErrorCode.INVALID_CUSTOMER_TOKEN, f"the customer token is not valid: {exc}") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg == "HS256" and keys.hs256:
        candidates: list[Any] = [keys.hs256]
    elif alg == "RS256" and keys.rs256:
        named = [k for key_id, k in keys.rs256 if kid and key_id == kid]
        candidates = named or [k for key_id, k in keys.rs256 if not kid or not key_id]
    else:
        raise AppError(
            ErrorCode.INVALID_CUSTOMER_TOKEN,
            f"customer tokens signed with {alg!r} are not accepted (this tenant: {', '.join(keys.algorithms)})",
        )
    claims: dict[str, Any] | None = None
    problem = "no key of this tenant matches the token's kid"
    for key in candidates:
        try:
            claims = jwt.decode(
                token, key, algorithms=[str(alg)], options={"require": ["exp", "iat", "sub"]}, leeway=5
            )
            break
        except jwt.InvalidSignatureError as exc:
            problem = str(exc)
        except jwt.PyJWTError as exc:
            raise AppError(
                ErrorCode.INVALID_CUSTOMER_TOKEN, f"the customer token is not valid: {exc}"
            ) from None
    if claims is None:
        raise AppError(ErrorCode.INVALID_CUSTOMER_TOKEN, f"the customer token is not valid: {problem}")
    sub, exp, iat = claims.get("sub"), claims.get("exp"), claims.get("iat")
    if not isinstance(sub, str) or not CUSTOMER_ID.match(sub):
        raise AppError(ErrorCode.INVALID_CUSTOMER_TOKEN, "the customer token's sub is not a customer id")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float) or exp - iat > max_age_s:
        raise AppError(ErrorCode.INVALID_CUSTOMER_TOKEN, f"customer tokens live at most {max_age_s} s")
    return sub


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_digest(secret: str, conversation_id: str, code: str) -> str:
    """HMAC-SHA256 of the code under the app's secret, bound to the conversation."""
    return hmac.new(secret.encode(), f"{conversation_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_in(text: str) -> str | None:
    found = CODE.findall(text)
    return found[-1] if found else None
