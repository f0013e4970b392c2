"""Talking to a tenant's identity provider: discovery, the key set, the authorization URL (code flow with
PKCE S256, state and nonce), the code exchange and refresh (Authlib's httpx client), userinfo, and ID
tokens checked with joserfc (signature against the IdP's JWKS, ``iss``, ``aud``/``azp``, ``exp``, ``iat``,
``nonce``; RS/ES/PS algorithms only, never ``none`` or HMAC).

Every failure is an ``SsoFailure`` with a stable ``reason``; ``IdpUnavailable`` (a subclass) is the IdP
not answering, which ends nothing by itself (``renewal``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from app.auth.sso.config import SsoConfig

ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "PS384", "PS512")

SsoReason = Literal[
    "not_configured",
    "state_invalid",
    "idp_error",
    "idp_unavailable",
    "discovery_failed",
    "token_exchange_failed",
    "refresh_refused",
    "id_token_missing",
    "bad_signature",
    "wrong_issuer",
    "wrong_audience",
    "expired",
    "nonce_mismatch",
    "subject_changed",
    "invalid_id_token",
    "email_missing",
    "no_role",
    "user_inactive",
    "email_conflict",
]


class SsoFailure(Exception):
    def __init__(self, reason: SsoReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: SsoReason = reason
        self.detail = detail


class IdpUnavailable(SsoFailure):
    def __init__(self, detail: str) -> None:
        super().__init__("idp_unavailable", detail)


@dataclass(frozen=True, slots=True)
class IdpClient:
    """One tenant's registration at its IdP (the client secret in clear, for this call only)."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str


def issuer_problem(issuer: str) -> str | None:
    """Why ``issuer`` cannot be an issuer URL, or None. HTTPS is required, except on a loopback host."""
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or not parts.hostname:
        return "the issuer must be an https URL without query or fragment"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _loopback(parts.hostname):
        return None
    return "the issuer must use https (plain http is allowed for a loopback host only)"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class _Cached:
    value: Any
    at: float


@dataclass
class IdpGateway:
    """The IdPs of every tenant, over one HTTP client; discovery documents and key sets cached per issuer.
    Built on first use by ``gateway(container)``; closed with the container."""

    config: SsoConfig
    transport: httpx.AsyncBaseTransport | None = None
    _metadata: dict[str, _Cached] = field(default_factory=dict)
    _keys: dict[str, _Cached] = field(default_factory=dict)
    _http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.config.http_timeout_s, transport=self.transport, follow_redirects=False
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _get_json(self, url: str, *, reason: SsoReason, headers: dict[str, str] | None = None) -> Any:
        try:
            response = await self._client().get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise IdpUnavailable(f"{url}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise IdpUnavailable(f"{url}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise SsoFailure(reason, f"{url}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise SsoFailure(reason, f"{url}: not JSON") from exc

    async def metadata(self, issuer: str) -> dict[str, Any]:
        """The issuer's discovery document, checked: its ``issuer`` is exactly ``issuer`` (no mix-up) and
        it names the endpoints the code flow needs."""
        cached = self._metadata.get(issuer)
        if cached is not None and time.monotonic() - cached.at < self.config.metadata_ttl_s:
            return dict(cached.value)
        problem = issuer_problem(issuer)
        if problem is not None:
            raise SsoFailure("discovery_failed", problem)
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = await self._get_json(url, reason="discovery_failed")
        if not isinstance(doc, dict) or doc.get("issuer") != issuer:
            raise SsoFailure("discovery_failed", "the discovery document names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(name), str):
                raise SsoFailure("discovery_failed", f"the discovery document has no {name}")
        self._metadata[issuer] = _Cached(doc, time.monotonic())
        return dict(doc)

    async def key_set(self, issuer: str, *, refresh: bool = False) -> KeySet:
        cached = self._keys.get(issuer)
        if not refresh and cached is not None and time.monotonic() - cached.at < self.config.metadata_ttl_s:
            keys: KeySet = cached.value
            return keys
        meta = await self.metadata(issuer)
        data = await self._get_json(meta["jwks_uri"], reason="discovery_failed")
        try:
            keys = KeySet.import_key_set(data)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise SsoFailure("discovery_failed", "the IdP's key set does not parse") from exc
        self._keys[issuer] = _Cached(keys, time.monotonic())
        return keys

    def _oauth(
        self, client: IdpClient, meta: dict[str, Any], redirect_uri: str | None = None
    ) -> AsyncOAuth2Client:
        methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
        return AsyncOAuth2Client(
            client_id=client.client_id,
            client_secret=client.client_secret,
            scope=client.scopes,
            redirect_uri=redirect_uri,
            token_endpoint_auth_method=method,
            code_challenge_method="S256",
            timeout=self.config.http_timeout_s,
            transport=self.transport,
        )

    async def authorization_url(
        self, client: IdpClient, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        meta = await self.metadata(client.issuer)
        oauth = self._oauth(client, meta, redirect_uri)
        try:
            url, _ = oauth.create_authorization_url(
                meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier
            )
        finally:
            await oauth.aclose()
        return str(url)

    async def _token_call(self, client: IdpClient, call: str, **params: Any) -> dict[str, Any]:
        meta = await self.metadata(client.issuer)
        reason: SsoReason = "refresh_refused" if call == "refresh" else "token_exchange_failed"
        oauth = self._oauth(client, meta, params.pop("redirect_uri", None))
        try:
            if call == "refresh":
                token = await oauth.refresh_token(meta["token_endpoint"], **params)
            else:
                token = await oauth.fetch_token(
                    meta["token_endpoint"], grant_type="authorization_code", **params
                )
        except OAuthError as exc:
            raise SsoFailure(reason, f"the IdP refused: {exc.error}") from exc
        except httpx.HTTPError as exc:
            raise IdpUnavailable(f"token endpoint: {type(exc).__name__}") from exc
        except ValueError as exc:  # a body that is not a token response
            raise SsoFailure(reason, "the token response does not parse") from exc
        finally:
            await oauth.aclose()
        return dict(token)

    async def exchange_code(
        self, client: IdpClient, *, code: str, code_verifier: str, redirect_uri: str
    ) -> dict[str, Any]:
        return await self._token_call(
            client, "code", code=code, code_verifier=code_verifier, redirect_uri=redirect_uri
        )

    async def refresh(self, client: IdpClient, *, refresh_token: str) -> dict[str, Any]:
        return await self._token_call(client, "refresh", refresh_token=refresh_token)

    async def userinfo(self, client: IdpClient, *, access_token: str) -> dict[str, Any]:
        meta = await self.metadata(client.issuer)
        url = meta.get("userinfo_endpoint")
        if not isinstance(url, str):
            return {}
        info = await self._get_json(
            url, reason="idp_error", headers={"Authorization": f"Bearer {access_token}"}
        )
        return dict(info) if isinstance(info, dict) else {}

    async def id_token_claims(
        self, client: IdpClient, id_token: str, *, nonce: str | None, subject: str | None = None
    ) -> dict[str, Any]:
        """The checked claims of ``id_token``. ``nonce``: the sign-in's (None on a refresh, where the spec
        lets the IdP omit it); ``subject``: the login's (a refreshed token must name the same person)."""
        keys = await self.key_set(client.issuer)
        try:
            try:
                token = jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
            except InvalidKeyIdError:  # the IdP rotated its keys: fetch them once more
                keys = await self.key_set(client.issuer, refresh=True)
                token = jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
        except (BadSignatureError, InvalidKeyIdError) as exc:
            raise SsoFailure("bad_signature", "the ID token's signature does not verify") from exc
        except (JoseError, ValueError) as exc:
            raise SsoFailure(
                "invalid_id_token", f"the ID token does not parse ({type(exc).__name__})"
            ) from exc
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=self.config.clock_leeway_s,
            iss={"essential": True, "value": client.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": client.client_id},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise SsoFailure("expired", "the ID token has expired") from exc
        except ClaimError as exc:
            by_claim: dict[str, SsoReason] = {
                "iss": "wrong_issuer",
                "aud": "wrong_audience",
                "exp": "expired",
            }
            claim = exc.claim if not isinstance(exc, MissingClaimError) else ""
            raise SsoFailure(
                by_claim.get(claim, "invalid_id_token"), f"the ID token: {exc.description}"
            ) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        azp = claims.get("azp")
        if (azp is not None and azp != client.client_id) or (len(audiences) > 1 and azp != client.client_id):
            raise SsoFailure(
                "wrong_audience", "the ID token is for several audiences and not authorized for us"
            )
        if nonce is not None and claims.get("nonce") != nonce:
            raise SsoFailure("nonce_mismatch", "the ID token's nonce is not this sign-in's")
        if subject is not None and claims.get("sub") != subject:
            raise SsoFailure("subject_changed", "the refreshed ID token names another subject")
        return claims
