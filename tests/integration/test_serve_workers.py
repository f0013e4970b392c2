"""``kefu serve --workers 2`` for real: the supervisor and two worker processes, each building the whole
stack (e5 embeddings, Presidio, the trained tracker) from the environment, over a PostgreSQL database of
the test's own and Redis. The model side is the stub model server (``bench.load.llm_stub``).

One HTTP connection is served by one worker from its start to its end, and ``/healthz`` says which
(``pid``): so a client that asked ``/healthz`` on its one connection knows where its next requests go.
Shown: a chat turn answered by each worker; an agent's message sent through one worker reaching the
customer's live stream held by the other (Redis pub/sub, the vault in Redis); ``/metrics`` on either worker
counting the turns of both; SIGTERM to the supervisor letting the answer a worker is streaming finish,
then every worker closing its container and the supervisor exiting 0.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.load.procs import ROOT, LlmStub, Proc, free_port
from tests.e2e.server import EMBEDDING_CACHE
from tests.integration.sse import EventFeed, sse_events
from tests.pg import fresh_database
from tests.unit.app.helpers import METRICS_AUTH, METRICS_TOKEN

pytestmark = [pytest.mark.integration, pytest.mark.models]

API = "/api/v1"
PHONE = "13812345678"
QUESTION = "信用卡年费怎么收取？"


@pytest.fixture
def database(service_urls: tuple[str, str]) -> Iterator[str]:
    """A fresh database on the DATABASE_URL server (the workers commit for real); dropped afterwards."""
    with fresh_database(service_urls[0], "kefu_workers", migrate=False) as url:
        yield url


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[LlmStub]:
    server = LlmStub(tmp_path / "stub.log").start()
    server.set(mode="ok", ttft_s=0.02, interval_s=0.01, tokens=12)
    try:
        yield server
    finally:
        server.stop()


def _env(
    tmp_path: Path, database: str, redis_url: str, namespace: str, stub: LlmStub, port: int
) -> dict[str, str]:
    kb = tmp_path / "kb"
    kb.mkdir(exist_ok=True)
    for name in ("faq.csv", "golden_questions.jsonl"):
        shutil.copy(ROOT / "data" / "demo_kb" / name, kb / name)
    EMBEDDING_CACHE.mkdir(parents=True, exist_ok=True)  # the e2e tier's passage vectors (same embedder)
    if not (tmp_path / "embeddings").exists():
        (tmp_path / "embeddings").symlink_to(EMBEDDING_CACHE, target_is_directory=True)
    return {
        "ENVIRONMENT": "test",
        "METRICS_TOKEN": METRICS_TOKEN,  # outside ENVIRONMENT=local /metrics needs it
        "DATA_DIR": str(tmp_path),
        "DEMO_KB_DIR": str(kb),
        "PORT": str(port),
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "REDIS_NAMESPACE": namespace,
        "LLM__BACKEND": "openai",
        "LLM__BASE_URL": stub.base_url,
        "LLM__MODEL": "kefu-stub",
        "LLM__CACHE__ENABLED": "false",
        "LLM__TIMEOUT_S": "120",
        "LLM__FIRST_TOKEN_TIMEOUT_S": "60",
        "LLM__STREAM_IDLE_TIMEOUT_S": "60",
        "EDGE__SHUTDOWN_GRACE_S": "20",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


def _kefu(*args: str) -> list[str]:
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


def _seed(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """``kefu migrate`` + ``kefu demo`` (ingestion in the CLI process itself); the demo's credentials."""
    for args in (("migrate",), ("demo",)):
        proc = Proc(_kefu(*args), tmp_path / "seed.log", env={**env, "JOBS_BACKEND": "inprocess"}).start()
        assert proc.popen is not None
        assert proc.popen.wait(900) == 0, proc.tail()
    text = (tmp_path / "demo_credentials.txt").read_text(encoding="utf-8")
    agent = re.search(r"^agent\s+(\S+)\s+(\S+)", text, re.M)
    key = re.search(r"^widget key\s+(\S+)", text, re.M)
    assert agent is not None, text
    assert key is not None, text
    return {"agent_email": agent[1], "agent_password": agent[2], "widget_key": key[1]}


async def _pid(client: httpx.AsyncClient) -> int:
    r = await client.get("/healthz")
    assert r.status_code == 200, r.text
    return int(r.json()["pid"])


async def _one_client_per_worker(base: str, workers: int, timeout_s: float) -> dict[int, httpx.AsyncClient]:
    """A client of one connection per worker pid (new connections until each worker has answered one)."""
    held: dict[int, httpx.AsyncClient] = {}
    deadline = time.monotonic() + timeout_s
    while len(held) < workers:
        assert time.monotonic() < deadline, f"only workers {sorted(held)} answered"
        client = httpx.AsyncClient(
            base_url=base,
            timeout=httpx.Timeout(30, read=60),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            trust_env=False,
        )
        pid = await _pid(client)
        if pid in held:
            await client.aclose()
            await asyncio.sleep(0.05)
        else:
            held[pid] = client
    return held


async def _turn(
    client: httpx.AsyncClient, cid: str, headers: dict[str, str], text: str
) -> list[tuple[str, Any]]:
    async with client.stream(
        "POST", f"{API}/chat/conversations/{cid}/messages/stream", json={"text": text}, headers=headers
    ) as r:
        assert r.status_code == 200, await r.aread()
        return [item async for item in sse_events(r)]


async def _start(client: httpx.AsyncClient, widget_key: str, origin: str) -> tuple[str, dict[str, str]]:
    r = await client.post(
        f"{API}/chat/conversations", json={"widget_key": widget_key}, headers={"Origin": origin}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], {"X-Conversation-Token": r.json()["token"], "Origin": origin}


def _turns_counted(metrics_text: str) -> float:
    return sum(float(v) for v in re.findall(r"^kefu_turns_total\{[^}]*\} (\S+)$", metrics_text, re.M))


async def _drive(base: str, seed: dict[str, str], stub: LlmStub, proc: Proc) -> None:
    origin = base
    clients = await _one_client_per_worker(base, 2, timeout_s=300)
    (pid_a, on_a), (pid_b, on_b) = sorted(clients.items())
    try:
        # a turn answered with the model by each worker, on its own connection
        for pid, client in clients.items():
            cid, headers = await _start(client, seed["widget_key"], origin)
            events = await _turn(client, cid, headers, QUESTION)
            assert events[-1][0] == "final", events
            assert events[-1][1]["decision"] == "answer", events[-1]
            assert await _pid(client) == pid  # still the same connection, the same worker

        # the customer, on worker A, asks for a human and holds the live stream open on A
        cid, headers = await _start(on_a, seed["widget_key"], origin)
        events = await _turn(on_a, cid, headers, f"我的手机 {PHONE}，转人工")
        assert events[-1][1]["decision"] == "handoff", events[-1]
        assert await _pid(on_a) == pid_a
        r = await on_b.post(
            f"{API}/auth/login", json={"email": seed["agent_email"], "password": seed["agent_password"]}
        )
        assert r.status_code == 200, r.text
        agent = {"Authorization": "Bearer " + r.json()["token"]}
        assert await _pid(on_b) == pid_b

        async with on_a.stream("GET", f"{API}/chat/conversations/{cid}/events", headers=headers) as stream:
            assert stream.status_code == 200
            feed = EventFeed(stream, timeout_s=20)

            assert (await feed.next())[0] == "ready"
            sent = await on_b.post(
                f"{API}/agent/conversations/{cid}/messages",
                json={"text": f"您好，我们会致电 {PHONE} 核实。"},
                headers=agent,
            )
            assert sent.status_code == 201, sent.text
            assert await _pid(on_b) == pid_b  # the agent's message went through worker B
            assert (await feed.next())[0] == "agent_joined"
            kind, message = await feed.next()
        assert kind == "message"
        assert message["role"] == "agent"
        assert message["text"] == f"您好，我们会致电 {PHONE} 核实。"  # A restored it from the vault in Redis
        assert message["message_id"] == sent.json()["message_id"]

        # /metrics on either worker counts the turns of both (3: an answer on each, the handoff)
        for client in (on_a, on_b):
            r = await client.get("/metrics", headers=METRICS_AUTH)
            assert _turns_counted(r.text) == 3, r.text

        # SIGTERM to the supervisor while worker A streams a slow answer: the answer finishes
        stub.set(ttft_s=0.05, interval_s=0.25, tokens=16)  # about 4 s
        cid, headers = await _start(on_a, seed["widget_key"], origin)
        streamed: list[tuple[str, Any]] = []
        async with on_a.stream(
            "POST",
            f"{API}/chat/conversations/{cid}/messages/stream",
            json={"text": QUESTION},
            headers=headers,
        ) as r:
            assert r.status_code == 200
            async for item in sse_events(r):
                streamed.append(item)
                if item[0] == "accepted":
                    assert proc.popen is not None
                    proc.popen.send_signal(signal.SIGTERM)  # the supervisor only, as a service manager does
        kinds = [k for k, _ in streamed]
        assert kinds[-1] == "final", (kinds, proc.tail())
        assert streamed[-1][1]["decision"] == "answer"
        assert len(streamed[-1][1]["text"].split()) >= 16  # every word the model sent
    finally:
        for client in clients.values():
            await client.aclose()


def test_two_workers_share_state_through_postgres_and_redis(
    tmp_path: Path, database: str, service_urls: tuple[str, str], redis_namespace: str, stub: LlmStub
) -> None:
    port = free_port()
    env = _env(tmp_path, database, service_urls[1], redis_namespace, stub, port)
    seed = _seed(tmp_path, env)
    proc = Proc(
        _kefu("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
        tmp_path / "serve.log",
        env=env,
    ).start()
    base = f"http://127.0.0.1:{port}"
    try:
        proc.wait_for(
            lambda: httpx.get(base + "/readyz", timeout=5).status_code == 200, timeout=600, what="serve"
        )
        asyncio.run(_drive(base, seed, stub, proc))
        assert proc.popen is not None
        assert proc.popen.wait(40) == 0, proc.tail()
    finally:
        proc.kill()
    lines = [json.loads(line) for line in proc.tail(10**7).splitlines() if line.startswith("{")]
    worker_pids = {line["pid"] for line in lines if line["msg"].startswith("Started server process")}
    assert len(worker_pids) == 2, proc.tail()
    shut = {line["pid"] for line in lines if line["msg"] == "Application shutdown complete."}
    assert shut == worker_pids  # each worker's lifespan closed its container
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")], proc.tail()
