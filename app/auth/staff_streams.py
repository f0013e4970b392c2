"""Staff live streams re-check the caller (issue 12): a stream opened with a login or an API key ends when
that credential no longer gives the same principal — the session was revoked (sign-out, expiry), the user
was deactivated, or the role or tenant changed.

``guarded(feed, check, every_s=..., ended=...)`` wraps any async iterator of events: before it passes an
event on, and whenever ``every_s`` passes without one, it awaits ``check()``; on False it yields ``ended``
once and stops (closing the feed). ``every_s`` is ``STAFF_STREAM_RECHECK_S`` (at most 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.service import Principal, Renewal, authenticate

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionCheck:
    """Does ``token`` still authenticate as ``principal`` (same tenant, actor and role)?"""

    token: str
    principal: Principal
    sessions: async_sessionmaker[AsyncSession]
    renewal: Renewal | None = None  # an SSO login due for its IdP re-check is renewed (or ended) here

    async def __call__(self) -> bool:
        async with self.sessions() as session:
            now = await authenticate(session, token=self.token, renewal=self.renewal)
        p = self.principal
        return now is not None and (now.tenant_id, now.actor_type, now.actor_id, now.role) == (
            p.tenant_id,
            p.actor_type,
            p.actor_id,
            p.role,
        )


async def guarded(
    feed: AsyncIterator[T], check: Callable[[], Awaitable[bool]], *, every_s: float, ended: T
) -> AsyncIterator[T]:
    """``feed``'s items while ``check()`` holds (checked before each item and at least every ``every_s``),
    then ``ended`` once. A check that raises counts as failed (the client reconnects and is asked again).
    The feed is driven by one task of its own (its subscriptions enter and leave in the same task) and is
    closed whenever this generator ends."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=64)

    async def pump() -> None:
        try:
            async for item in feed:
                await queue.put(("item", item))
        except Exception as exc:  # handed to the reader, raised there
            await queue.put(("error", exc))
        else:
            await queue.put(("end", None))
        finally:
            aclose = getattr(feed, "aclose", None)
            if aclose is not None:  # unsubscribe, in the task that subscribed
                await aclose()

    async def still_valid() -> bool:
        try:
            return await check()
        except Exception:
            logger.warning("a staff stream's session check failed; ending the stream", exc_info=True)
            return False

    task = asyncio.create_task(pump())
    try:
        checked_at = loop.time()
        while True:
            wait = max(0.0, checked_at + every_s - loop.time())
            try:
                kind, value = await asyncio.wait_for(queue.get(), timeout=wait)
            except TimeoutError:  # quiet for every_s: re-check anyway
                if not await still_valid():
                    yield ended
                    return
                checked_at = loop.time()
                continue
            if kind == "end":
                return
            if kind == "error":
                raise value
            if not await still_valid():
                yield ended
                return
            checked_at = loop.time()
            yield value
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
