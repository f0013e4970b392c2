"""One settings object, composed of the packages' own config models, built by a factory.

Environment variables nest with ``__`` (``LLM__BASE_URL``, ``RETRIEVAL__TOP_K``); a ``.env`` file in the
working directory is read too. ``os.environ`` is read nowhere else in the code base.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.admin_config import AdminConfig
from app.edge_config import EdgeConfig, RateLimitConfig
from app.redis_client import RedisClientConfig
from dialog.config import DialogConfig
from llm_backend.config import LLMConfig
from privacy.config import PrivacyConfig
from retrieval.config import RetrievalConfig

_LOCAL_SECRET = "local-dev-secret-change-me"
_LOCAL_VAULT_KEY = "local-dev-vault-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_nested_delimiter="__", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["local", "test", "production"] = "local"
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
    # Namespace of every Redis key and channel this deployment uses (dialog, vault, events, job queue).
    redis_namespace: str = Field(default="kefu", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    # Background jobs (ingestion): "auto" = arq on Redis when REDIS_URL is set, else in-process tasks.
    jobs_backend: Literal["auto", "inprocess", "arq"] = "auto"
    # At start-up, an ingestion job still "running" (or, in-process, "queued") whose row has not moved for
    # this long is taken as abandoned by a process that died, and marked failed ("interrupted").
    jobs_stale_after_s: float = Field(default=300.0, ge=0)
    # Timeouts and retries of every Redis call (REDIS__*).
    redis: RedisClientConfig = RedisClientConfig()
    # Request size limits, proxy trust, shutdown grace, security headers (EDGE__*).
    edge: EdgeConfig = EdgeConfig()
    # 429 + Retry-After per IP / widget key / conversation / login (RATE_LIMIT__*).
    rate_limit: RateLimitConfig = RateLimitConfig()

    retrieval: RetrievalConfig = RetrievalConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    dialog: DialogConfig = DialogConfig()
    llm: LLMConfig = LLMConfig()
    admin: AdminConfig = AdminConfig()

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            for name, value, default in (
                ("SECRET_KEY", self.secret_key, _LOCAL_SECRET),
                ("VAULT_KEY", self.vault_key, _LOCAL_VAULT_KEY),
            ):
                if value.get_secret_value() == default:
                    raise ValueError(f"{name} must be set to a real secret when ENVIRONMENT=production")
        return self

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


def get_settings() -> Settings:
    """Build settings from the environment. Call it; never keep a module-level instance."""
    return Settings()
