"""Graceful shutdown: SIGTERM to the served app (real uvicorn, ``app.edge.serving`` options, in a child process)
while a customer's answer is streaming. The stream finishes (every token, then ``final``), new connections
are refused at once, and the app shuts down cleanly. With no grace (``EDGE__SHUTDOWN_GRACE_S=0``) the same stream
is cut: the control that shows the test can fail."""

from __future__ import annotations

import json
import signal
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.load.procs import LlmStub, Proc, free_port
from tests.unit.app.helpers import ORIGIN

TOKENS = 16


@pytest.fixture
def slow_stub(stub: LlmStub) -> LlmStub:
    stub.set(ttft_s=0.05, interval_s=0.25, tokens=TOKENS)  # a 4-second answer
    return stub


def serve(tmp_path: Path, stub: LlmStub, grace: float) -> tuple[Proc, str, dict[str, str]]:
    port = free_port()
    workdir = tmp_path / f"served-{grace:g}"
    workdir.mkdir()
    argv = [sys.executable, "-m", "tests.reliability.served", "--port", str(port), "--workdir", str(workdir),
            "--llm-url", stub.base_url, "--grace", str(grace)]  # fmt: skip
    proc = Proc(argv, workdir / "server.log").start()
    base = f"http://127.0.0.1:{port}"
    proc.wait_for(
        lambda: httpx.get(base + "/healthz", timeout=1).status_code == 200, timeout=90, what="served"
    )
    return proc, base, json.loads((workdir / "tenant.json").read_text())


def refused(base: str, within_s: float = 5.0) -> bool:
    """New connections are refused within ``within_s``."""
    host, port = base.removeprefix("http://").split(":")
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex((host, int(port))) != 0:
                return True
        time.sleep(0.1)
    return False


def stream_and_sigterm(proc: Proc, base: str, tenant: dict[str, str]) -> tuple[list[tuple[str, dict]], bool]:
    """Send a question, SIGTERM the server once the turn is accepted, read the stream to its end."""
    events: list[tuple[str, dict]] = []
    refused_after_term = False
    with httpx.Client(base_url=base, timeout=30, trust_env=False) as c:
        r = c.post(
            "/api/v1/chat/conversations",
            json={"widget_key": tenant["widget_key"]},
            headers={"Origin": ORIGIN},
        )
        assert r.status_code == 201, r.text
        cid, token = r.json()["id"], r.json()["token"]
        headers = {"X-Conversation-Token": token, "Origin": ORIGIN}
        with c.stream(
            "POST", f"/api/v1/chat/conversations/{cid}/messages/stream",
            json={"text": "What are the branch opening hours?"}, headers=headers,
        ) as resp:  # fmt: skip
            assert resp.status_code == 200
            event = ""
            try:
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        events.append((event, json.loads(line[5:])))
                        if event == "accepted":  # the turn is under way; the model answers for 4 s
                            proc.signal(signal.SIGTERM)
                            refused_after_term = refused(base)
            except httpx.HTTPError:
                pass  # the server cut the stream (the control case)
    return events, refused_after_term


def test_sigterm_lets_a_streaming_answer_finish(tmp_path: Path, slow_stub: LlmStub) -> None:
    proc, base, tenant = serve(tmp_path, slow_stub, grace=20)
    try:
        started = time.monotonic()
        events, refused_after_term = stream_and_sigterm(proc, base, tenant)
        kinds = [k for k, _ in events]
        assert kinds[-1] == "final", (kinds, proc.tail())
        assert "error" not in kinds
        final = events[-1][1]
        assert final["decision"] == "answer"
        assert final["text"].rstrip().endswith(".")  # the whole answer, not a cut one
        assert len(final["text"].split()) >= TOKENS  # every word the model sent
        assert refused_after_term  # no new connections once shutdown began
        assert proc.popen is not None
        # uvicorn re-raises the captured SIGTERM once it has shut down cleanly
        assert proc.popen.wait(30) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 25
        assert "Application shutdown complete" in proc.tail()  # the lifespan ran to its end
    finally:
        proc.kill()


def test_without_grace_the_stream_is_cut(tmp_path: Path, slow_stub: LlmStub) -> None:
    proc, base, tenant = serve(tmp_path, slow_stub, grace=0)
    try:
        events, _ = stream_and_sigterm(proc, base, tenant)
        assert "final" not in [k for k, _ in events]
    finally:
        proc.kill()
