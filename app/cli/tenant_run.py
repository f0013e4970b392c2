"""What the tenant commands (``kefu source ...``, ``kefu hold ...``, ``kefu dsr ...``, ``kefu purge``) share:
one container for the command, the tenant found by its slug, the system as the audit actor (the operator
has the shell), an ``AppError`` printed as ``error <code>: <detail>`` with exit status 2."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from app.container import Container
    from app.kb.versions import Actor


def system_actor() -> Actor:
    from app.kb.versions import SYSTEM

    return SYSTEM


def run_for_tenant(tenant: str | None, fn: Callable[[Container, Any], Awaitable[Any]]) -> Any:
    """``fn(container, tenant_id)`` run to its end; ``tenant_id`` is None when no slug is given, and an
    unknown slug is a ``typer.BadParameter``."""
    from app.errors import AppError

    async def go() -> Any:
        from app.db import crud_tenancy
        from app.settings import get_settings
        from app.wiring import build_container

        container = await build_container(get_settings(), role="cli")
        try:
            tenant_id = None
            if tenant is not None:
                async with container.sessions() as session:
                    row = await crud_tenancy.get_tenant_by_slug(session, slug=tenant)
                if row is None:
                    raise typer.BadParameter(f"no tenant {tenant!r}")
                tenant_id = row.id
            return await fn(container, tenant_id)
        finally:
            await container.aclose()

    try:
        return asyncio.run(go())
    except AppError as exc:
        typer.echo(f"error {exc.code.code}: {exc.detail}", err=True)
        raise typer.Exit(2) from None
