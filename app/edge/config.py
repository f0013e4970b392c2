"""Settings of the HTTP edge: request size limits, rate limits, proxy trust, shutdown grace, security
headers, worker processes (``Settings.edge`` / ``Settings.rate_limit`` / ``Settings.server``; env
``EDGE__*`` / ``RATE_LIMIT__*`` / ``SERVER__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RateLimit(BaseModel):
    """At most ``count`` requests per ``period_s`` for one key, smoothed (a burst of ``count`` at once,
    then one every ``period_s / count``)."""

    count: int = Field(default=60, ge=1)
    period_s: float = Field(default=60.0, gt=0)

    @property
    def interval_s(self) -> float:
        return self.period_s / self.count


class RateLimitConfig(BaseModel):
    """Per client IP (every chat request), per widget key (conversations started and requests that carry
    the key), per conversation (customer turns), per IP on login. Counters live in Redis when
    ``REDIS_URL`` is set (shared by every replica), in the process otherwise."""

    enabled: bool = True
    ip: RateLimit = RateLimit(count=300, period_s=60)
    widget_key: RateLimit = RateLimit(count=3000, period_s=60)
    conversation: RateLimit = RateLimit(count=20, period_s=60)
    login: RateLimit = RateLimit(count=10, period_s=60)
    # In-process counters kept at most (least recently used dropped first): memory stays bounded under
    # a flood of distinct addresses.
    max_keys: int = Field(default=100_000, ge=100)


class EdgeConfig(BaseModel):
    # Any request body above this is refused with 413 before it is read whole (the chat routes have
    # their own, smaller cap: ``MAX_CHAT_BODY_BYTES``; the upload route streams with its own limits).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    body_limit_exempt: list[str] = ["/api/v1/admin/kb/uploads"]
    # Largest request head (request line + headers) the server reads; larger is refused by uvicorn.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (the TLS proxy); "*" = any.
    trusted_proxies: str = "127.0.0.1"
    # SIGTERM: a customer turn already streaming gets this long to finish; the server waits a little
    # longer before it closes what is left.
    shutdown_grace_s: float = Field(default=25.0, ge=0)
    security_headers: bool = True


class ServerConfig(BaseModel):
    """How ``kefu serve`` runs the app (``SERVER__*``)."""

    # Uvicorn worker processes on one socket, each building its own app and adapters (``app.edge.serving``).
    # Above 1, every piece of state the workers must share has to live in PostgreSQL and Redis: start-up
    # is refused otherwise (``app.edge.serving.shared_state_problems``). One process uses at most one core.
    workers: int = Field(default=1, ge=1, le=64)
    # Intra-op threads of the in-process models (the e5 query embedder on torch) in each serving process;
    # 0 leaves torch's default (one per core). One query at a time gains little from a second thread and
    # pays for it in CPU: on the 2-vCPU VM an embedding took 28 ms of CPU with 2 threads against 16 ms
    # with 1 (14 -> 16 ms of wall time on an idle machine), and under load the CPU is what runs out
    # (docs/BENCHMARKS.md, "Load"). Ingestion in ``kefu worker`` keeps torch's default.
    model_threads: int = Field(default=1, ge=0, le=64)
    # At start-up each tenant with an active knowledge base gets its KB-aware tracker trained before the
    # replica reports ready (``/readyz`` check ``trackers``), for at most this long (s); a turn that
    # arrives meanwhile is still answered, by the tracker ``get`` gives it (``app.chat.tenant_trackers``).
    tracker_warm_up_s: float = Field(default=120.0, ge=0)
