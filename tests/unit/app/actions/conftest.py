"""The demo bank as a real server process on 127.0.0.1 (``kefu fake-bank``), once per test session and
reset before each test; a tenant with the six demo actions pointing at it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from app.actions import bank_settings
from app.actions.catalogue import seed_demo_actions
from app.auth.sso.sealing import seal
from app.container import Container
from tests.unit.app.helpers import Tenant

ROOT = Path(__file__).resolve().parents[4]
SECRET = "test-bank-secret-0123456789"
TOKEN_KEY = "test-customer-token-key-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BankProcess:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)

    def reset(self) -> None:
        self.http.post("/_control/reset").raise_for_status()

    def fail(self, mode: str, count: int = 1_000_000) -> None:
        self.http.post("/_control/fail", json={"mode": mode, "count": count}).raise_for_status()

    def log(self) -> dict:  # type: ignore[type-arg]
        return self.http.get("/_control/executions").json()  # type: ignore[no-any-return]

    def last_code(self) -> str:
        msgs = self.http.get("/sms/outbox", params={"customer_id": "c-1001"}).json()["messages"]
        return str(msgs[-1]["text"].split()[4].rstrip("."))

    def cards(self) -> dict[str, dict]:  # type: ignore[type-arg]
        body = self.http.get("/customers/c-1001/cards").json()
        return {c["last4"]: c for c in body["cards"]}


@pytest.fixture(scope="session")
def bank_process() -> Iterator[BankProcess]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "fake-bank", "--port", str(port),
         "--secret", SECRET],
        cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/sms", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:  # pragma: no cover - start-up failure
        proc.kill()
        raise RuntimeError("the fake bank did not start")
    bank = BankProcess(url)
    yield bank
    bank.http.close()
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def bank(bank_process: BankProcess) -> BankProcess:
    bank_process.reset()
    return bank_process


@pytest.fixture
async def actions_tenant(container: Container, tenant: Tenant, bank: BankProcess) -> Tenant:
    async with container.sessions() as session:
        await seed_demo_actions(session, tenant_id=tenant.id, bank_url=bank.url)
        from app.db import crud_tenancy

        t = await crud_tenancy.get_tenant(session, tenant_id=tenant.id)
        assert t is not None
        sk = container.settings.secret_key.get_secret_value()
        sealed = {
            "bank_secret_sealed": seal(sk, bank_settings.SECRET_PURPOSE, SECRET),
            "token_key_sealed": seal(sk, bank_settings.TOKEN_KEY_PURPOSE, TOKEN_KEY),
        }
        t.settings = {**t.settings, "actions": {**t.settings["actions"], **sealed}}
        await session.commit()
    container.settings.actions.bank_timeout_s = 1.0
    return tenant


def customer_token(sub: str = "c-1001", *, key: str = TOKEN_KEY, life_s: int = 300) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "iat": now, "exp": now + life_s}, key, algorithm="HS256")
