"""Data protection at the edges: secrets only from settings and refused when weak outside local
development; the app behind the TLS proxy (trusted forwarded headers, HSTS on HTTPS only); oversized
request heads refused; passwords stored with argon2id. (PII never stored raw: ``tests/unit/app/chat/
test_pii_never_stored.py``; the proxy's compose service and Caddyfile: ``tests/unit/app/test_compose.py``.)
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app.container import Container
from app.db.models import User
from app.edge.config import RateLimit
from app.edge.serving import uvicorn_options
from app.main import create_app
from app.settings import MIN_SECRET_CHARS, Settings
from tests.unit.app.helpers import PASSWORD, Tenant

ROOT = Path(__file__).resolve().parents[2]
REAL_SECRET = "s3cr3t-" + "k" * 40
REAL_VAULT = "v4ult-" + "q" * 40


def settings_for(environment: str, **values: object) -> Settings:
    return Settings(_env_file=None, environment=environment, **values)  # type: ignore[call-arg]


def example_placeholder(name: str) -> str:
    found = re.search(rf"^{name}=(.+)$", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M)
    assert found is not None
    return found.group(1).strip()


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({}, "SECRET_KEY is the default"),
        ({"secret_key": REAL_SECRET}, "VAULT_KEY is the default"),
        ({"secret_key": "?", "vault_key": REAL_VAULT}, f"SECRET_KEY must have at least {MIN_SECRET_CHARS}"),
        ({"secret_key": REAL_SECRET, "vault_key": REAL_SECRET}, "must differ"),
        ({"secret_key": REAL_SECRET, "vault_key": REAL_VAULT, "cookie_secure": False}, "COOKIE_SECURE"),
        (
            {"secret_key": "env-example", "vault_key": REAL_VAULT},
            "SECRET_KEY is the default or a placeholder",
        ),
    ],
)
def test_deployments_refuse_weak_secrets(environment: str, values: dict[str, object], problem: str) -> None:
    if values.get("secret_key") == "env-example":  # what a deployer gets by copying .env.example unedited
        values = {**values, "secret_key": example_placeholder("SECRET_KEY")}
    with pytest.raises(ValidationError) as refused:
        settings_for(environment, **values)
    message = str(refused.value)
    assert problem in message
    for value in values.values():  # the refusal (logged at start-up) never echoes a secret
        if isinstance(value, str) and len(value) > 8:
            assert value not in message
            assert value[-12:] not in message


def test_real_secrets_start_and_stay_out_of_reprs() -> None:
    s = settings_for("production", secret_key=REAL_SECRET, vault_key=REAL_VAULT)
    assert s.secret_key.get_secret_value() == REAL_SECRET
    for text in (repr(s), str(s), s.model_dump_json()):
        assert REAL_SECRET not in text
        assert REAL_VAULT not in text
    # local development and the test suite run on the built-in secrets
    assert settings_for("local").environment == "local"
    assert settings_for("test").environment == "test"


def test_settings_are_the_only_reader_of_the_environment() -> None:
    """``os.environ`` / ``getenv`` appear only in ``app/settings.py`` (pydantic-settings reads it) and where
    a child process inherits the environment (``llm_backend/serving.py``; ``app/edge/serving.py`` sets
    prometheus_client's multiprocess folder for the workers)."""
    allowed = {"app/settings.py", "llm_backend/serving.py", "app/edge/serving.py"}
    pattern = re.compile(r"os\.environ|getenv\(|environ\.get\(")
    readers = {
        f.relative_to(ROOT).as_posix()
        for package in ("app", "retrieval", "dialog", "llm_backend", "privacy")
        for f in (ROOT / package).rglob("*.py")
        if pattern.search(re.sub(r'"""[\s\S]*?"""|#[^\n]*', "", f.read_text(encoding="utf-8")))
    }
    assert readers <= allowed, readers - allowed
    serving = (ROOT / "llm_backend" / "serving.py").read_text(encoding="utf-8")
    assert "os.environ.get(" not in serving  # passed on to a child, not read
    app_serving = (ROOT / "app" / "edge" / "serving.py").read_text(encoding="utf-8")
    assert re.findall(r"os\.environ\S*", app_serving) == [
        'os.environ["PROMETHEUS_MULTIPROC_DIR"]'
    ]  # set, not read


# --- behind the TLS proxy --------------------------------------------------------------------------------


def _served_app(settings: Settings, container: Container) -> object:
    """The ASGI app exactly as ``kefu serve`` runs it: uvicorn's config (proxy headers) around ours."""
    import uvicorn

    config = uvicorn.Config(create_app(settings, container), **uvicorn_options(settings))
    config.load()
    return config.loaded_app


async def test_forwarded_https_is_believed_only_from_the_proxy(container: Container) -> None:
    settings = container.settings.model_copy(
        update={"edge": container.settings.edge.model_copy(update={"trusted_proxies": "10.0.0.2"})}
    )
    app = _served_app(settings, container)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}

    async def get(client_ip: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client_ip, 4711))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://kefu.internal") as c:
            return await c.get("/healthz", headers=forwarded)

    via_proxy = await get("10.0.0.2")
    assert via_proxy.status_code == 200
    assert "max-age=31536000" in via_proxy.headers["strict-transport-security"]
    direct = await get("203.0.113.9")  # anyone else claiming https over plain HTTP
    assert direct.status_code == 200
    assert "strict-transport-security" not in direct.headers


async def test_the_proxy_address_is_the_rate_limit_key_only_when_trusted(
    container: Container, tenant: Tenant
) -> None:
    """Behind the proxy every request comes from its address: the limits must count the forwarded client."""
    limits = container.settings.rate_limit.model_copy(update={"login": RateLimit(count=1, period_s=60)})
    settings = container.settings.model_copy(
        update={
            "rate_limit": limits,
            "edge": container.settings.edge.model_copy(update={"trusted_proxies": "10.0.0.2"}),
        }
    )
    app = _served_app(settings, container)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 4711))  # type: ignore[arg-type]
    body = {"email": tenant.admin_email, "password": PASSWORD}
    async with httpx.AsyncClient(transport=transport, base_url="http://kefu.internal") as c:
        first = await c.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": "198.51.100.1"})
        other = await c.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": "198.51.100.2"})
        again = await c.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": "198.51.100.1"})
    assert (first.status_code, other.status_code) == (200, 200)  # two customers, two budgets
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) >= 1


async def test_oversized_request_heads_are_refused(client: httpx.AsyncClient, container: Container) -> None:
    limit = container.settings.edge.max_header_bytes
    r = await client.get("/api/v1/auth/me", headers={"X-Padding": "a" * (limit + 1)})
    assert (r.status_code, r.json()["error_code"]) == (431, "headers_too_large")
    many = {f"X-H{i}": "b" * 100 for i in range(limit // 100)}
    r = await client.get("/healthz", headers=many)
    assert r.status_code == 431
    assert (await client.get("/healthz", headers={"X-Padding": "a" * 1000})).status_code == 200


# --- passwords ---------------------------------------------------------------------------------------------


async def test_passwords_are_stored_as_argon2id_only(container: Container, tenant: Tenant) -> None:
    async with container.sessions() as s:
        users = (await s.execute(select(User).where(User.tenant_id == tenant.id))).scalars().all()
    assert users
    for user in users:
        # argon2id at RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes) or stronger
        found = re.fullmatch(
            r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", user.password_hash
        )
        assert found is not None, user.password_hash[:20]
        m, t, p = map(int, found.groups())
        assert (m >= 65536, t >= 3, p >= 1) == (True, True, True)
        assert PASSWORD not in user.password_hash
