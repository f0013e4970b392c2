"""``ACTIONS__DEMO_BANK_IN_PROCESS``: the demo bank served from the app's own event loop, and stopped."""

from __future__ import annotations

import socket

import httpx

from app.actions.config import ActionsConfig
from app.actions.embedded import start_demo_bank


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_in_process_bank_serves_then_stops() -> None:
    cfg = ActionsConfig(fake_bank_port=_free_port())
    stop = await start_demo_bank(cfg)
    assert stop is not None
    url = f"http://127.0.0.1:{cfg.fake_bank_port}"
    headers = {"Authorization": f"Bearer {cfg.demo_bank_secret.get_secret_value()}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        for _ in range(100):
            try:
                cards = await client.get("/customers/c-1001/cards")
                break
            except httpx.ConnectError:
                import asyncio

                await asyncio.sleep(0.05)
        assert [c["last4"] for c in cards.json()["cards"]] == ["8888", "4321"]
        assert await start_demo_bank(cfg) is None  # the port is taken: left to the one running
        await stop()
        try:
            await client.get("/sms")
            served_after_stop = True
        except httpx.ConnectError:
            served_after_stop = False
    assert not served_after_stop
