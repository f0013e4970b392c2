"""``kefu serve``: run the HTTP server (host, port and worker processes from settings)."""

from __future__ import annotations

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.root.command()
    def serve(
        host: str = typer.Option(None, help="Override HOST"),
        port: int = typer.Option(None, help="Override PORT"),
        workers: int = typer.Option(
            None,
            min=1,
            max=64,
            help="Override SERVER__WORKERS: worker processes (> 1 needs PostgreSQL + Redis)",
        ),
    ) -> None:
        """Serve the API, the widget, the agent console and the admin console."""
        from app.edge.serving import ServeRefused
        from app.edge.serving import serve as run_server
        from app.settings import get_settings

        settings = get_settings()
        try:
            run_server(settings, host=host or settings.host, port=port or settings.port, workers=workers)
        except ServeRefused as exc:
            typer.echo(f"kefu serve: {exc}", err=True)
            raise typer.Exit(2) from None
