"""Persistence: ORM models, the async engine and every SQL statement (``crud_*.py``).

The schema comes only from Alembic migrations (``migrations/``); nothing here calls ``create_all``.
"""
