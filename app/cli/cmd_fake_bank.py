"""``kefu fake-bank``: the demo core bank and SMS gateway on loopback (``app.actions.fake_bank``)."""

from __future__ import annotations

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.root.command("fake-bank")
    def fake_bank(
        port: int = typer.Option(None, help="Override ACTIONS__FAKE_BANK_PORT"),
        secret: str = typer.Option(None, help="Override ACTIONS__DEMO_BANK_SECRET"),
    ) -> None:
        """Serve the demo bank (customer c-1001, cards 8888 and 4321, three transfers) and its SMS
        gateway (codes at /sms) on 127.0.0.1, for the demo tenant's actions."""
        import uvicorn

        from app.actions.fake_bank import create_fake_bank
        from app.settings import get_settings

        cfg = get_settings().actions
        app = create_fake_bank(secret or cfg.demo_bank_secret.get_secret_value())
        uvicorn.run(app, host="127.0.0.1", port=port or cfg.fake_bank_port, log_level="warning")
