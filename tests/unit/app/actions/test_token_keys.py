"""Customer-token keys and checks without a server: PEM blocks and JWKS read (RSA, ≥ 2048 bits, public
only), HS256 and RS256 each only with its own kind of key, a JWKS key picked by ``kid``; keys generated
here."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.actions.identity import customer_from_token
from app.actions.token_keys import BadPublicKeys, TokenKeys, parse_public_keys
from app.errors import AppError, ErrorCode

HS = "hs256-shared-key-0123456789abcdef0123"


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=2048))  # fmt: skip


def _pem(public: object) -> str:
    return public.public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _token(key: object, alg: str, *, kid: str | None = None, life_s: int = 300, sub: str = "c-1") -> str:
    now = int(time.time())
    headers = {"kid": kid} if kid else None
    return jwt.encode({"sub": sub, "iat": now, "exp": now + life_s}, key, algorithm=alg, headers=headers)  # type: ignore[arg-type]


def test_pem_blocks_and_jwks_are_read_and_bad_ones_refused(keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    a, b = keys
    two = parse_public_keys(_pem(a.public_key()) + "\n" + _pem(b.public_key()))
    assert [kid for kid, _ in two] == ["", ""]
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(a.public_key()))
    assert [kid for kid, _ in parse_public_keys(json.dumps({"keys": [{**jwk, "kid": "2026"}]}))] == ["2026"]
    private_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(a))
    ec_pem = _pem(ec.generate_private_key(ec.SECP256R1()).public_key())
    small = _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())
    for bad in (
        "hello",
        "{not json",
        json.dumps({"keys": []}),
        json.dumps({"keys": [private_jwk]}),
        ec_pem,
        small,
    ):
        with pytest.raises(BadPublicKeys):
            parse_public_keys(bad)
    assert parse_public_keys("  ") == ()


def test_each_algorithm_only_with_its_own_key(keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    a, b = keys
    both = TokenKeys(hs256=HS, rs256=parse_public_keys(_pem(a.public_key())))
    assert both.algorithms == ["HS256", "RS256"]
    assert customer_from_token(_token(a, "RS256"), keys=both, max_age_s=900) == "c-1"
    assert customer_from_token(_token(HS, "HS256"), keys=both, max_age_s=900) == "c-1"
    rs_only = TokenKeys(rs256=both.rs256)
    refused = [
        (_token(b, "RS256"), both),  # another bank's key
        (_token(HS, "HS256"), rs_only),  # no HS256 key set
        (_token(a, "RS256", life_s=3600), both),  # lives longer than allowed
        (_token(a, "RS256", sub="bad id!"), both),
        (_token(a, "PS256"), both),  # an algorithm nobody set
        ("not.a.token", both),
    ]
    for token, tenant_keys in refused:
        with pytest.raises(AppError) as err:
            customer_from_token(token, keys=tenant_keys, max_age_s=900)
        assert err.value.code is ErrorCode.INVALID_CUSTOMER_TOKEN


def test_a_jwks_key_is_picked_by_kid(keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    a, b = keys
    jwks = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key())), "kid": kid}
                     for k, kid in ((a, "old"), (b, "new"))]}  # fmt: skip
    tenant = TokenKeys(rs256=parse_public_keys(json.dumps(jwks)))
    assert customer_from_token(_token(b, "RS256", kid="new"), keys=tenant, max_age_s=900) == "c-1"
    assert customer_from_token(_token(a, "RS256", kid="old"), keys=tenant, max_age_s=900) == "c-1"
    for token in (_token(a, "RS256", kid="new"), _token(a, "RS256", kid="gone")):
        with pytest.raises(AppError):
            customer_from_token(token, keys=tenant, max_age_s=900)
