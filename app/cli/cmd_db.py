"""``kefu migrate`` and ``kefu create-user``."""

from __future__ import annotations

import asyncio

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.root.command()
    def migrate(revision: str = typer.Option("head", help="Target revision")) -> None:
        """Bring the database schema to REVISION (Alembic migrations; the only way the schema changes)."""
        from app.db.migrate import current_revision, upgrade
        from app.settings import get_settings

        settings = get_settings()
        upgrade(settings.sqlalchemy_url, revision)
        typer.echo(f"database at revision {current_revision(settings.sqlalchemy_url)}")

    @cli.root.command("create-user")
    def create_user(
        email: str = typer.Argument(..., help="Login e-mail"),
        role: str = typer.Option(..., help="admin or agent"),
        tenant: str = typer.Option(..., help="Tenant slug (created if missing, with --create-tenant)"),
        display_name: str = typer.Option("", help="Shown in the console"),
        create_tenant: bool = typer.Option(False, help="Create the tenant if it does not exist"),
        password: str = typer.Option(
            None, help="Password (prompted when omitted; at least 10 characters)", hide_input=True
        ),
        generate: bool = typer.Option(False, help="Generate a random password and print it once"),
    ) -> None:
        """Create an admin or agent user of a tenant."""
        from app.auth.credentials import generate_password

        if generate:
            password = generate_password()
        elif password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        asyncio.run(_create_user(email, role, tenant, display_name, create_tenant, password))
        typer.echo(f"created {role} {email} in tenant {tenant}")
        if generate:
            typer.echo(f"password: {password}")


async def _create_user(
    email: str, role: str, tenant_slug: str, display_name: str, create_tenant: bool, password: str
) -> None:
    from app.auth.service import create_user
    from app.db import crud_tenancy
    from app.db.engine import create_engine, session_factory
    from app.errors import AppError
    from app.settings import get_settings

    engine = create_engine(get_settings().sqlalchemy_url)
    try:
        async with session_factory(engine)() as session:
            tenant = await crud_tenancy.get_tenant_by_slug(session, slug=tenant_slug)
            if tenant is None:
                if not create_tenant:
                    raise typer.BadParameter(f"no tenant {tenant_slug!r} (use --create-tenant)")
                tenant = await crud_tenancy.create_tenant(session, slug=tenant_slug, name=tenant_slug)
            try:
                await create_user(
                    session,
                    tenant_id=tenant.id,
                    email=email,
                    password=password,
                    role=role,
                    display_name=display_name,
                )
            except AppError as exc:
                raise typer.BadParameter(exc.detail) from exc
            await session.commit()
    finally:
        await engine.dispose()
