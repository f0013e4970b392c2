"""One behaviour, two channels: every ``EventChannel`` inherits ``EventChannelContract``.

The Redis class needs a real Redis (``REDIS_URL``; CI sets it) and uses its own channel prefix.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dialog.channels.memory import MemoryEventChannel
from dialog.channels.redis_channel import RedisEventChannel
from dialog.errors import ChannelUnavailable
from dialog.protocols import EventChannel, Subscription

NEXT_TIMEOUT = 2.0


async def _next(sub: Subscription) -> dict[str, Any]:
    return await asyncio.wait_for(sub.__anext__(), NEXT_TIMEOUT)


async def _nothing_arrives(sub: Subscription, wait: float = 0.2) -> bool:
    try:
        await asyncio.wait_for(sub.__anext__(), wait)
    except TimeoutError:
        return True
    return False


class EventChannelContract:
    """Subclasses provide the ``channel`` fixture."""

    async def test_is_an_event_channel(self, channel: EventChannel) -> None:
        assert isinstance(channel, EventChannel)
        sub = channel.subscribe("conv:x")
        assert isinstance(sub, Subscription)
        await sub.aclose()

    async def test_subscriber_gets_what_is_published_after_it_subscribed_in_order(
        self, channel: EventChannel
    ) -> None:
        await channel.publish("conv:1", {"n": -1})  # before: not delivered
        async with channel.subscribe("conv:1") as sub:
            for i in range(5):
                await channel.publish("conv:1", {"n": i, "text": "您好 😀"})
            got = [await _next(sub) for _ in range(5)]
        assert got == [{"n": i, "text": "您好 😀"} for i in range(5)]

    async def test_topics_are_isolated(self, channel: EventChannel) -> None:
        async with channel.subscribe("conv:a") as a, channel.subscribe("conv:b") as b:
            await channel.publish("conv:b", {"to": "b"})
            await channel.publish("conv:a", {"to": "a"})
            assert await _next(a) == {"to": "a"}
            assert await _next(b) == {"to": "b"}
            assert await _nothing_arrives(a)

    async def test_every_subscriber_gets_its_own_copy(self, channel: EventChannel) -> None:
        async with channel.subscribe("tenant:t1:queue") as s1, channel.subscribe("tenant:t1:queue") as s2:
            assert await channel.subscribers("tenant:t1:queue") == 2
            await channel.publish("tenant:t1:queue", {"conversation": "c9", "tags": ["fraud"]})
            first = await _next(s1)
            first["tags"].append("mutated")
            assert await _next(s2) == {"conversation": "c9", "tags": ["fraud"]}

    async def test_closing_unsubscribes_and_ends_iteration(self, channel: EventChannel) -> None:
        sub = channel.subscribe("conv:close")
        await sub.__aenter__()
        assert await channel.subscribers("conv:close") == 1
        await sub.aclose()
        await sub.aclose()  # idempotent
        assert await channel.subscribers("conv:close") == 0
        await channel.publish("conv:close", {"after": True})
        with pytest.raises(StopAsyncIteration):
            await _next(sub)

    async def test_leaving_the_block_unsubscribes(self, channel: EventChannel) -> None:
        async with channel.subscribe("conv:block"):
            assert await channel.subscribers("conv:block") == 1
        assert await channel.subscribers("conv:block") == 0

    async def test_close_wakes_a_blocked_reader(self, channel: EventChannel) -> None:
        async with channel.subscribe("conv:wake") as sub:
            reader = asyncio.create_task(_collect(sub))
            await asyncio.sleep(0.05)
            await channel.publish("conv:wake", {"i": 1})
            await asyncio.sleep(0.1)
            await sub.aclose()
            assert await asyncio.wait_for(reader, NEXT_TIMEOUT) == [{"i": 1}]

    async def test_async_for_with_break_then_close(self, channel: EventChannel) -> None:
        async with channel.subscribe("conv:loop") as sub:
            await channel.publish("conv:loop", {"i": 0})
            await channel.publish("conv:loop", {"i": 1, "last": True})
            seen = []
            async for payload in sub:
                seen.append(payload["i"])
                if payload.get("last"):
                    break
        assert seen == [0, 1]
        assert await channel.subscribers("conv:loop") == 0

    async def test_publishing_to_nobody_is_fine(self, channel: EventChannel) -> None:
        await channel.publish("conv:empty", {"x": 1})
        assert await channel.subscribers("conv:empty") == 0

    async def test_refuses_what_json_cannot_carry(self, channel: EventChannel) -> None:
        with pytest.raises(TypeError):
            await channel.publish("conv:x", {"when": object()})
        with pytest.raises(ValueError, match="JSON compliant"):
            await channel.publish("conv:x", {"score": float("nan")})
        with pytest.raises(ValueError, match="topic"):
            await channel.publish("", {"x": 1})


async def _collect(sub: Subscription) -> list[dict[str, Any]]:
    return [p async for p in sub]


class TestMemoryEventChannel(EventChannelContract):
    @pytest.fixture
    def channel(self) -> MemoryEventChannel:
        return MemoryEventChannel()

    async def test_a_slow_subscriber_keeps_the_latest(self) -> None:
        channel = MemoryEventChannel(max_pending=3)
        async with channel.subscribe("conv:slow") as sub:
            for i in range(5):
                await channel.publish("conv:slow", {"i": i})
            assert [(await _next(sub))["i"] for _ in range(3)] == [2, 3, 4]
            assert sub.dropped == 2

    async def test_registered_before_the_first_read(self) -> None:
        channel = MemoryEventChannel()
        sub = channel.subscribe("conv:early")  # no async with, nothing awaited yet
        await channel.publish("conv:early", {"i": 1})
        assert await _next(sub) == {"i": 1}
        await sub.aclose()


@pytest.mark.integration
class TestRedisEventChannel(EventChannelContract):
    @pytest.fixture
    def channel(self, redis_client: Any, redis_prefix: str) -> RedisEventChannel:
        return RedisEventChannel(redis_client, prefix=redis_prefix)

    async def test_two_replicas_see_each_other(
        self, service_urls: tuple[str, str], redis_client: Any, redis_prefix: str
    ) -> None:
        from redis.asyncio import from_url

        other_client = from_url(service_urls[1])
        try:
            replica_a = RedisEventChannel(redis_client, prefix=redis_prefix)
            replica_b = RedisEventChannel(other_client, prefix=redis_prefix)
            async with replica_b.subscribe("conv:9") as sub:
                await replica_a.publish("conv:9", {"type": "agent_joined", "agent_id": "a1"})
                assert await _next(sub) == {"type": "agent_joined", "agent_id": "a1"}
        finally:
            await other_client.aclose()

    def test_default_namespace(self, redis_client: Any) -> None:
        assert RedisEventChannel(redis_client).channel_name("conv:1") == "kefu:events:conv:1"

    async def test_unreachable_redis_is_loud(self, unreachable_redis: Any) -> None:
        channel = RedisEventChannel(unreachable_redis, prefix="kefu:test:down:")
        with pytest.raises(ChannelUnavailable):
            await channel.publish("conv:1", {"x": 1})
        with pytest.raises(ChannelUnavailable):
            async with channel.subscribe("conv:1"):
                pass
