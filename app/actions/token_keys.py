"""The keys a tenant's customer tokens are checked with: an HS256 shared key (sealed at rest) and/or the
bank's RSA public key(s) for RS256, given as a PEM ``PUBLIC KEY`` (one or more blocks) or a JWKS document.
Each algorithm is checked only with its own kind of key (never a public key as an HMAC secret)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)
MIN_RSA_BITS = 2048


class BadPublicKeys(ValueError):
    """The text is neither PEM public keys nor a JWKS of RSA keys (the message says why)."""


@dataclass(frozen=True, slots=True)
class TokenKeys:
    hs256: str = ""
    # (kid or "", key): a JWKS's keys keep their ``kid``; PEM keys have none.
    rs256: tuple[tuple[str, RSAPublicKey], ...] = field(default_factory=tuple)

    @property
    def algorithms(self) -> list[str]:
        return (["HS256"] if self.hs256 else []) + (["RS256"] if self.rs256 else [])


def parse_public_keys(text: str) -> tuple[tuple[str, RSAPublicKey], ...]:
    """RSA public keys (at least 2048 bits) from PEM blocks or a JWKS; ``BadPublicKeys`` otherwise."""
    text = text.strip()
    if not text:
        return ()
    out: list[tuple[str, object]] = []
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise BadPublicKeys(f"the JWKS is not JSON: {exc}") from None
        entries = doc.get("keys") if isinstance(doc, dict) else None
        if not isinstance(entries, list) or not entries:
            raise BadPublicKeys("a JWKS needs a non-empty 'keys' list")
        for jwk in entries:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or "d" in jwk:
                raise BadPublicKeys("every JWKS key must be a public RSA key (kty RSA, no private part)")
            try:
                out.append((str(jwk.get("kid", "")), jwt.algorithms.RSAAlgorithm.from_jwk(jwk)))
            except (jwt.PyJWTError, ValueError, KeyError) as exc:
                raise BadPublicKeys(f"a JWKS key cannot be read: {exc}") from None
    else:
        blocks = _PEM.findall(text)
        if not blocks:
            raise BadPublicKeys("expected a PEM 'PUBLIC KEY' block or a JWKS document")
        for block in blocks:
            try:
                out.append(("", load_pem_public_key(block.encode("ascii"))))
            except (ValueError, UnicodeError) as exc:
                raise BadPublicKeys(f"a PEM key cannot be read: {exc}") from None
    keys: list[tuple[str, RSAPublicKey]] = []
    for kid, key in out:
        if not isinstance(key, RSAPublicKey):
            raise BadPublicKeys("only RSA public keys are accepted (RS256)")
        if key.key_size < MIN_RSA_BITS:
            raise BadPublicKeys(f"RSA keys must have at least {MIN_RSA_BITS} bits")
        keys.append((kid, key))
    return tuple(keys)
