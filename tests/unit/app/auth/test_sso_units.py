"""The pure parts of staff SSO: the claim -> role decision, sealing secrets at rest, and which issuer URLs
are accepted."""

from __future__ import annotations

import pytest

from app.auth.sso.idp import issuer_problem
from app.auth.sso.roles import decide_role
from app.auth.sso.sealing import Unsealable, seal, unseal

ROLE_MAP = {"kefu-admins": "admin", "kefu-agents": "agent"}


@pytest.mark.parametrize(
    ("claims", "role", "reason"),
    [
        ({"groups": ["kefu-agents"]}, "agent", "mapped"),
        ({"groups": ["kefu-agents", "kefu-admins"]}, "admin", "mapped"),  # the stronger role wins
        ({"groups": "kefu-admins"}, "admin", "mapped"),  # a single string
        ({"groups": ["marketing"]}, None, "no_mapped_value"),
        ({"groups": []}, None, "no_mapped_value"),
        ({"roles": ["kefu-admins"]}, None, "claim_missing"),  # another claim is not read
        ({"groups": ["KEFU-ADMINS"]}, None, "no_mapped_value"),  # exact match only
    ],
)
def test_the_role_comes_from_the_mapped_claim(
    claims: dict[str, object], role: str | None, reason: str
) -> None:
    decision = decide_role(claims, claim="groups", role_map=ROLE_MAP)
    assert (decision.role, decision.reason) == (role, reason)


def test_sealed_values_open_only_with_the_same_key_and_purpose() -> None:
    sealed = seal("k" * 40, "oidc-client-secret", "the secret")
    assert "the secret" not in sealed
    assert seal("k" * 40, "oidc-client-secret", "the secret") != sealed  # a fresh nonce each time
    assert unseal("k" * 40, "oidc-client-secret", sealed) == "the secret"
    for key, purpose, value in [
        ("x" * 40, "oidc-client-secret", sealed),  # another SECRET_KEY
        ("k" * 40, "oidc-refresh-token", sealed),  # another purpose
        ("k" * 40, "oidc-client-secret", sealed[:-4] + "AAAA"),  # tampered
        ("k" * 40, "oidc-client-secret", "not base64 !"),
    ]:
        with pytest.raises(Unsealable):
            unseal(key, purpose, value)


@pytest.mark.parametrize(
    ("issuer", "ok"),
    [
        ("https://idp.bank.example/realms/staff", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080/realms/x", True),
        ("http://idp.bank.example", False),
        ("https://idp.bank.example/?tenant=1", False),
        ("ftp://idp.bank.example", False),
        ("https://", False),
    ],
)
def test_issuers_must_be_https_except_on_loopback(issuer: str, ok: bool) -> None:
    assert (issuer_problem(issuer) is None) is ok
