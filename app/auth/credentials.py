"""Secrets and credentials: argon2id passwords, opaque tokens stored as SHA-256, API keys, widget keys,
and the per-conversation token the widget holds.

Argon2 is deliberately slow (tens of ms): async callers run ``hash_password`` / ``verify_password`` in a
worker thread. Tokens and API keys are high-entropy random strings, so a plain SHA-256 is the right
storage hash for them (a slow hash would only slow every request).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults

API_KEY_PREFIX = "kefu_sk_"
WIDGET_KEY_PREFIX = "kefu_pk_"
MIN_PASSWORD_CHARS = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not-a-real-password-" + secrets.token_hex(8))


def dummy_verify(password: str) -> None:
    """Spend the same time as a real check when the user does not exist (no user enumeration by timing)."""
    verify_password(_dummy_hash(), password)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def generate_password() -> str:
    """A random password for seeded users (printed once by the CLI)."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: str  # shown once
    prefix: str  # stored, used for lookup
    key_hash: str  # stored


def new_api_key() -> NewApiKey:
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key=key, prefix=prefix, key_hash=sha256_hex(key))


def parse_api_key(key: str) -> str | None:
    """The lookup prefix of a well-formed API key, else None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = key[len(API_KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != 12 or not secret:
        return None
    return prefix


def api_key_matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(sha256_hex(key), key_hash)


def new_widget_key() -> str:
    return WIDGET_KEY_PREFIX + secrets.token_urlsafe(18)


def conversation_token(secret: str, conversation_id: str) -> str:
    """What the widget presents for one conversation: HMAC of its id under the server secret.

    Stateless (any replica can check it) and useless for any other conversation.
    """
    mac = hmac.new(secret.encode("utf-8"), b"conversation:" + conversation_id.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")


def conversation_token_matches(secret: str, conversation_id: str, token: str) -> bool:
    return hmac.compare_digest(conversation_token(secret, conversation_id), token)
