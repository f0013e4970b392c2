"""Who the customer is: the bank's site signs a short-lived token (JWT, HS256, the tenant's key) naming a
pseudonymous customer id, and the widget passes it when the conversation starts. Step-up: a one-time code
through the bank's SMS gateway; only its keyed digest is kept (``OtpSent``)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import jwt

from app.errors import AppError, ErrorCode

CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def customer_from_token(token: str, *, key: str, max_age_s: int) -> str:
    """The token's customer id (``sub``), or 401 ``invalid_customer_token``: a bad signature, another
    algorithm than HS256, expired, no ``exp``/``iat``/``sub``, or a life longer than ``max_age_s``."""
    try:
        claims = jwt.decode(
            token, key, algorithms=["HS256"], options={"require": ["exp", "iat", "sub"]}, leeway=5
        )
    except jwt.PyJWTError as exc:
        raise AppError(ErrorCode.INVALID_CUSTOMER_TOKEN, f"the customer token is not valid: {exc}") from None
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
