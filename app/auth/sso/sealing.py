"""Secrets at rest: a tenant's OIDC client secret and the refresh tokens of SSO logins are stored sealed
with AES-256-GCM under a key derived (HKDF-SHA256) from ``SECRET_KEY`` for one purpose each; the state a
sign-in carries through the browser is sealed the same way. Rotating ``SECRET_KEY`` makes them unreadable:
re-enter the client secret (``PATCH /admin/sso``); SSO logins then end at their next re-check."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


class Unsealable(ValueError):
    """The value was not sealed by this key for this purpose (tampered, or another SECRET_KEY)."""


def _key(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kefu-sso", info=purpose.encode("utf-8"))
    return hkdf.derive(secret.encode("utf-8"))


def seal(secret: str, purpose: str, plaintext: str) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_key(secret, purpose)).encrypt(nonce, plaintext.encode("utf-8"), purpose.encode("utf-8"))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(secret: str, purpose: str, value: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
        opened = AESGCM(_key(secret, purpose)).decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode("utf-8"))
        return opened.decode("utf-8")
    except (InvalidTag, ValueError, UnicodeError) as exc:
        raise Unsealable(f"cannot open a sealed {purpose}") from exc
