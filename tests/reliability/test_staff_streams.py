"""Staff live streams on the served app (real uvicorn in a child process, ``served_web``).

- Issue 12, finding 4: a deactivated agent's already-open ``/agent/events`` stream still received the next
  handoff. Every staff stream now re-checks its session (on each event, and at least every
  ``STAFF_STREAM_RECHECK_S`` <= 5 s) and ends when the session is revoked, the user is disabled or the
  role changes: a last ``session_ended`` event, then the end of the stream.
- The admin's job-progress stream resumes after a server restart: each event carries an ``id``, and a
  reconnect with ``Last-Event-ID`` continues where it was cut instead of starting over.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, update

from app.db.models import IngestionJob
from bench.load.procs import Proc, free_port
from tests.unit.app.helpers import ORIGIN, PASSWORD

RECHECK_S = 0.5


class Served:
    def __init__(self, workdir: Path, settings: dict[str, Any]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.settings = settings
        self.proc: Proc | None = None

    def start(self) -> Served:
        argv = [sys.executable, "-m", "tests.reliability.served_web", "--port", str(self.port),
                "--workdir", str(self.workdir), "--settings", json.dumps(self.settings)]  # fmt: skip
        self.proc = Proc(argv, self.workdir / "server.log").start()
        self.proc.wait_for(
            lambda: httpx.get(self.base + "/healthz", timeout=1).status_code == 200,
            timeout=120,
            what="served",
        )
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(timeout=20)

    @property
    def tenant(self) -> dict[str, str]:
        data: dict[str, str] = json.loads((self.workdir / "tenant.json").read_text())
        return data


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = Served(tmp_path, {"staff_stream_recheck_s": RECHECK_S, "jobs_sweep_interval_s": 0}).start()
    yield s
    s.stop()


async def _login(c: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.cookies.clear()  # the login cookie would stand for this person on the customer's calls too
    return {"Authorization": "Bearer " + r.json()["token"]}


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, str | None, Any]]:
    """(event, id, data) of a live SSE response as they arrive."""
    event, ident, data = "message", None, []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("id:"):
            ident = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            text = "\n".join(data)
            try:
                parsed: Any = json.loads(text)
            except ValueError:
                parsed = text
            yield event, ident, parsed
            event, ident, data = "message", None, []


async def _handoff(c: httpx.AsyncClient, tenant: dict[str, str]) -> None:
    r = await c.post(
        "/api/v1/chat/conversations", json={"widget_key": tenant["widget_key"]}, headers={"Origin": ORIGIN}
    )
    assert r.status_code == 201, r.text
    conv = r.json()
    headers = {"X-Conversation-Token": conv["token"], "Origin": ORIGIN}
    h = await c.post(f"/api/v1/chat/conversations/{conv['id']}/handoff", headers=headers)
    assert h.status_code == 201, h.text


async def _user_id(c: httpx.AsyncClient, admin: dict[str, str], email: str) -> str:
    users = (await c.get("/api/v1/admin/users", headers=admin)).json()
    return str(next(u["id"] for u in users if u["email"] == email))


async def _revoked_while_watching(
    c: httpx.AsyncClient, who: dict[str, str], revoke: Callable[[], Awaitable[None]], tenant: dict[str, str]
) -> list[str]:
    """Open ``/agent/events`` as ``who``, revoke (the callable), then cause a handoff; the events seen
    until the stream ends (or 10 s pass), checked to hold no handoff and to end with ``session_ended``."""
    seen: list[str] = []

    async def read() -> None:
        async with c.stream("GET", "/api/v1/agent/events", headers=who, timeout=30) as r:
            assert r.status_code == 200
            async for event, _, _ in _events(r):
                seen.append(event)
                if event == "ready":
                    await revoke()
                    await asyncio.sleep(0.2)
                    await _handoff(c, tenant)

    try:
        await asyncio.wait_for(read(), timeout=10)
    except TimeoutError:
        seen.append("<still open>")
    assert "handoff" not in seen, seen
    assert seen[-1] == "session_ended", seen
    return seen


def _patch_user(
    c: httpx.AsyncClient, admin: dict[str, str], user_id: str, change: dict[str, Any]
) -> Callable[[], Awaitable[None]]:
    """An admin's change to a user (``PATCH /admin/users/{id}``), to run when the test wants it."""

    async def patch() -> None:
        r = await c.patch(f"/api/v1/admin/users/{user_id}", json=change, headers=admin)
        assert r.status_code == 200, r.text

    return patch


async def test_a_deactivated_agents_open_queue_stream_gets_no_more_handoffs(served: Served) -> None:
    tenant = served.tenant
    async with httpx.AsyncClient(base_url=served.base) as c:
        admin = await _login(c, tenant["admin_email"])
        agent = await _login(c, tenant["agent_email"])
        agent_id = await _user_id(c, admin, tenant["agent_email"])
        deactivate = _patch_user(c, admin, agent_id, {"is_active": False})
        seen = await _revoked_while_watching(c, agent, deactivate, tenant)
    assert seen[0] == "ready"


async def test_a_signed_out_session_loses_its_stream(served: Served) -> None:
    tenant = served.tenant
    async with httpx.AsyncClient(base_url=served.base) as c:
        agent = await _login(c, tenant["agent_email"])

        async def sign_out() -> None:
            r = await c.post("/api/v1/auth/logout", headers=agent)
            assert r.status_code == 204

        await _revoked_while_watching(c, agent, sign_out, tenant)


async def test_a_role_change_ends_the_stream(served: Served) -> None:
    tenant = served.tenant
    async with httpx.AsyncClient(base_url=served.base) as c:
        admin = await _login(c, tenant["admin_email"])
        agent_id = await _user_id(c, admin, tenant["agent_email"])
        await _patch_user(c, admin, agent_id, {"role": "admin"})()
        other_admin = await _login(c, tenant["agent_email"])  # now an admin, watching the agent queue
        await _revoked_while_watching(
            c, other_admin, _patch_user(c, admin, agent_id, {"role": "agent"}), tenant
        )


async def test_an_idle_stream_ends_within_the_recheck_interval(served: Served) -> None:
    """No event at all after the revocation: the stream still ends within a few recheck intervals."""
    tenant = served.tenant
    async with httpx.AsyncClient(base_url=served.base) as c:
        agent = await _login(c, tenant["agent_email"])
        seen: list[str] = []
        loop = asyncio.get_running_loop()
        ended_after = None

        async def read() -> None:
            nonlocal ended_after
            async with c.stream("GET", "/api/v1/agent/events", headers=agent, timeout=30) as r:
                t0 = 0.0
                async for event, _, _ in _events(r):
                    seen.append(event)
                    if event == "ready":
                        assert (await c.post("/api/v1/auth/logout", headers=agent)).status_code == 204
                        t0 = loop.time()
                ended_after = loop.time() - t0

        try:
            await asyncio.wait_for(read(), timeout=10)
        except TimeoutError:
            seen.append("<still open>")
    assert seen == ["ready", "session_ended"], seen
    assert ended_after is not None
    assert ended_after < 4 * RECHECK_S + 1.0


# --- the job-progress stream across a restart -------------------------------------------------------------


def _set_job(workdir: Path, job_id: str, **values: Any) -> None:
    engine = create_engine(f"sqlite:///{workdir / 'kefu.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(update(IngestionJob).where(IngestionJob.id == job_id).values(**values))
    finally:
        engine.dispose()


def _new_job(workdir: Path, tenant_id: str) -> str:
    from app.db.base import new_id, utcnow

    job_id = new_id()
    engine = create_engine(f"sqlite:///{workdir / 'kefu.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(
                IngestionJob.__table__.insert().values(
                    id=job_id,
                    tenant_id=tenant_id,
                    status="running",
                    stage="parsing",
                    progress=0.25,
                    documents_total=1,
                    documents_done=0,
                    chunks_total=0,
                    result={},
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )  # fmt: skip
            )
    finally:
        engine.dispose()
    return job_id


async def test_the_job_stream_resumes_after_a_server_restart(served: Served) -> None:
    tenant = served.tenant
    job_id = _new_job(served.workdir, tenant["id"])
    path = f"/api/v1/admin/kb/jobs/{job_id}/events"
    async with httpx.AsyncClient(base_url=served.base) as c:
        admin = await _login(c, tenant["admin_email"])
        first: list[tuple[str, str | None, Any]] = []
        async with c.stream("GET", path, headers=admin, timeout=30) as r:
            async for item in _events(r):
                first.append(item)
                if item[0] == "job":
                    break
    assert first
    assert first[0][0] == "job"
    last_id = first[0][1]
    assert last_id, "job events carry no id: a client cannot resume"

    served.stop()  # the restart: the stream is cut, the job goes on in its worker
    _set_job(served.workdir, job_id, progress=0.6, stage="embedding")
    served.start()

    resumed: list[tuple[str, str | None, Any]] = []
    async with httpx.AsyncClient(base_url=served.base) as c:
        admin = await _login(c, tenant["admin_email"])

        async def finish_later() -> None:
            await asyncio.sleep(1.0)
            _set_job(served.workdir, job_id, progress=1.0, stage="done", status="succeeded")

        task = asyncio.create_task(finish_later())
        async with c.stream("GET", path, headers={**admin, "Last-Event-ID": last_id}, timeout=30) as r:
            assert r.status_code == 200
            async for item in _events(r):
                resumed.append(item)
        await task
    jobs = [d for e, _, d in resumed if e == "job"]
    assert [j["progress"] for j in jobs] == [0.6, 1.0], resumed  # nothing seen before is sent again
    assert jobs[-1]["status"] == "succeeded"
    ids = [i for e, i, _ in resumed if e == "job"]
    assert all(ids), ids
    assert len(set(ids + [last_id])) == 3, ids
