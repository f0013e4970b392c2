"""Run Alembic migrations programmatically (``kefu migrate``, tests, the compose ``migrate`` service)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from app.db.engine import ensure_dir_for, sync_url


def alembic_config(async_url: str, connection: Any = None) -> Config:
    """Alembic config pointing at the packaged ``migrations`` folder and at ``async_url``'s database.

    ``connection`` (a sync SQLAlchemy connection) lets a test run migrations inside its own transaction.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    url = sync_url(async_url)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def script_location() -> Path:
    """The packaged ``migrations`` folder (found through the package, so any working directory works;
    an editable install may present it as a namespace package, hence the search for env.py)."""
    import migrations

    for entry in migrations.__path__:
        if (Path(entry) / "env.py").is_file():
            return Path(entry)
    raise RuntimeError("the migrations package has no env.py")


def upgrade(async_url: str, revision: str = "head") -> None:
    """Sync (Alembic is sync): call from a thread when inside an event loop."""
    ensure_dir_for(async_url)
    command.upgrade(alembic_config(async_url), revision)


def downgrade(async_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(async_url), revision)


def current_revision(async_url: str) -> str | None:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(sync_url(async_url))
    try:
        with engine.connect() as conn:
            from alembic.runtime.migration import MigrationContext

            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
