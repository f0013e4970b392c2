"""The tenant's bank connection through the admin API (``/admin/bank-connection``): the secret and the HS256
key stored sealed and never returned, every change audited without them, bad keys refused with nothing
written; then customer tokens checked with it, HS256 and RS256 (PEM or JWKS, keys generated here), and a
deployed tenant (no demo secrets) running an action against the demo bank with the secret it set."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.container import Container
from app.db import crud_audit, crud_tenancy
from tests.unit.app.actions.conftest import SECRET, TOKEN_KEY, BankProcess, customer_token
from tests.unit.app.helpers import ORIGIN, Tenant, login

URL = "/api/v1/admin/bank-connection"
CHAT = "/api/v1/chat/conversations"


def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _rs256(key: rsa.RSAPrivateKey, *, sub: str = "c-1001", kid: str | None = None) -> str:
    now = int(time.time())
    headers = {"kid": kid} if kid else None
    return jwt.encode({"sub": sub, "iat": now, "exp": now + 300}, key, algorithm="RS256", headers=headers)


def _hs256_by_hand(secret: bytes) -> str:
    """An HS256 token built by hand (PyJWT itself refuses a PEM as an HMAC secret)."""
    now = int(time.time())

    def part(obj: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=")

    signing = (
        part({"alg": "HS256", "typ": "JWT"}) + b"." + part({"sub": "c-1001", "iat": now, "exp": now + 300})
    )
    sig = base64.urlsafe_b64encode(hmac.new(secret, signing, hashlib.sha256).digest()).rstrip(b"=")
    return (signing + b"." + sig).decode()


async def _start(client: httpx.AsyncClient, tenant: Tenant, token: str) -> httpx.Response:
    body = {"widget_key": tenant.widget_key, "customer_token": token}
    return await client.post(CHAT, json=body, headers={"Origin": ORIGIN})


async def _stored(container: Container, tenant_id: str) -> dict[str, Any]:
    async with container.sessions() as s:
        t = await crud_tenancy.get_tenant(s, tenant_id=tenant_id)
        assert t is not None
        return dict(t.settings.get("actions", {}))


async def test_set_sealed_never_returned_audited_and_validated(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    admin = await login(client, tenant.admin_email)
    assert (await client.get(URL, headers=admin)).status_code == 404
    assert (
        await client.patch(URL, json={"sms_url": "http://127.0.0.1:1/sms"}, headers=admin)
    ).status_code == 404
    body = {"bank_url": "http://127.0.0.1:9/api/", "bank_secret": SECRET, "token_key": TOKEN_KEY,
            "token_public_keys": _pem(_rsa())}  # fmt: skip
    r = await client.put(URL, json=body, headers=admin)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["bank_url"] == "http://127.0.0.1:9/api"
    assert got["sms_url"] == "http://127.0.0.1:9/api/sms/send"
    assert got["bank_secret_set"] is True
    assert got["token_key_set"] is True
    assert got["token_algorithms"] == ["HS256", "RS256"]
    assert (await client.get(URL, headers=admin)).json() == got
    for text in (r.text, (await client.get(URL, headers=admin)).text):
        assert SECRET not in text
        assert TOKEN_KEY not in text
    stored = await _stored(container, tenant.id)
    raw = json.dumps(stored)
    assert SECRET not in raw
    assert TOKEN_KEY not in raw
    assert {"bank_secret_sealed", "token_key_sealed"} <= set(stored)

    # Bad input: a clear code, nothing written.
    for bad in ({"token_public_keys": "not a key at all, really"},
                {"token_public_keys": _pem(_rsa(1024))},
                {"token_public_keys": json.dumps({"keys": [{"kty": "oct", "k": "abc"}]})},
                {"token_key": "short"},
                {"bank_url": "ftp://bank.example"}):  # fmt: skip
        refused = await client.patch(URL, json=bad, headers=admin)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error_code"] == "validation_error"
    assert await _stored(container, tenant.id) == stored

    # PATCH: "" removes the HS256 key; the secret stays set without being sent again.
    r = await client.patch(URL, json={"token_key": "", "sms_url": "http://127.0.0.1:9/otp"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["token_algorithms"] == ["RS256"]
    nulls = await client.patch(URL, json={"bank_url": None, "bank_secret": None}, headers=admin)
    assert nulls.json() == r.json()  # a null changes nothing
    assert r.json()["bank_secret_set"] is True
    assert r.json()["sms_url"] == "http://127.0.0.1:9/otp"

    async with container.sessions() as s:
        rows = await crud_audit.list_events(s, tenant_id=tenant.id)
    bank_rows = [e for e in rows if e.action.startswith("actions.bank_")]
    assert sorted(e.action for e in bank_rows) == ["actions.bank_configure", "actions.bank_update"]
    update = next(e for e in bank_rows if e.action == "actions.bank_update")
    assert update.data["changed"] == ["sms_url", "token_key"]
    assert all(SECRET not in json.dumps(e.data) and TOKEN_KEY not in json.dumps(e.data) for e in bank_rows)

    agent = await login(client, tenant.agent_email)
    assert (await client.get(URL, headers=agent)).status_code == 403


async def test_rs256_and_hs256_customer_tokens_then_an_action_with_the_secret_set(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, bank: BankProcess
) -> None:
    """A deployed tenant (no demo secrets): only what its admin set verifies customers and reaches the bank."""
    from app.actions.catalogue import seed_demo_actions

    container.settings = container.settings.model_copy(update={"environment": "staging"})
    async with container.sessions() as s:
        await seed_demo_actions(s, tenant_id=tenant.id, bank_url=bank.url)
        await s.commit()
    bank_key, other_key = _rsa(), _rsa()
    admin = await login(client, tenant.admin_email)
    jwks = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(bank_key.public_key())), "kid": "k1"}]}
    body = {
        "bank_url": bank.url,
        "bank_secret": SECRET,
        "token_key": TOKEN_KEY,
        "token_public_keys": _pem(bank_key),
    }
    assert (await client.put(URL, json=body, headers=admin)).status_code == 200

    assert (await _start(client, tenant, _rs256(bank_key))).status_code == 201
    assert (await _start(client, tenant, customer_token())).status_code == 201  # HS256 beside it
    for bad in (_rs256(other_key), customer_token(key="another-key-0123456789abcdef0123456789")):
        r = await _start(client, tenant, bad)
        assert r.status_code == 401
        assert r.json()["error_code"] == "invalid_customer_token"
    # Algorithm confusion: an HS256 token "signed" with the public key as the shared secret.
    confused = _hs256_by_hand(_pem(bank_key).encode())
    assert (await _start(client, tenant, confused)).status_code == 401

    # A JWKS instead of PEM, the key picked by kid; HS256 turned off.
    patch = {"token_public_keys": json.dumps(jwks), "token_key": ""}
    assert (await client.patch(URL, json=patch, headers=admin)).json()["token_algorithms"] == ["RS256"]
    assert (await _start(client, tenant, _rs256(bank_key, kid="k1"))).status_code == 201
    assert (await _start(client, tenant, _rs256(bank_key, kid="nope"))).status_code == 401
    assert (await _start(client, tenant, customer_token())).status_code == 401

    # The action reaches the bank with the sealed secret, opened at the call.
    r = await _start(client, tenant, _rs256(bank_key, kid="k1"))
    conv = r.json()
    headers = {"X-Conversation-Token": conv["token"], "Origin": ORIGIN}
    for text in ("please freeze my card ending 8888", "yes"):
        said = await client.post(f"{CHAT}/{conv['id']}/messages", json={"text": text}, headers=headers)
        assert said.status_code == 200, said.text
    assert said.json()["reason"] == "action_executed", said.json()
    assert bank.cards()["8888"]["status"] == "frozen"
