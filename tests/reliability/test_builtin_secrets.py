"""Built-in secrets on a reachable server (issue 12, finding 6).

With ``ENVIRONMENT`` unset (``local``), the review forged a conversation token with the built-in
``SECRET_KEY`` (it is in the source) and read a transcript with the customer's phone number restored. The
built-in keys are a developer's convenience on loopback; ``kefu serve`` now refuses them whenever it binds
to any other address, whatever ``ENVIRONMENT`` says (``production`` keeps its own, stricter checks).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from app.auth.credentials import conversation_token
from app.cli import build_cli
from app.container import Container
from app.settings import _LOCAL_SECRET
from tests.reliability.conftest import asgi_client, make_settings
from tests.unit.app.helpers import ORIGIN, Tenant, start_conversation

NON_LOOPBACK = ["0.0.0.0", "::", "192.0.2.10", "kefu.bank.example"]  # 192.0.2.0/24: documentation only
LOOPBACK = ["127.0.0.1", "127.0.0.2", "localhost", "::1"]


async def test_the_built_in_key_forges_a_token(
    tmp_path: Path, db_copy: Path, container: Container, tenant: Tenant
) -> None:
    """Why the bind check exists: with the built-in key anyone can mint a conversation's token."""
    settings = make_settings(tmp_path, environment="local")
    async with asgi_client(container, settings) as c:
        cid, headers = await start_conversation(c, tenant)
        forged = {"X-Conversation-Token": conversation_token(_LOCAL_SECRET, cid), "Origin": ORIGIN}
        assert forged["X-Conversation-Token"] == headers["X-Conversation-Token"]
        r = await c.get(f"/api/v1/chat/conversations/{cid}/messages", headers=forged)
        assert r.status_code == 200


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """``uvicorn.run`` recorded instead of run: nothing is ever bound by these tests."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    for name in ("ENVIRONMENT", "SECRET_KEY", "VAULT_KEY", "HOST", "SERVER__WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here
    return calls


@pytest.mark.parametrize("environment", [None, "local", "test"])
@pytest.mark.parametrize("host", NON_LOOPBACK)
def test_serve_refuses_built_in_secrets_on_a_reachable_address(
    served: list[dict[str, object]], monkeypatch: pytest.MonkeyPatch, host: str, environment: str | None
) -> None:
    if environment is not None:
        monkeypatch.setenv("ENVIRONMENT", environment)
    result = CliRunner().invoke(build_cli(), ["serve", "--host", host, "--port", "18801"])
    assert served == [], "the server started with the built-in secrets"
    assert result.exit_code == 2, result.output
    assert "[builtin_secrets_refused]" in result.output
    assert "SECRET_KEY" in result.output
    assert "VAULT_KEY" in result.output


def test_host_from_the_environment_is_checked_too(
    served: list[dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")
    result = CliRunner().invoke(build_cli(), ["serve", "--port", "18801"])
    assert served == []
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_keeps_the_developer_defaults(served: list[dict[str, object]], host: str) -> None:
    result = CliRunner().invoke(build_cli(), ["serve", "--host", host, "--port", "18801"])
    assert result.exit_code == 0, result.output
    assert [c["host"] for c in served] == [host]


def test_real_secrets_serve_on_any_address(
    served: list[dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-" + "k" * 30)
    monkeypatch.setenv("VAULT_KEY", "a-real-vault-key-" + "v" * 30)
    result = CliRunner().invoke(build_cli(), ["serve", "--host", "0.0.0.0", "--port", "18801"])
    assert result.exit_code == 0, result.output
    assert [c["host"] for c in served] == ["0.0.0.0"]


def test_production_keeps_its_checks(
    served: list[dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    result = CliRunner().invoke(build_cli(), ["serve", "--host", "127.0.0.1", "--port", "18801"])
    assert served == []
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert "ENVIRONMENT=production" in str(result.exception)
