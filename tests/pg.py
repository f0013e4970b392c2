"""A fresh database on the real PostgreSQL server of the integration tiers, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from app.db.migrate import upgrade


@contextmanager
def fresh_database(url: str, prefix: str, *, migrate: bool) -> Iterator[str]:
    """``url`` with its database replaced by a new one named ``<prefix>_<random>`` (same driver), created
    on that server, migrated when ``migrate``, and dropped (connections forced off) on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = (
        make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    fresh = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(fresh)
        yield fresh
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
