"""The schema comes only from migrations: upgrade -> downgrade -> upgrade works on PostgreSQL, and
autogenerate finds no difference between the migrated database and the ORM models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import app.db.models  # noqa: F401
from app.db.base import Base
from app.db.engine import sync_url
from app.db.migrate import current_revision, downgrade, head_revision, upgrade
from tests.pg import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch_db(service_urls: tuple[str, str]) -> Iterator[str]:
    base = service_urls[0].replace("postgresql://", "postgresql+psycopg://", 1)
    with fresh_database(base, "kefu_mig", migrate=False) as url:
        yield url


def _diff(url: str) -> list:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_without_drift(scratch_db: str) -> None:
    upgrade(scratch_db)
    assert current_revision(scratch_db) == head_revision()
    assert {"conversations", "messages", "dialog_events", "kb_versions", "audit_events"} <= _tables(
        scratch_db
    )
    assert _diff(scratch_db) == []

    downgrade(scratch_db, "base")
    assert _tables(scratch_db) <= {"alembic_version"}

    upgrade(scratch_db)
    assert current_revision(scratch_db) == head_revision()
    assert _diff(scratch_db) == []


def test_drift_check_sees_a_difference(scratch_db: str) -> None:
    """The check above can fail: a column added outside the migrations is reported."""
    upgrade(scratch_db)
    engine = create_engine(sync_url(scratch_db))
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE tenants ADD COLUMN stray integer")
    engine.dispose()
    assert any(d[0] == "remove_column" for d in _diff(scratch_db))
