"""``kefu bench load``: N concurrent customer conversations over SSE against the served app, the model side
served by the stub model server (``llm_stub``) with a set latency. Loopback only, bounded, self-stopping.

What runs (all children in their own process groups, stopped at the end, whatever happens):

1. a fresh data folder and a fresh database: SQLite in that folder (the embedded default), or with
   ``database_server`` a new database ``kefu_load_<random>`` on that PostgreSQL server (dropped at the
   end); with ``redis_url``, Redis for the dialog state, vault and rate-limit counters under a namespace of
   its own (its keys deleted at the end); then ``kefu migrate`` and ``kefu demo`` with the demo FAQ
   (``data/demo_kb/faq.csv``, zh + en) as the knowledge base;
2. the stub model server, and ``kefu serve`` pointed at it (``LLM__BACKEND=openai``), the answer cache
   off (every turn reaches the model), rate limits off (every virtual customer comes from 127.0.0.1);
3. **idle**: turns one at a time, to measure the platform's own overhead on an unloaded server;
4. **steps**: for each level N, N virtual customers at once for ``step_s`` seconds; each opens a
   conversation, sends up to ``turns_per_conversation`` questions with a think time between them, reads
   each answer's SSE stream to its ``final`` event, then starts a new conversation. The questions are
   FAQ questions the bot answers with the model, picked in a warm-up, so every measured turn takes the
   whole path (masking, tracking, retrieval, the model, the output check, persistence).

A turn's **overhead** is what the platform adds to the model: the customer-side time from sending the
message to the ``final`` event, less the time the model server spent on that request (from its arrival to
its last byte, reported by the stub for the ``ref-xxxxxx`` tag the message carries). A step **holds**
when no turn failed and the overhead p95 is at most ``max_ratio`` x the idle p95; the run stops at the
first step that does not (the breaking point) and says what was saturated (the app's CPU share, its
memory, the model server's concurrency, the errors seen).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import shutil
import string
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.load.procs import ROOT, LlmStub, Proc, free_port, http_json

FAQ_ONLY = ("faq.csv", "golden_questions.jsonl")
IDLE_THINK_S = 1.0


@dataclass(frozen=True)
class LoadConfig:
    levels: tuple[int, ...] = (50, 100, 200, 300, 400)
    step_s: float = 45.0
    think_s: float = 15.0  # mean pause between a customer's turns (uniform 0.5x .. 1.5x)
    turns_per_conversation: int = 3
    idle_turns: int = 30
    ttft_s: float = 0.3  # the model server's time to first token
    interval_s: float = 0.03  # between tokens
    tokens: int = 30
    max_ratio: float = 2.0
    turn_timeout_s: float = 60.0
    max_total_s: float = 900.0  # the whole run stops after this, whatever the levels left
    keep_dir: bool = False
    stop_at_break: bool = True
    database_server: str | None = None  # postgresql://user@host:port/db: a fresh database is made there
    redis_url: str | None = None
    workers: int = 1  # kefu serve --workers: app worker processes (> 1 needs PostgreSQL and Redis)


@dataclass
class Turn:
    ok: bool
    total_s: float
    first_token_s: float | None
    llm_s: float | None
    decision: str = ""
    error: str = ""
    question: str = ""
    stages_ms: dict[str, float] = field(default_factory=dict)  # the server's own per-stage timings

    @property
    def overhead_s(self) -> float:
        return self.total_s - (self.llm_s or 0.0)


@dataclass
class Step:
    level: int
    wall_s: float
    turns: int
    errors: int
    error_kinds: dict[str, int]
    turns_per_s: float
    overhead_ms: dict[str, float]
    first_token_ms: dict[str, float]
    total_ms: dict[str, float]
    decisions: dict[str, int]
    llm_share: float  # share of turns that reached the model server
    server_stages_p95_ms: dict[str, float]  # the server's own per-stage timings (p95), for the "why"
    app_cpu: float  # CPU seconds the app used per wall second (1.0 = one core busy)
    app_rss_mb: float  # peak resident memory of the app during the step
    client_cpu: float  # the load generator's own CPU share (it runs on the same machine)
    stub_max_in_flight: int
    holds: bool = True
    why: str = ""


@dataclass
class Report:
    config: dict[str, Any]
    machine: dict[str, Any]
    idle: Step
    steps: list[Step] = field(default_factory=list)
    breaking_level: int | None = None
    breaking_reason: str = ""
    app_rss_idle_mb: float = 0.0
    wall_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1] * 1000}


class ProcStat:
    """CPU time and memory of one process and every process under it (Linux ``/proc``): with
    ``kefu serve --workers N`` the app is a supervisor and N worker processes."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._tick = os.sysconf("SC_CLK_TCK")

    def pids(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue  # exited meanwhile
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            children = [pid for pid, parent in parents.items() if parent in frontier]
            tree += children
            frontier = children
        return tree

    def cpu_s(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / self._tick

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _tag() -> str:
    return "ref-" + "".join(random.choices(string.ascii_lowercase, k=6))


class Bench:
    def __init__(self, config: LoadConfig, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.origin = self.base_url
        self.stub = LlmStub(workdir / "stub.log")
        self.app: Proc | None = None
        self.widget_key = ""
        self.questions: list[str] = []
        self.name = "kefu_load_" + "".join(random.choices(string.ascii_lowercase, k=8))
        self.database_url = f"sqlite+aiosqlite:///{workdir / 'kefu.db'}"
        if config.database_server:
            self.database_url = config.database_server.rsplit("/", 1)[0] + "/" + self.name
        self._pending_tags: list[str] = []  # answered turns whose model time is not fetched yet
        self._by_tag: dict[str, Turn] = {}

    @property
    def _app_stat(self) -> ProcStat:
        assert self.app is not None, "start() first"
        return ProcStat(self.app.pid)

    # --- processes -------------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        kb = self.workdir / "kb"
        env = {
            "ENVIRONMENT": "local",
            "DATA_DIR": str(self.workdir),
            "DEMO_KB_DIR": str(kb),
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "LLM__BACKEND": "openai",
            "LLM__BASE_URL": self.stub.base_url,
            "LLM__MODEL": "kefu-stub",
            "LLM__CACHE__ENABLED": "false",
            "RATE_LIMIT__ENABLED": "false",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.config.redis_url or "",
            "REDIS_NAMESPACE": self.name,
            "JOBS_BACKEND": "inprocess",
            "SERVER__WORKERS": str(self.config.workers),
        }
        return env

    def _kefu(self, *args: str) -> list[str]:
        return [sys.executable, "-c", "from app.cli import main; main()", *args]

    def _admin(self, sql: str) -> None:
        import psycopg

        assert self.config.database_server is not None
        with psycopg.connect(self.config.database_server, autocommit=True) as conn:
            conn.execute(sql)

    def prepare(self) -> None:
        if self.config.database_server:
            self._admin(f"CREATE DATABASE {self.name}")
        kb = self.workdir / "kb"
        kb.mkdir(parents=True, exist_ok=True)
        for name in FAQ_ONLY:
            shutil.copy(ROOT / "data" / "demo_kb" / name, kb / name)
        for args in (("migrate",), ("demo",)):
            p = Proc(self._kefu(*args), self.workdir / "prepare.log", env=self.env()).start()
            assert p.popen is not None
            if p.popen.wait(600) != 0:
                raise RuntimeError(f"kefu {' '.join(args)} failed:\n{p.tail()}")
        with (kb / "faq.csv").open(encoding="utf-8", newline="") as f:
            self.questions = [row["question"] for row in csv.DictReader(f) if row.get("question")]
        self.widget_key = asyncio.run(self._widget_key())

    async def _widget_key(self) -> str:
        from app.db import crud_tenancy
        from app.db.engine import create_engine, session_factory
        from app.demo import DEMO_SLUG
        from app.settings import Settings

        settings = Settings(_env_file=None, data_dir=self.workdir, database_url=self.database_url)
        engine = create_engine(settings.sqlalchemy_url)
        try:
            async with session_factory(engine)() as s:
                tenant = await crud_tenancy.get_tenant_by_slug(s, slug=DEMO_SLUG)
                assert tenant is not None
                keys = await crud_tenancy.list_widget_keys(s, tenant_id=tenant.id)
                return keys[0].public_key
        finally:
            await engine.dispose()

    def start(self) -> None:
        self.stub.start()
        self.stub.set(ttft_s=self.config.ttft_s, interval_s=self.config.interval_s, tokens=self.config.tokens)
        env = self.env()
        if self.config.workers > 1:  # in-process jobs cannot be shared by workers (nothing is ingested here)
            env["JOBS_BACKEND"] = "auto"
        self.app = Proc(
            self._kefu("serve", "--host", "127.0.0.1", "--port", str(self.port)),
            self.workdir / "app.log",
            env=env,
        ).start()
        self.app.wait_for(
            lambda: http_json("GET", self.base_url + "/readyz", timeout=2)["status"] == "ready",
            timeout=300,
            what="kefu serve",
        )

    def stop(self) -> None:
        if self.app is not None:
            self.app.stop(timeout=30)
        self.stub.stop()
        if self.config.database_server:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        if self.config.redis_url:
            import redis

            client = redis.Redis.from_url(self.config.redis_url)
            try:
                for key in client.scan_iter(f"{self.name}:*", count=1000):
                    client.delete(key)
            finally:
                client.close()

    # --- one customer ----------------------------------------------------------------------------------

    async def turn(self, client: httpx.AsyncClient, cid: str, headers: dict[str, str], text: str) -> Turn:
        tag = _tag()
        started = time.perf_counter()
        first: float | None = None
        final: dict[str, Any] | None = None
        try:
            async with asyncio.timeout(self.config.turn_timeout_s):
                async with client.stream(
                    "POST",
                    f"/api/v1/chat/conversations/{cid}/messages/stream",
                    json={"text": f"{text} ({tag})"},
                    headers=headers,
                ) as r:
                    if r.status_code != 200:
                        await r.aread()
                        return Turn(
                            False, time.perf_counter() - started, None, None, error=f"http_{r.status_code}"
                        )
                    event = ""
                    async for line in r.aiter_lines():
                        if line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:"):
                            if event == "token" and first is None:
                                first = time.perf_counter() - started
                            elif event == "final":
                                final = json.loads(line[5:])
                            elif event == "error":
                                return Turn(
                                    False, time.perf_counter() - started, first, None, error="sse_error"
                                )
        except TimeoutError:
            return Turn(False, time.perf_counter() - started, first, None, error="timeout")
        except httpx.HTTPError as exc:
            return Turn(False, time.perf_counter() - started, first, None, error=type(exc).__name__)
        total = time.perf_counter() - started
        if final is None:
            return Turn(False, total, first, None, error="no_final")
        self._pending_tags.append(tag)
        turn = Turn(
            True,
            total,
            first,
            None,
            decision=str(final.get("decision")),
            question=text,
            stages_ms={k: float(v) for k, v in (final.get("timings_ms") or {}).items()},
        )
        self._by_tag[tag] = turn
        return turn

    async def open(self, client: httpx.AsyncClient) -> tuple[str, dict[str, str]] | str:
        """(conversation id, headers), or what went wrong."""
        try:
            r = await client.post(
                "/api/v1/chat/conversations",
                json={"widget_key": self.widget_key},
                headers={"Origin": self.origin},
            )
        except httpx.HTTPError as exc:
            return f"start_{type(exc).__name__}"
        if r.status_code != 201:
            return f"start_http_{r.status_code}"
        body = r.json()
        return body["id"], {"X-Conversation-Token": body["token"], "Origin": self.origin}

    async def conversation(
        self, client: httpx.AsyncClient, turns: list[Turn], stop_at: float, think_s: float
    ) -> None:
        opened = await self.open(client)
        if isinstance(opened, str):
            turns.append(Turn(False, 0.0, None, None, error=opened))
            await asyncio.sleep(1.0)
            return
        cid, headers = opened
        for i in range(self.config.turns_per_conversation):
            if i:
                await asyncio.sleep(think_s * random.uniform(0.5, 1.5))
            if time.monotonic() >= stop_at:
                return
            t = await self.turn(client, cid, headers, random.choice(self.questions))
            turns.append(t)
            if not t.ok or t.decision == "handoff":
                return

    async def select_questions(self, client: httpx.AsyncClient, candidates: int = 24) -> None:
        """Keep the FAQ questions the bot answers with the model (not urgent handoffs, not "don't
        know"), so every measured turn takes the whole path; each asked once, in a conversation of its
        own (this also warms the app up)."""
        pool = list(self.questions)
        random.shuffle(pool)
        asked: list[Turn] = []
        for q in pool[:candidates]:
            opened = await self.open(client)
            if not isinstance(opened, str):
                asked.append(await self.turn(client, *opened, q))
        self._attach_llm_times()
        kept = [t.question for t in asked if t.ok and t.decision == "answer" and t.llm_s is not None]
        if len(kept) < 3:
            raise RuntimeError(f"only {len(kept)} of {len(asked)} FAQ questions reached the model: {asked}")
        self.questions = kept

    async def customer(self, client: httpx.AsyncClient, turns: list[Turn], stop_at: float) -> None:
        await asyncio.sleep(random.uniform(0, self.config.think_s))  # arrivals spread, not one burst
        while time.monotonic() < stop_at:
            try:
                await self.conversation(client, turns, stop_at, self.config.think_s)
            except Exception as exc:  # counted, never the end of the run
                turns.append(Turn(False, 0.0, None, None, error=f"client_{type(exc).__name__}"))
                await asyncio.sleep(1.0)

    # --- phases ----------------------------------------------------------------------------------------

    def _attach_llm_times(self) -> None:
        timings = self.stub.stats()["timings"]
        for tag in self._pending_tags:
            if tag in timings:
                self._by_tag[tag].llm_s = float(timings[tag])
        self._pending_tags.clear()
        self._by_tag.clear()
        self.stub.reset()

    async def idle(self) -> Step:
        turns: list[Turn] = []
        started = time.monotonic()
        cpu0, me0 = self._app_stat.cpu_s(), _own_cpu()
        async with self._client(4) as client:
            while len(turns) < self.config.idle_turns:
                await self.conversation_sequential(client, turns)
        wall = time.monotonic() - started
        self._attach_llm_times()
        app_cpu = self._app_stat.cpu_s() - cpu0
        return self._step(0, turns, wall, app_cpu, self._app_stat.rss_mb(), 1, _own_cpu() - me0)

    async def conversation_sequential(self, client: httpx.AsyncClient, turns: list[Turn]) -> None:
        """One conversation at a time, a short pause between turns (so a turn never meets the tail of the
        one before): the idle baseline."""
        await self.conversation(client, turns, time.monotonic() + 3600, IDLE_THINK_S)

    async def step(self, level: int) -> Step:
        turns: list[Turn] = []
        peak = [self._app_stat.rss_mb()]
        stop_at = time.monotonic() + self.config.step_s
        cpu0, me0 = self._app_stat.cpu_s(), _own_cpu()
        started = time.monotonic()

        async def sample() -> None:
            while time.monotonic() < stop_at:
                peak[0] = max(peak[0], self._app_stat.rss_mb())
                await asyncio.sleep(0.5)

        async with self._client(level + 8) as client:
            sampler = asyncio.create_task(sample())
            await asyncio.gather(*(self.customer(client, turns, stop_at) for _ in range(level)))
            sampler.cancel()
        wall = time.monotonic() - started
        stats = self.stub.stats()
        self._attach_llm_times()
        app_cpu = self._app_stat.cpu_s() - cpu0
        return self._step(level, turns, wall, app_cpu, peak[0], stats["max_in_flight"], _own_cpu() - me0)

    def _client(self, connections: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.config.turn_timeout_s, connect=10.0),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            trust_env=False,  # loopback only: never through a proxy
        )

    def _step(
        self,
        level: int,
        turns: list[Turn],
        wall: float,
        cpu: float,
        rss: float,
        in_flight: int,
        client_cpu: float,
    ) -> Step:
        ok = [t for t in turns if t.ok]
        errors = Counter(t.error for t in turns if not t.ok)
        return Step(
            level=level,
            wall_s=round(wall, 1),
            turns=len(turns),
            errors=sum(errors.values()),
            error_kinds=dict(errors),
            turns_per_s=round(len(ok) / wall, 2) if wall else 0.0,
            overhead_ms=percentiles([t.overhead_s for t in ok]),
            first_token_ms=percentiles([t.first_token_s for t in ok if t.first_token_s is not None]),
            total_ms=percentiles([t.total_s for t in ok]),
            decisions=dict(Counter(t.decision for t in ok)),
            server_stages_p95_ms={
                k: round(percentiles([t.stages_ms[k] / 1000 for t in ok if k in t.stages_ms])["p95"], 1)
                for k in sorted({k for t in ok for k in t.stages_ms})
            },
            llm_share=round(sum(1 for t in ok if t.llm_s is not None) / len(ok), 3) if ok else 0.0,
            app_cpu=round(cpu / wall, 2) if wall else 0.0,
            app_rss_mb=round(rss, 1),
            client_cpu=round(client_cpu / wall, 2) if wall else 0.0,
            stub_max_in_flight=in_flight,
        )

    async def run(self) -> Report:
        assert self.app is not None
        begun = time.monotonic()
        async with self._client(4) as client:  # also the warm-up (first-call costs, connections)
            await self.select_questions(client)
        rss_idle = self._app_stat.rss_mb()
        idle = await self.idle()
        report = Report(
            config=asdict(self.config),
            machine={"cpus": os.cpu_count(), "loadavg_start": os.getloadavg()},
            idle=idle,
            app_rss_idle_mb=round(rss_idle, 1),
        )
        limit = idle.overhead_ms["p95"] * self.config.max_ratio
        for level in self.config.levels:
            if time.monotonic() - begun + self.config.step_s > self.config.max_total_s:
                report.breaking_reason = (
                    report.breaking_reason or f"stopped: max_total_s {self.config.max_total_s:g}"
                )
                break
            if self.app.alive() is False:
                report.breaking_level, report.breaking_reason = level, "the app process exited"
                break
            s = await self.step(level)
            report.steps.append(s)
            reasons = []
            if s.errors:
                reasons.append(f"{s.errors} failed turns {s.error_kinds}")
            if s.overhead_ms["p95"] > limit:
                reasons.append(
                    f"overhead p95 {s.overhead_ms['p95']:.0f} ms > {self.config.max_ratio:g} x idle "
                    f"({limit:.0f} ms)"
                )
            if reasons:
                s.holds = False
                s.why = "; ".join(reasons) + f"; app CPU {s.app_cpu:.2f} cores, load {os.getloadavg()[0]:.1f}"
                if report.breaking_level is None:
                    report.breaking_level, report.breaking_reason = level, s.why
                if self.config.stop_at_break:
                    break
        report.machine["loadavg_end"] = os.getloadavg()
        report.wall_s = round(time.monotonic() - begun, 1)
        return report


def run(config: LoadConfig) -> Report:
    """Prepare, start, measure, stop. Children are stopped and the data folder removed on any exit."""
    workdir = Path(tempfile.mkdtemp(prefix="kefu-load-"))
    bench = Bench(config, workdir)
    try:
        bench.prepare()
        bench.start()
        return asyncio.run(bench.run())
    except BaseException:
        if bench.app is not None:
            sys.stderr.write(bench.app.tail())
        raise
    finally:
        bench.stop()
        if not config.keep_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def table(report: Report) -> str:
    head = (
        f"{'level':>6}{'turns':>7}{'err':>5}{'turns/s':>9}{'ovh p50':>9}{'p95':>8}{'p99':>8}"
        f"{'ttft p95':>10}{'cpu':>6}{'gen cpu':>8}{'rss MB':>8}  holds"
    )
    lines = [head]
    for s in [report.idle, *report.steps]:
        o = s.overhead_ms
        lines.append(
            f"{('idle' if s.level == 0 else s.level):>6}{s.turns:>7}{s.errors:>5}{s.turns_per_s:>9.2f}"
            f"{o['p50']:>9.0f}{o['p95']:>8.0f}{o['p99']:>8.0f}{s.first_token_ms['p95']:>10.0f}"
            f"{s.app_cpu:>6.2f}{s.client_cpu:>8.2f}{s.app_rss_mb:>8.0f}  {'yes' if s.holds else 'NO: ' + s.why}"
        )
    workers = report.config.get("workers", 1)
    lines.append(
        f"app workers {workers}; app RSS at idle {report.app_rss_idle_mb:.0f} MB (all its processes); "
        f"run {report.wall_s:.0f} s"
    )
    if report.breaking_level is not None:
        lines.append(f"breaks at {report.breaking_level} concurrent conversations: {report.breaking_reason}")
    elif report.breaking_reason:
        lines.append(report.breaking_reason)
    else:
        lines.append("held at every level run")
    return "\n".join(lines)
