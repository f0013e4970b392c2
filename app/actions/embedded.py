"""The demo bank inside the app's own process (``ACTIONS__DEMO_BANK_IN_PROCESS=true``, what ``make run``
sets): the embedded default needs no second command for the demo tenant's actions. A uvicorn server on
``ACTIONS__FAKE_BANK_HOST:PORT`` in a thread of its own (its own event loop; off the main thread uvicorn
leaves the process's signal handlers to the app's server), stopped when the container closes. A port
already taken (a ``kefu fake-bank`` running) is logged and left to that one."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Awaitable, Callable

from app.actions.config import ActionsConfig

logger = logging.getLogger(__name__)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


async def start_demo_bank(cfg: ActionsConfig) -> Callable[[], Awaitable[None]] | None:
    """Start the demo bank; returns its stopper, or None when it was not started."""
    import uvicorn

    from app.actions.fake_bank import create_fake_bank

    if not _port_free(cfg.fake_bank_host, cfg.fake_bank_port):
        logger.warning(
            "demo bank: %s:%d is taken; using whatever answers there", cfg.fake_bank_host, cfg.fake_bank_port
        )
        return None
    app = create_fake_bank(cfg.demo_bank_secret.get_secret_value())
    config = uvicorn.Config(
        app, host=cfg.fake_bank_host, port=cfg.fake_bank_port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-bank", daemon=True)
    thread.start()
    logger.info("demo bank in process on http://%s:%d", cfg.fake_bank_host, cfg.fake_bank_port)

    async def stop() -> None:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)

    return stop
