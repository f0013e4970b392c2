"""One settings object, composed of the packages' own config models, built by a factory.

Environment variables nest with ``__`` (``LLM__BASE_URL``, ``RETRIEVAL__TOP_K``); a ``.env`` file in the
working directory is read too. ``os.environ`` is read nowhere else in the code base.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.actions.config import ActionsConfig
from app.admin_settings import AdminConfig
from app.auth.sso.config import SsoConfig
from app.compliance.config import ComplianceConfig
from app.connectors.config import ConnectorsConfig
from app.edge.config import EdgeConfig, RateLimitConfig, ServerConfig
from app.runtime.redis_client import RedisClientConfig
from dialog.config import DialogConfig
from llm_backend.config import LLMConfig
from privacy.config import PrivacyConfig
from retrieval.config import RetrievalConfig

_LOCAL_SECRET = "local-dev-secret-change-me"
_LOCAL_VAULT_KEY = "local-dev-vault-key-change-me"
# Where the built-in secrets are acceptable: a developer's machine and the test suite.
DEV_ENVIRONMENTS = ("local", "test")
MIN_SECRET_CHARS = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,  # a refused setting's error (logged at start-up) never echoes a secret
    )

    # local / test: built-in secrets allowed. Any deployment (staging, production): real secrets required.
    environment: Literal["local", "test", "staging", "production"] = "local"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Embedded default: SQLite under data_dir. PostgreSQL: postgresql://user@host:5432/db
    database_url: str | None = None
    # Unset: in-process dialog store, vault and event channel. Set: Redis for all three.
    redis_url: str | None = None
    data_dir: Path = Path("var")
    eval_data_dir: Path = Path("../shared/data")
    demo_kb_dir: Path = Path("data/demo_kb")
    secret_key: SecretStr = SecretStr(_LOCAL_SECRET)
    vault_key: SecretStr = SecretStr(_LOCAL_VAULT_KEY)
    max_message_chars: int = Field(default=4000, ge=1)
    # Request bodies of the chat routes above this are refused with 413 before they are parsed.
    max_chat_body_bytes: int = Field(default=64 * 1024, ge=1024)
    log_level: str = "INFO"
    log_json: bool = True
    # Login sessions (bearer token / cookie) of admin and agent users.
    session_ttl_s: int = Field(default=12 * 3600, ge=60)
    cookie_secure: bool = True
    # A staff live stream (agent queue and conversation feeds, job progress) re-checks its session before
    # each event and at least this often; it ends when the session no longer holds (at most 5 s).
    staff_stream_recheck_s: float = Field(default=5.0, gt=0, le=5)
    # A widget's conversation token lapses this long after the conversation's last activity, and never
    # later than the vault keeps the customer's values (``conversation_token_max_age_s``).
    conversation_token_ttl_s: int = Field(default=24 * 3600, ge=60)
    # Outside ENVIRONMENT=local, /metrics answers only ``Authorization: Bearer <METRICS_TOKEN>`` (404
    # while unset); /docs and /openapi.json are served with ENVIRONMENT=local only.
    metrics_token: SecretStr | None = None
    # Namespace of every Redis key and channel this deployment uses (dialog, vault, events, job queue).
    redis_namespace: str = Field(default="kefu", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    # Background jobs (ingestion): "auto" = arq on Redis when REDIS_URL is set, else in-process tasks.
    jobs_backend: Literal["auto", "inprocess", "arq"] = "auto"
    # A running ingestion job moves its row every JOBS_HEARTBEAT_S; one still "running" (or, in-process,
    # "queued") whose row has not moved for JOBS_STALE_AFTER_S (>= 3 heartbeats) lost its process and is
    # marked failed ("interrupted") by the sweep every app and worker process runs at start-up and then
    # every JOBS_SWEEP_INTERVAL_S (0: at start-up only). docs/OPERATIONS.md, "Ingestion jobs".
    jobs_heartbeat_s: float = Field(default=10.0, gt=0)
    jobs_stale_after_s: float = Field(default=60.0, ge=0)
    jobs_sweep_interval_s: float = Field(default=30.0, ge=0)
    # ``kefu worker`` on SIGTERM: stop taking jobs and let running ones finish for up to this long, then
    # cancel them (marked failed "interrupted"). Keep the container's stop grace period above it.
    jobs_shutdown_grace_s: int = Field(default=60, ge=0)
    # The tenant's knowledge-base write lock on Redis is a lease its holder renews every third of this:
    # a holder killed mid-build frees the tenant at most this long after it died.
    kb_lock_lease_s: float = Field(default=30.0, ge=1)
    # Timeouts and retries of every Redis call (REDIS__*).
    redis: RedisClientConfig = RedisClientConfig()
    # Request size limits, proxy trust, shutdown grace, security headers (EDGE__*).
    edge: EdgeConfig = EdgeConfig()
    # 429 + Retry-After per IP / widget key / conversation / login (RATE_LIMIT__*).
    rate_limit: RateLimitConfig = RateLimitConfig()
    # Worker processes of ``kefu serve`` (SERVER__WORKERS; ``--workers``).
    server: ServerConfig = ServerConfig()
    # prometheus_client's multiprocess folder: ``kefu serve --workers N`` (N > 1) sets it for its workers
    # (a fresh temporary folder unless given), so ``/metrics`` adds up every worker's counters.
    prometheus_multiproc_dir: Path | None = None

    retrieval: RetrievalConfig = RetrievalConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    dialog: DialogConfig = DialogConfig()
    llm: LLMConfig = LLMConfig()
    admin: AdminConfig = AdminConfig()
    # Website and folder sources of the knowledge base (CONNECTORS__*).
    connectors: ConnectorsConfig = ConnectorsConfig()
    # Staff single sign-on through tenants' OpenID Connect IdPs (SSO__*; providers: the admin API).
    sso: SsoConfig = SsoConfig()
    # Retention defaults, the purge's schedule, the widget's AI disclosure (COMPLIANCE__*).
    compliance: ComplianceConfig = ComplianceConfig()
    # Actions done through the bank's API: the demo bank, bank-call timeouts, token and code lifetimes
    # (ACTIONS__*).
    actions: ActionsConfig = ActionsConfig()

    @model_validator(mode="after")
    def _stale_after_spans_heartbeats(self) -> Settings:
        """A live job must never look abandoned: the stale time covers at least three heartbeats."""
        if self.jobs_stale_after_s < 3 * self.jobs_heartbeat_s:
            raise ValueError(
                f"JOBS_STALE_AFTER_S ({self.jobs_stale_after_s:g}) must be at least 3 x JOBS_HEARTBEAT_S "
                f"({self.jobs_heartbeat_s:g}), or a live job could be taken for an abandoned one"
            )
        return self

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Settings:
        """Outside ``DEV_ENVIRONMENTS`` the secrets must be real: not the built-in defaults nor a
        ``change-me`` placeholder (``.env.example``), at least ``MIN_SECRET_CHARS`` long, not equal to each
        other; and the session cookie must be ``Secure``. Start-up fails with every problem named."""
        if self.environment in DEV_ENVIRONMENTS:
            return self
        problems = secret_problems(self)
        metrics_token = self.metrics_token.get_secret_value() if self.metrics_token else ""
        if metrics_token and len(metrics_token) < MIN_SECRET_CHARS:
            problems.append(f"METRICS_TOKEN must have at least {MIN_SECRET_CHARS} characters")
        if not self.cookie_secure:
            problems.append("COOKIE_SECURE must be true (login cookies only over HTTPS)")
        if problems:
            raise ValueError(f"ENVIRONMENT={self.environment}: " + "; ".join(problems))
        return self

    @property
    def conversation_token_max_age_s(self) -> int:
        """How long a conversation token stays good after the conversation's last activity."""
        return min(self.conversation_token_ttl_s, self.privacy.vault_ttl_s)

    @property
    def sqlalchemy_url(self) -> str:
        """Async SQLAlchemy URL: SQLite under data_dir by default, psycopg 3 for PostgreSQL."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'kefu.db').as_posix()}"
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


def secret_problems(settings: Settings) -> list[str]:
    """What is wrong with ``SECRET_KEY`` / ``VAULT_KEY`` for a server others can reach: the built-in
    defaults or a ``change-me`` placeholder, shorter than ``MIN_SECRET_CHARS``, or equal (empty: fine).
    Refused at start-up outside ``DEV_ENVIRONMENTS``, and by ``kefu serve`` on any non-loopback bind."""
    values = {
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "VAULT_KEY": settings.vault_key.get_secret_value(),
    }
    problems = []
    for name, value in values.items():
        if value in (_LOCAL_SECRET, _LOCAL_VAULT_KEY) or "change-me" in value.lower():
            problems.append(f"{name} is the default or a placeholder: set a real secret")
        elif len(value) < MIN_SECRET_CHARS:
            problems.append(f"{name} must have at least {MIN_SECRET_CHARS} characters")
    if values["SECRET_KEY"] == values["VAULT_KEY"]:
        problems.append("SECRET_KEY and VAULT_KEY must differ")
    return problems


def get_settings() -> Settings:
    """Build settings from the environment. Call it; never keep a module-level instance."""
    return Settings()


# No model hub and no public-suffix download: models come from installed packages (bank networks have no
# egress), and tldextract (under Presidio's URL and e-mail recognizers) uses its bundled suffix list
# instead of trying GitHub at the first e-mail address it sees. An operator's explicit setting wins.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}


def apply_offline_defaults() -> None:
    """Set ``OFFLINE_ENV`` where unset, before the libraries that read it are imported (``kefu`` does)."""
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)


def child_environment(*, drop: Collection[str] = ()) -> dict[str, str]:
    """A copy of this process's environment for a child process, less the names in ``drop``."""
    return {name: value for name, value in os.environ.items() if name not in drop}
