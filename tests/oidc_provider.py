"""A real OpenID Connect provider for the SSO tests, run as its own process on loopback
(``python -m tests.oidc_provider --port N``; ``running_provider()`` starts one and waits for it).

FastAPI + joserfc: discovery, JWKS (an RSA key made at start-up), an authorization page with a login form,
the token endpoint (authorization code with PKCE S256 checked, refresh with rotation), userinfo. Its
``/control/*`` endpoints let a test register the client, add or change users (groups, enabled), and bend
the next ID token (wrong audience, expired, bad nonce, tampered signature) to see the app refuse it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import html
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

ROOT = Path(__file__).resolve().parents[1]


def build_app(issuer: str) -> Any:
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"})
    keys = KeySet([key])
    clients: dict[str, dict[str, Any]] = {}
    users: dict[str, dict[str, Any]] = {}
    codes: dict[str, dict[str, Any]] = {}
    refresh_tokens: dict[str, dict[str, Any]] = {}
    access_tokens: dict[str, str] = {}
    bend: dict[str, Any] = {}
    stats = {"code": 0, "refresh": 0, "refresh_refused": 0, "userinfo": 0}
    app = FastAPI()

    def error(code: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": code}, status_code=status)

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return dict(keys.as_dict(private=False))

    def login_page(params: dict[str, str], message: str = "") -> HTMLResponse:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        return HTMLResponse(
            "<!doctype html><html><head><title>Test IdP</title></head><body><h1>Test IdP sign-in</h1>"
            f'<p role="alert">{html.escape(message)}</p><form method="post" action="/authorize">{hidden}'
            '<label>Username <input name="username" autocomplete="username"></label>'
            '<label>Password <input name="password" type="password"></label>'
            '<button type="submit">Sign in</button></form></body></html>'
        )

    def client_error(client_id: str, redirect_uri: str) -> str | None:
        client = clients.get(client_id)
        if client is None:
            return "unknown client"
        if redirect_uri not in client["redirect_uris"]:
            return "redirect_uri not registered"
        return None

    @app.get("/authorize")
    async def authorize_page(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        problem = client_error(params.get("client_id", ""), params.get("redirect_uri", ""))
        if problem:
            return HTMLResponse(problem, status_code=400)
        if params.get("response_type") != "code" or params.get("code_challenge_method") != "S256":
            return HTMLResponse("code flow with PKCE S256 only", status_code=400)
        if "openid" not in params.get("scope", "").split():
            return HTMLResponse("openid scope missing", status_code=400)
        return login_page(params)

    @app.post("/authorize")
    async def authorize(request: Request) -> Any:
        form = {k: str(v) for k, v in (await request.form()).items()}
        username, password = form.pop("username", ""), form.pop("password", "")
        problem = client_error(form.get("client_id", ""), form.get("redirect_uri", ""))
        if problem:
            return HTMLResponse(problem, status_code=400)
        user = users.get(username)
        if user is None or user["password"] != password or not user["enabled"]:
            return login_page(form, "Wrong username or password")
        code = secrets.token_urlsafe(24)
        codes[code] = {
            "username": username,
            "client_id": form["client_id"],
            "redirect_uri": form["redirect_uri"],
            "nonce": form.get("nonce"),
            "challenge": form.get("code_challenge", ""),
            "scope": form.get("scope", ""),
        }
        query = urlencode({"code": code, "state": form.get("state", "")})
        return RedirectResponse(f"{form['redirect_uri']}?{query}", status_code=302)

    def id_token(username: str, client_id: str, nonce: str | None) -> str:
        user = users[username]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": user["sub"],
            "aud": client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "email": user["email"],
            "email_verified": True,
            "name": user["name"],
            "groups": list(user["groups"]),
        }
        if nonce:
            claims["nonce"] = nonce
        if "aud" in bend:
            claims["aud"] = bend["aud"]
        if "exp_offset" in bend:
            claims["exp"] = now + int(bend["exp_offset"])
            claims["iat"] = claims["exp"] - 300
        if "nonce" in bend:
            claims["nonce"] = bend["nonce"]
        token = jwt.encode({"alg": "RS256", "kid": "test-key-1"}, claims, key)
        if bend.get("tamper"):
            head, body, sig = token.split(".")
            flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
            token = f"{head}.{body}.{flipped}"
        bend.clear()  # one bent token only
        return token

    def issue(username: str, client_id: str, nonce: str | None, scope: str) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        access_tokens[access] = username
        refresh_tokens[refresh] = {"username": username, "client_id": client_id, "scope": scope}
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "refresh_token": refresh,
            "id_token": id_token(username, client_id, nonce),
            "scope": scope,
        }

    def client_of(request: Request, form: dict[str, str]) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            from urllib.parse import unquote

            raw = base64.b64decode(auth[6:]).decode()
            cid, _, secret = raw.partition(":")
            cid, secret = unquote(cid), unquote(secret)
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        client = clients.get(cid)
        return cid if client is not None and secrets.compare_digest(client["secret"], secret) else None

    @app.post("/token")
    async def token(request: Request) -> Any:
        form = {k: str(v) for k, v in (await request.form()).items()}
        client_id = client_of(request, form)
        if client_id is None:
            return error("invalid_client", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            stats["code"] += 1
            data = codes.pop(form.get("code", ""), None)  # one use
            if (
                data is None
                or data["client_id"] != client_id
                or data["redirect_uri"] != form.get("redirect_uri")
            ):
                return error("invalid_grant")
            verifier = form.get("code_verifier", "")
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if not verifier or digest != data["challenge"]:
                return error("invalid_grant")
            return issue(data["username"], client_id, data["nonce"], data["scope"])
        if grant == "refresh_token":
            stats["refresh"] += 1
            data = refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotated
            user = users.get(data["username"]) if data else None
            if data is None or data["client_id"] != client_id or user is None or not user["enabled"]:
                stats["refresh_refused"] += 1
                return error("invalid_grant")
            return issue(data["username"], client_id, None, data["scope"])
        return error("unsupported_grant_type")

    @app.get("/userinfo")
    async def userinfo(request: Request) -> Any:
        stats["userinfo"] += 1
        username = access_tokens.get(request.headers.get("authorization", "")[7:])
        user = users.get(username or "")
        if user is None or not user["enabled"]:
            return error("invalid_token", 401)
        return {
            "sub": user["sub"],
            "email": user["email"],
            "name": user["name"],
            "groups": list(user["groups"]),
        }

    @app.post("/control/client")
    async def control_client(body: dict[str, Any]) -> dict[str, str]:
        clients[body["client_id"]] = {
            "secret": body["client_secret"],
            "redirect_uris": list(body["redirect_uris"]),
        }
        return {"ok": "client"}

    @app.post("/control/user")
    async def control_user(body: dict[str, Any]) -> dict[str, Any]:
        name = body["username"]
        user = users.setdefault(
            name, {"sub": "sub-" + secrets.token_hex(6), "password": "", "email": f"{name}@bank.example",
                   "name": name, "groups": [], "enabled": True},
        )  # fmt: skip
        user.update({k: v for k, v in body.items() if k != "username"})
        return {"sub": user["sub"]}

    @app.post("/control/next-id-token")
    async def control_bend(body: dict[str, Any]) -> dict[str, str]:
        bend.clear()
        bend.update(body)
        return {"ok": "bent"}

    @app.get("/control/stats")
    async def control_stats() -> dict[str, int]:
        return dict(stats)

    return app


@dataclass
class Provider:
    """A running provider process and its control API."""

    issuer: str
    process: subprocess.Popen[bytes]

    def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = httpx.post(f"{self.issuer}/control/{path}", json=body, timeout=10)
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        self.control(
            "client", {"client_id": client_id, "client_secret": client_secret, "redirect_uris": redirect_uris}
        )

    def user(self, username: str, **fields: Any) -> str:
        """Add or change a user (password, email, name, groups, enabled); returns its subject."""
        return str(self.control("user", {"username": username, **fields})["sub"])

    def bend_next_id_token(self, **overrides: Any) -> None:
        self.control("next-id-token", overrides)

    def stats(self) -> dict[str, int]:
        result: dict[str, int] = httpx.get(f"{self.issuer}/control/stats", timeout=10).json()
        return result


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_provider(timeout_s: float = 30.0) -> Iterator[Provider]:
    """Start the provider as a process on a free loopback port; stop it afterwards."""
    port = _free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider", "--port", str(port)], cwd=ROOT, env=env
    )
    provider = Provider(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the test OIDC provider exited with {process.returncode}")
            try:
                if (
                    httpx.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=1).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the test OIDC provider did not start")
            time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        build_app(f"http://127.0.0.1:{args.port}"), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
