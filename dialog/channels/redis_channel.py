"""Redis pub/sub event channel: live views on every app replica see every replica's events.

Channel names are ``<prefix><topic>``. Each subscription holds its own pub/sub connection from the client's
pool, released when the subscription is closed. Redis failures raise ``ChannelUnavailable``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from dialog.channels import ClosableSubscription, check_topic, encode_payload
from dialog.errors import ChannelUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "kefu:events:"


class RedisSubscription(ClosableSubscription):
    """Subscribes on ``__aenter__`` (or on the first ``__anext__``); ``aclose`` unsubscribes."""

    def __init__(self, client: Redis, channel: str) -> None:
        self._client = client
        self.channel = channel
        self._pubsub: PubSub | None = None
        self._closed = False

    async def _start(self) -> PubSub:
        if self._pubsub is not None:
            return self._pubsub
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
        except RedisError as exc:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            self._closed = True
            raise ChannelUnavailable(f"event channel: cannot subscribe to {self.channel}: {exc}") from exc
        self._pubsub = pubsub
        return pubsub

    async def __anext__(self) -> dict[str, Any]:
        if self._closed:
            raise StopAsyncIteration
        pubsub = await self._start()
        while True:
            try:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except (RedisError, AttributeError) as exc:  # AttributeError: connection released by aclose
                if self._closed:
                    raise StopAsyncIteration from None
                raise ChannelUnavailable(f"event channel: {self.channel} broke: {exc}") from exc
            if self._closed:
                raise StopAsyncIteration
            if msg is None or msg.get("type") != "message":
                continue
            data = msg["data"]
            try:
                out: dict[str, Any] = json.loads(data)
            except ValueError:
                logger.warning("dropping a non-JSON payload on %s", self.channel)
                continue
            return out

    async def __aenter__(self) -> RedisSubscription:
        await self._start()
        return self

    async def _close(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is None:
            return
        try:
            await pubsub.unsubscribe(self.channel)
        except RedisError:
            logger.info("unsubscribe from %s failed; closing the connection instead", self.channel)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]


class RedisEventChannel:
    """``EventChannel`` on Redis pub/sub (asyncio client passed in; the app owns and closes it)."""

    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        if not prefix:
            raise ValueError("prefix must not be empty: the channel shares Redis with other components")
        self._client = client
        self._prefix = prefix

    def channel_name(self, topic: str) -> str:
        check_topic(topic)
        return self._prefix + topic

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        name = self.channel_name(topic)
        data = encode_payload(payload)
        try:
            await self._client.publish(name, data)
        except RedisError as exc:
            raise ChannelUnavailable(f"event channel: cannot publish to {name}: {exc}") from exc

    def subscribe(self, topic: str) -> RedisSubscription:
        return RedisSubscription(self._client, self.channel_name(topic))

    async def subscribers(self, topic: str) -> int:
        name = self.channel_name(topic)
        try:
            counts = await self._client.pubsub_numsub(name)
        except RedisError as exc:
            raise ChannelUnavailable(f"event channel: cannot count subscribers of {name}: {exc}") from exc
        return int(counts[0][1]) if counts else 0
