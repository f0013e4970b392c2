"""``guarded``: a staff stream passes its feed's items while the session check holds, checks before each
item and at least every ``every_s`` when the feed is quiet, then yields ``ended`` once and closes the feed.
(The served streams: ``tests/reliability/test_staff_streams.py``.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.auth.staff_streams import guarded


class Feed:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.closed = False

    async def items(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.queue.get()
        finally:
            self.closed = True


class Check:
    def __init__(self) -> None:
        self.ok = True
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        return self.ok


async def test_items_pass_while_the_check_holds_and_stop_when_it_fails() -> None:
    feed, check = Feed(), Check()
    stream = guarded(feed.items(), check, every_s=60, ended="ENDED")
    feed.queue.put_nowait("a")
    assert await anext(stream) == "a"
    feed.queue.put_nowait("b")
    assert await anext(stream) == "b"
    assert check.calls == 2  # once before each item
    check.ok = False
    feed.queue.put_nowait("c")  # arrives after the revocation: never passed on
    assert await anext(stream) == "ENDED"
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert feed.closed


async def test_a_quiet_feed_is_checked_every_interval() -> None:
    feed, check = Feed(), Check()
    stream = guarded(feed.items(), check, every_s=0.05, ended="ENDED")
    nxt = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.3)
    assert not nxt.done()
    assert check.calls >= 3  # re-checked while nothing happened
    check.ok = False
    assert await asyncio.wait_for(nxt, timeout=1) == "ENDED"
    await stream.aclose()  # type: ignore[attr-defined]
    await asyncio.sleep(0)
    assert feed.closed


async def test_a_check_that_raises_ends_the_stream() -> None:
    feed = Feed()

    async def broken() -> bool:
        raise OSError("database unavailable")

    stream = guarded(feed.items(), broken, every_s=60, ended="ENDED")
    feed.queue.put_nowait("a")
    assert await anext(stream) == "ENDED"
