"""``kefu serve``: run the HTTP server (host and port from settings)."""

from __future__ import annotations

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.root.command()
    def serve(
        host: str = typer.Option(None, help="Override HOST"),
        port: int = typer.Option(None, help="Override PORT"),
    ) -> None:
        """Serve the API, the widget, the agent console and the admin console."""
        from app.main import create_app
        from app.serving import serve as run_server
        from app.settings import get_settings

        settings = get_settings()
        run_server(create_app(settings), settings, host=host or settings.host, port=port or settings.port)
