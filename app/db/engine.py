"""The async engine and session factory (built once by the container), plus the sync URL for Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def sync_url(async_url: str) -> str:
    """The same database through a sync driver (Alembic runs sync): aiosqlite -> pysqlite."""
    url = make_url(async_url)
    if url.drivername == "sqlite+aiosqlite":
        url = url.set(drivername="sqlite")
    return url.render_as_string(hide_password=False)


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)


def sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Foreign keys on (SQLite ignores them by default), WAL so readers don't block the writer, and
    secure_delete: deleted rows are overwritten in the file, not left in free pages (an erased customer's
    text must not stay readable in the database file)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    _ensure_sqlite_dir(url)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    kwargs: dict[str, Any] = {"echo": echo}
    if not is_sqlite:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def ensure_dir_for(url: str) -> None:
    """Create the SQLite file's folder (the embedded default lives under ``data_dir``)."""
    _ensure_sqlite_dir(url)
