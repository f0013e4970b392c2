"""``kefu purge`` (the retention purge now), ``kefu hold ...`` (legal holds) and ``kefu dsr ...``
(data-subject requests: export, erase). The same services as the admin API (``app.compliance``), audited
with the system as actor (the operator has the shell)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from app.cli import Clis
from app.cli.tenant_run import run_for_tenant, system_actor

if TYPE_CHECKING:
    from app.container import Container


def register(cli: Clis) -> None:
    hold = typer.Typer(help="Legal holds: kept data no purge or erasure touches.", no_args_is_help=True)
    dsr = typer.Typer(help="Data-subject requests: export or erase a customer's data.", no_args_is_help=True)
    cli.root.add_typer(hold, name="hold")
    cli.root.add_typer(dsr, name="dsr")

    @cli.root.command()
    def purge(
        tenant: str = typer.Option("", help="Tenant slug (default: every tenant)"),
        as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON"),
    ) -> None:
        """Run the retention purge now (it also runs daily on its own)."""
        from app.compliance.purge import run_purge

        async def go(c: Container, tenant_id: str | None) -> Any:
            return await run_purge(c, tenant_id=tenant_id)

        reports = run_for_tenant(tenant or None, go)
        if as_json:
            body = [{"tenant_id": r.tenant_id, "counts": r.counts, "seconds": r.seconds} for r in reports]
            typer.echo(json.dumps(body, indent=1))
            return
        for r in reports:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items()) if v) or "nothing expired"
            typer.echo(f"tenant {r.tenant_id}: {counts} ({r.seconds:.2f} s)")

    @hold.command("place")
    def hold_place(
        tenant: str = typer.Option(..., help="Tenant slug"),
        reason: str = typer.Option(..., help="Why (the case, the order)"),
        conversation: str = typer.Option("", help="Conversation id"),
        customer: str = typer.Option("", help="Customer id (all their conversations)"),
    ) -> None:
        """Place a legal hold on a conversation or a customer."""
        from app.compliance import holds

        async def go(c: Container, tenant_id: str | None) -> Any:
            assert tenant_id is not None
            return await holds.place(
                c, tenant_id=tenant_id, actor=system_actor(), reason=reason,
                conversation_id=conversation or None, customer_id=customer or None,
            )  # fmt: skip

        h = run_for_tenant(tenant, go)
        typer.echo(f"hold {h.id} placed")

    @hold.command("release")
    def hold_release(
        hold_id: str = typer.Argument(..., help="Hold id"),
        tenant: str = typer.Option(..., help="Tenant slug"),
    ) -> None:
        """Release a legal hold."""
        from app.compliance import holds

        async def go(c: Container, tenant_id: str | None) -> Any:
            assert tenant_id is not None
            return await holds.release(c, tenant_id=tenant_id, actor=system_actor(), hold_id=hold_id)

        h = run_for_tenant(tenant, go)
        typer.echo(f"hold {h.id} released")

    @hold.command("list")
    def hold_list(tenant: str = typer.Option(..., help="Tenant slug")) -> None:
        """The tenant's active holds."""
        from app.compliance import holds

        async def go(c: Container, tenant_id: str | None) -> Any:
            assert tenant_id is not None
            return await holds.active(c, tenant_id=tenant_id)

        for h in run_for_tenant(tenant, go):
            subject = (
                f"conversation {h.conversation_id}" if h.conversation_id else f"customer {h.customer_id}"
            )
            typer.echo(f"{h.id}  {subject}  since {h.created_at:%Y-%m-%d}  {h.reason}")

    @dsr.command("export")
    def dsr_export(
        tenant: str = typer.Option(..., help="Tenant slug"),
        customer: str = typer.Option("", help="Customer id"),
        conversation: str = typer.Option("", help="Conversation id"),
        out: Path = typer.Option(None, help="Write the JSON here (default: standard output)"),
    ) -> None:
        """Export a customer's (or one conversation's) data as one JSON document. Allowed under a legal
        hold (an export changes nothing)."""
        from app.compliance import dsr as service

        async def go(c: Container, tenant_id: str | None) -> Any:
            assert tenant_id is not None
            subject = service.Subject(customer_id=customer or None, conversation_id=conversation or None)
            return await service.export(c, tenant_id=tenant_id, subject=subject, actor=system_actor())

        text = json.dumps(run_for_tenant(tenant, go), ensure_ascii=False, indent=1)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text, encoding="utf-8")
            typer.echo(f"written to {out}", err=True)

    @dsr.command("erase")
    def dsr_erase(
        tenant: str = typer.Option(..., help="Tenant slug"),
        customer: str = typer.Option("", help="Customer id"),
        conversation: str = typer.Option("", help="Conversation id"),
    ) -> None:
        """Erase a customer's (or one conversation's) data everywhere. Refused while a legal hold applies;
        running it again resumes an interrupted erasure."""
        from app.compliance import dsr as service

        async def go(c: Container, tenant_id: str | None) -> Any:
            assert tenant_id is not None
            subject = service.Subject(customer_id=customer or None, conversation_id=conversation or None)
            return await service.erase(c, tenant_id=tenant_id, subject=subject, actor=system_actor())

        r = run_for_tenant(tenant, go)
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items()) if v) or "nothing left to erase"
        typer.echo(f"request {r.request_id} {r.status}: {r.conversations} conversations; {counts}")
