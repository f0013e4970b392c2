"""The outside review's hardening findings (issue 12, finding 7 and the reliability leftovers), each as the
review met it on a served instance:

- a conversation token never expired: a closed chat's transcript (PII restored) stayed readable for the
  vault's lifetime. Now it lapses ``CONVERSATION_TOKEN_TTL_S`` (24 h, at most the vault's TTL) after the
  conversation's last activity, checked on the server against the conversation row;
- ``/metrics``, ``/docs`` and ``/openapi.json`` were public and ``/docs`` loaded CDN scripts with
  ``unsafe-inline``: outside ``local`` the docs are off and ``/metrics`` needs ``METRICS_TOKEN``; in
  ``local`` the docs' assets come from this server (an installed package), under the strict page CSP;
- creating a user whose e-mail exists in another tenant answered 409 (an enumeration oracle): e-mails are
  unique per tenant now;
- compose trusted ``X-Forwarded-*`` from anyone (``EDGE__TRUSTED_PROXIES="*"``);
- the breaker gauge kept a series per dead worker pid.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import yaml
from sqlalchemy import update

from app.api.routes.docs import swagger_ui_folder
from app.container import Container
from app.db.base import utcnow
from app.db.engine import create_engine, session_factory
from app.db.models import Conversation
from tests.reliability.conftest import asgi_client, make_settings
from tests.unit.app.helpers import (
    PASSWORD,
    Tenant,
    fake_container,
    login,
    seed_tenant,
    send_message,
    start_conversation,
)

ROOT = Path(__file__).resolve().parents[2]
REAL = {"secret_key": "s" * 40, "vault_key": "v" * 40, "cookie_secure": True}


# --- conversation tokens expire ---------------------------------------------------------------------------


async def _age(container: Container, cid: str, hours: float) -> None:
    async with container.sessions() as s:
        stamp = utcnow() - timedelta(hours=hours)
        await s.execute(update(Conversation).where(Conversation.id == cid).values(updated_at=stamp))
        await s.commit()


async def test_a_conversation_token_lapses_a_day_after_the_last_activity(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "my phone is 13800138000, how do I apply for a card?")
    assert r.status_code == 200, r.text
    await _age(container, cid, 23)  # idle for 23 h: still the customer's
    assert (
        await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)
    ).status_code == 200
    await _age(container, cid, 25)  # a day gone: the token no longer opens it
    r = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)
    assert r.status_code == 404, r.text
    assert r.json()["error_code"] == "conversation_not_found"
    assert "13800138000" not in r.text


async def test_the_token_lifetime_is_capped_by_the_vault(tmp_path: Path, db_copy: Path) -> None:
    settings = make_settings(tmp_path, conversation_token_ttl_s=30 * 24 * 3600, privacy={"vault_ttl_s": 3600})
    assert settings.conversation_token_max_age_s == 3600


# --- docs, schema and metrics ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def served_as(tmp_path: Path, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app over the test database with these settings (the container carries them too)."""
    settings = make_settings(tmp_path, **overrides)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with asgi_client(fake_container(settings, engine, session_factory(engine))) as c:
            yield c
    finally:
        await engine.dispose()


async def test_outside_local_docs_are_off_and_metrics_need_the_token(tmp_path: Path, db_copy: Path) -> None:
    for environment in ("test", "staging", "production"):
        async with served_as(tmp_path, environment=environment, metrics_token=None, **REAL) as c:
            for path in ("/docs", "/openapi.json", "/redoc", "/docs/oauth2-redirect"):
                assert (await c.get(path)).status_code == 404, (environment, path)
            assert (await c.get("/metrics")).status_code == 404, environment  # no token set: off
        async with served_as(tmp_path, environment=environment, metrics_token="m" * 32, **REAL) as c:
            assert (await c.get("/metrics")).status_code == 401
            wrong = await c.get("/metrics", headers={"Authorization": "Bearer " + "x" * 32})
            assert wrong.status_code == 401
            good = await c.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
            assert good.status_code == 200
            assert "kefu_turns" in good.text


async def test_in_local_the_docs_use_no_cdn_and_no_inline_script(tmp_path: Path, db_copy: Path) -> None:
    async with served_as(tmp_path, environment="local") as c:
        page = await c.get("/docs")
        assert page.status_code == 200
        assert not re.search(r"""(src|href)=["']https?://""", page.text), page.text  # nothing from a CDN
        assert "<script>" not in page.text.replace(" ", "")  # no inline script
        csp = page.headers["content-security-policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"], csp
        for url in re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", page.text):
            asset = await c.get(url)
            assert asset.status_code == 200, url
        assert (await c.get("/metrics")).status_code == 200  # a developer's machine: open
        spec = (await c.get("/openapi.json")).json()
        assert spec["info"]["title"] == "kefu"
    folder = swagger_ui_folder()  # the installed package's Swagger UI renders FastAPI's OpenAPI 3.1 (>= 5)
    assert folder is not None
    assert spec["openapi"].startswith("3.1")
    assert int(folder.name.removeprefix("swagger-ui-").split(".")[0]) >= 5, folder.name


# --- user creation is no e-mail oracle ----------------------------------------------------------------


async def test_creating_a_user_does_not_reveal_another_tenants_email(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    other = await seed_tenant(container, "rival")
    admin = await login(client, tenant.admin_email)
    body = {"email": other.admin_email, "password": "another long password", "role": "agent"}
    r = await client.post("/api/v1/admin/users", json=body, headers=admin)
    assert r.status_code == 201, r.text  # the same answer as for an e-mail nobody uses
    fresh = await client.post(
        "/api/v1/admin/users", json={**body, "email": "new@harbor.example"}, headers=admin
    )
    assert fresh.status_code == 201
    again = await client.post("/api/v1/admin/users", json=body, headers=admin)
    assert again.status_code == 409  # a duplicate within the admin's own tenant is still refused
    # both people with that address sign in, each to their own tenant, by their own password
    mine = await client.post(
        "/api/v1/auth/login", json={"email": other.admin_email, "password": "another long password"}
    )
    theirs = await client.post("/api/v1/auth/login", json={"email": other.admin_email, "password": PASSWORD})
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["user"]["tenant_id"] == tenant.id
    assert theirs.json()["user"]["tenant_id"] == other.id


# --- compose --------------------------------------------------------------------------------------------


def test_compose_trusts_forwarded_headers_from_the_proxy_only() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    trusted = str(compose["services"]["app"]["environment"]["EDGE__TRUSTED_PROXIES"])
    assert "*" not in trusted
    services = compose["services"]
    proxy_nets = services["proxy"]["networks"]
    (edge,) = [n for n in proxy_nets if n in services["app"]["networks"]]
    proxy_ip = str(proxy_nets[edge]["ipv4_address"])
    assert trusted == proxy_ip  # the proxy's fixed address on the network it shares with the app
    for name, service in services.items():  # nobody else can reach the app on that network
        if name not in ("proxy", "app"):
            assert edge not in (service.get("networks") or []), name


# --- the breaker gauge of dead workers ------------------------------------------------------------------

_WORKER = """
import sys
from pathlib import Path
from app.runtime.metrics import Metrics
m = Metrics(multiprocess_dir=Path(sys.argv[1]))
m.set_breaker(sys.argv[2])
print("set", flush=True)
if sys.argv[3] == "stay":
    sys.stdin.read()
"""
_RENDER = (
    "from pathlib import Path; import sys; from app.runtime.metrics import Metrics; "
    "sys.stdout.write(Metrics(multiprocess_dir=Path(sys.argv[1])).render().decode())"
)


def test_the_breaker_gauge_forgets_dead_workers(tmp_path: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    dead = subprocess.run(
        [sys.executable, "-c", _WORKER, str(tmp_path), "open", "exit"], env=env, cwd=ROOT, check=True
    )
    assert dead.returncode == 0
    live = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(tmp_path), "closed", "stay"],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert live.stdout is not None
        assert live.stdout.readline().strip() == "set"
        out = subprocess.run(
            [sys.executable, "-c", _RENDER, str(tmp_path)],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    finally:
        assert live.stdin is not None
        live.stdin.close()
        live.wait(30)
    series = re.findall(r"^kefu_llm_breaker_state(\{[^}]*\})? (\S+)$", out, re.MULTILINE)
    assert series == [("", "0.0")] or [v for _, v in series] == ["0.0"], out  # the live worker's only
    assert "2.0" not in [v for _, v in series]
