"""Who may call what, checked on the routes the app actually has.

The route table is read from ``app.routes`` (never hand-listed), so a new route fails here until it has a
guard: the admin role (``AdminDep``), an agent (``AgentDep``: agent or admin), or the widget conversation's
token (``WidgetConversationDep``); the few public routes are named in ``PUBLIC``. Each guard is then tried
with the wrong credentials, route by route: none, an agent on admin routes, a widget conversation's token
and the public widget key on admin/agent routes, an admin's login on the widget's routes, a foreign
site's ``Origin`` on the widget's routes. (Rate limits per IP / widget key / conversation / login are in
``test_edge_limits.py``; across replicas on Redis: the last test here.)
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sse_starlette import EventSourceResponse
from starlette.routing import BaseRoute

from app.container import Container
from app.db import crud_tenancy
from app.deps import AdminDep, AgentDep, get_principal, get_widget_conversation
from app.main import create_app
from tests.unit.app.helpers import ORIGIN, Tenant, login, seed_tenant, start_conversation

EVIL = "https://evil.example"


def _guard_fn(alias: object) -> Callable[..., Any]:
    dependency: Callable[..., Any] = typing.get_args(alias)[1].dependency
    return dependency


ADMIN_CHECK = _guard_fn(AdminDep)
AGENT_CHECK = _guard_fn(AgentDep)
STRENGTH = {"public": 0, "login": 1, "widget": 1, "agent": 2, "admin": 3}

# (method, path) that answer without credentials, and why.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/"): "start page, carries no data",
    ("GET", "/demo"): "demo bank page (the demo tenant's public widget key)",
    ("GET", "/console"): "console shell; its data comes through the authenticated API",
    ("GET", "/console/"): "redirect",
    ("GET", "/admin"): "admin console shell; data through the authenticated API",
    ("GET", "/admin/"): "redirect",
    ("GET", "/widget.js"): "the widget script",
    ("GET", "/static/{area}/{path:path}"): "static assets",
    ("GET", "/healthz"): "liveness",
    ("GET", "/readyz"): "readiness for the load balancer (check names only)",
    ("GET", "/metrics"): "Prometheus scrape; outside ENVIRONMENT=local it checks METRICS_TOKEN itself",
    ("GET", "/openapi.json"): "API schema (ENVIRONMENT=local only: absent from this table otherwise)",
    ("GET", "/docs"): "API docs (ENVIRONMENT=local only, else 404)",
    ("GET", "/docs/assets/{name}"): "the API docs' Swagger UI files (ENVIRONMENT=local only, else 404)",
    ("POST", "/api/v1/auth/login"): "password login (rate limited per IP)",
    ("POST", "/api/v1/auth/logout"): "ends the caller's own session, if any",
    ("GET", "/api/v1/auth/sso/start"): "SSO sign-in: redirects to the tenant's IdP (carries no data)",
    ("GET", "/api/v1/auth/sso/callback"): "SSO callback: checks the sealed state, the code, the ID token",
    ("POST", "/api/v1/chat/conversations"): "widget start: public widget key + allowed origin, or an API key",
    ("GET", "/api/v1/chat/disclosure"): "the widget's AI disclosure text: public widget key + allowed origin",
}

# The least a path prefix demands; a route may ask more (canned-response writes under /agent need admin).
PREFIX_MINIMUM = (
    ("/api/v1/admin/", "admin"),
    ("/api/v1/agent/", "agent"),
    ("/api/v1/chat/conversations/", "widget"),
    ("/api/v1/auth/me", "login"),
)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    guard: str  # public | login | widget | agent | admin
    streams: bool

    def url(self, conversation_id: str = "c0nv0000000000000000") -> str:
        return re.sub(
            r"\{([^}:]+)(?::[^}]*)?\}",
            lambda m: conversation_id if m.group(1) == "conversation_id" else "x0000000000000000001",
            self.path,
        )


def _calls(route: APIRoute) -> Iterator[Callable[..., Any]]:
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            yield dep.call
        stack.extend(dep.dependencies)


def _guard(route: APIRoute) -> str:
    calls = set(_calls(route))
    if ADMIN_CHECK in calls:
        return "admin"
    if AGENT_CHECK in calls:
        return "agent"
    if get_widget_conversation in calls:
        return "widget"
    if get_principal in calls:
        return "login"
    return "public"


def endpoints(routes: list[BaseRoute]) -> list[Endpoint]:
    """Every (method, full path) the app serves, with the guard found in its dependency tree. Routes of
    included routers are flattened with FastAPI's ``iter_route_contexts`` (prefixes applied)."""
    out = []
    for ctx in iter_route_contexts(routes):
        route = ctx.original_route
        methods = set(ctx.methods or ())
        if not methods or ctx.path is None:
            continue
        guard = _guard(route) if isinstance(route, APIRoute) else "public"
        streams = isinstance(route, APIRoute) and route.response_class is EventSourceResponse
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            out.append(Endpoint(method, ctx.path, guard, streams))
    return out


@pytest.fixture(scope="module")
def table() -> list[Endpoint]:
    from app.settings import Settings

    app = create_app(Settings(_env_file=None, environment="test"))  # type: ignore[call-arg]
    found = endpoints(app.routes)
    assert len(found) > 40  # the app's real route table, not an empty one
    return found


def _send(client: httpx.AsyncClient, ep: Endpoint, headers: dict[str, str], **kw: Any) -> Any:
    body = {"json": {}} if ep.method in ("POST", "PUT", "PATCH") else {}
    return client.request(ep.method, kw.pop("url", None) or ep.url(), headers=headers, **body, **kw)


def test_every_route_has_a_guard_or_is_named_public(table: list[Endpoint]) -> None:
    unguarded = [
        f"{e.method} {e.path}" for e in table if e.guard == "public" and (e.method, e.path) not in PUBLIC
    ]
    assert not unguarded, f"routes without an access check (add AdminDep/AgentDep/...): {unguarded}"
    stale = set(PUBLIC) - {(e.method, e.path) for e in table}
    assert not {p for p in stale if not p[1].startswith(("/docs", "/openapi.json", "/admin"))}, stale


def test_each_prefix_asks_at_least_its_minimum(table: list[Endpoint]) -> None:
    weak = []
    for e in table:
        for prefix, minimum in PREFIX_MINIMUM:
            if e.path.startswith(prefix) and STRENGTH[e.guard] < STRENGTH[minimum]:
                weak.append(f"{e.method} {e.path}: {e.guard} < {minimum}")
    assert not weak, weak
    guards = {e.guard for e in table}
    assert {"admin", "agent", "widget", "login", "public"} <= guards


def test_the_checker_sees_a_new_unguarded_route() -> None:
    from fastapi import APIRouter, FastAPI

    from app.deps import SessionDep

    app = FastAPI()
    router = APIRouter()

    @router.get("/api/v1/admin/leak")
    async def leak(session: SessionDep) -> dict[str, str]:  # forgot AdminDep
        return {}

    @router.get("/api/v1/admin/ok")
    async def ok(admin: AdminDep) -> dict[str, str]:
        return {}

    app.include_router(router)
    found = {e.path: e.guard for e in endpoints(app.routes)}
    assert found["/api/v1/admin/leak"] == "public"
    assert found["/api/v1/admin/ok"] == "admin"


async def test_no_credentials_is_401_everywhere_guarded(
    client: httpx.AsyncClient, table: list[Endpoint]
) -> None:
    wrong = []
    for e in table:
        if e.guard == "public":
            continue
        r = await _send(client, e, {})
        if r.status_code != 401 or r.json().get("error_code") != "unauthenticated":
            wrong.append(f"{e.method} {e.path}: {r.status_code}")
    assert not wrong, wrong


async def test_roles_and_tokens_of_the_wrong_kind_are_refused(
    client: httpx.AsyncClient, tenant: Tenant, table: list[Endpoint]
) -> None:
    agent = await login(client, tenant.agent_email)
    admin = await login(client, tenant.admin_email)
    cid, conv = await start_conversation(client, tenant)
    client.cookies.clear()  # only the headers below authenticate
    wrong = []
    for e in table:
        if e.guard == "admin":
            r = await _send(client, e, agent)
            if (r.status_code, r.json().get("error_code")) != (403, "forbidden"):
                wrong.append(f"agent on {e.method} {e.path}: {r.status_code}")
        if e.guard in ("admin", "agent", "login"):
            for name, headers in (
                ("conversation token", conv),
                ("widget key as bearer", {"Authorization": f"Bearer {tenant.widget_key}"}),
                ("widget key header", {"X-Widget-Key": tenant.widget_key, "Origin": ORIGIN}),
            ):
                r = await _send(client, e, headers)
                if r.status_code != 401:
                    wrong.append(f"{name} on {e.method} {e.path}: {r.status_code}")
        if e.guard == "widget":
            url = e.url(cid)
            for name, headers in (
                ("admin login", admin),
                ("widget key", {"X-Widget-Key": tenant.widget_key}),
            ):
                r = await _send(client, e, {**headers, "Origin": ORIGIN}, url=url)
                if r.status_code != 401:
                    wrong.append(f"{name} on {e.method} {e.path}: {r.status_code}")
            r = await _send(client, e, {**conv, "Origin": EVIL}, url=url)
            if (r.status_code, r.json().get("error_code")) != (403, "origin_not_allowed"):
                wrong.append(f"foreign origin on {e.method} {e.path}: {r.status_code}")
    assert not wrong, wrong


async def test_the_right_credentials_get_past_the_guard(
    client: httpx.AsyncClient, tenant: Tenant, table: list[Endpoint]
) -> None:
    """The other side of the refusals above: the intended caller is not refused (streams are skipped:
    with the right credentials they would stay open)."""
    agent = await login(client, tenant.agent_email)
    admin = await login(client, tenant.admin_email)
    cid, conv = await start_conversation(client, tenant)
    client.cookies.clear()
    refused = []
    for e in table:
        if e.streams or e.guard == "public":
            continue
        callers = {"admin": [admin], "agent": [agent, admin], "login": [agent], "widget": [conv]}[e.guard]
        for headers in callers:
            r = await _send(client, e, headers, url=e.url(cid))
            if r.status_code in (401, 403):
                refused.append(f"{e.method} {e.path}: {r.status_code} {r.text[:80]}")
    assert not refused, refused


async def test_a_conversation_token_opens_only_its_own_conversation(
    client: httpx.AsyncClient, tenant: Tenant, container: Container, table: list[Endpoint]
) -> None:
    other = await seed_tenant(container, "other")
    mine, mine_headers = await start_conversation(client, tenant)
    theirs, _ = await start_conversation(client, other)
    for e in table:
        if e.guard != "widget":
            continue
        r = await _send(client, e, mine_headers, url=e.url(theirs))
        assert (r.status_code, r.json()["error_code"]) == (404, "conversation_not_found"), e


async def test_a_disabled_widget_key_stops_its_conversations(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await start_conversation(client, tenant)
    async with container.sessions() as s:
        key = await crud_tenancy.get_active_widget_key(s, public_key=tenant.widget_key)
        assert key is not None
        key.is_active = False
        await s.commit()
    r = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)
    assert (r.status_code, r.json()["error_code"]) == (401, "unauthenticated")
    r = await client.post(
        "/api/v1/chat/conversations", json={"widget_key": tenant.widget_key}, headers={"Origin": ORIGIN}
    )
    assert (r.status_code, r.json()["error_code"]) == (401, "unauthenticated")


async def test_an_api_key_carries_its_role_and_tenant(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    admin = await login(client, tenant.admin_email)
    r = await client.post("/api/v1/admin/api-keys", json={"name": "crm", "role": "agent"}, headers=admin)
    raw = r.json()["key"]
    client.cookies.clear()
    key = {"Authorization": f"Bearer {raw}"}
    assert (await client.get("/api/v1/agent/handoffs", headers=key)).status_code == 200
    r = await client.get("/api/v1/admin/users", headers=key)
    assert (r.status_code, r.json()["error_code"]) == (403, "forbidden")
    forged = {"Authorization": f"Bearer {raw[:-4]}AAAA"}  # right prefix, wrong secret
    assert (await client.get("/api/v1/agent/handoffs", headers=forged)).status_code == 401


@pytest.mark.integration
async def test_rate_limits_hold_across_replicas_on_redis(
    container: Container, tenant: Tenant, service_urls: tuple[str, str]
) -> None:
    """Two replicas (two apps) share the counters in Redis: a conversation's turn budget and a widget key's
    budget are spent across both, with 429 + Retry-After on either."""
    import uuid

    from redis.asyncio import Redis

    from app.edge.config import RateLimit

    ns = f"kefu-it-{uuid.uuid4().hex[:10]}"
    redis = Redis.from_url(service_urls[1])
    limits = container.settings.rate_limit.model_copy(
        update={
            "conversation": RateLimit(count=2, period_s=60),
            "widget_key": RateLimit(count=4, period_s=60),
        }
    )
    container.settings = container.settings.model_copy(update={"rate_limit": limits, "redis_namespace": ns})
    container.redis = redis
    replicas = [create_app(container.settings, container) for _ in range(2)]
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=a, raise_app_exceptions=False), base_url="http://t"
        )
        for a in replicas
    ]
    try:
        cid, headers = await start_conversation(clients[0], tenant)  # widget key: 1 of 4
        url = f"/api/v1/chat/conversations/{cid}/messages"
        codes = [
            (await clients[i % 2].post(url, json={"text": "Opening hours?"}, headers=headers)).status_code
            for i in range(3)
        ]
        assert codes == [200, 200, 429]  # the third turn, on replica 0, saw replica 1's
        start = {"json": {"widget_key": tenant.widget_key}, "headers": {"Origin": ORIGIN}}
        starts = [
            (await clients[i % 2].post("/api/v1/chat/conversations", **start)).status_code for i in range(4)
        ]
        assert starts == [201, 201, 201, 429]
        refused = await clients[1].post("/api/v1/chat/conversations", **start)
        assert refused.json()["error_code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert [k async for k in redis.scan_iter(match=f"{ns}:ratelimit:*")]  # the counters live in Redis
    finally:
        for c in clients:
            await c.aclose()
        keys = [k async for k in redis.scan_iter(match=f"{ns}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
