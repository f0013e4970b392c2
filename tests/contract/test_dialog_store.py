"""One behaviour, two stores: every ``DialogStore`` implementation inherits ``DialogStoreContract``.

The Redis class needs a real Redis (``REDIS_URL``; CI sets it) and works under its own key prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from dialog.errors import StoreCorrupt, StoreUnavailable, VersionConflict
from dialog.events import (
    AgentJoined,
    AgentSaid,
    BotResumed,
    BotSaid,
    ClarificationAsked,
    ConversationClosed,
    Event,
    FeedbackGiven,
    HandoffRequested,
    IntentDetected,
    RetrievalMissed,
    SlotSet,
    UserSaid,
)
from dialog.protocols import DialogStore
from dialog.recording import append_with_retry, load_state
from dialog.state import DialogState
from dialog.stores.memory import MemoryDialogStore
from dialog.stores.redis_store import RedisDialogStore
from tests.contract.support import assert_each_raises

StoreFactory = Callable[[float], DialogStore]


def _every_event() -> list[Event]:
    return [
        UserSaid(text="信用卡分期怎么申请？我的卡号 <CREDIT_CARD_1>", lang="zh", message_id="m1"),
        IntentDetected(intent="card_instalment", confidence=0.91, standalone_query="信用卡分期怎么申请？"),
        SlotSet(name="card_type", value="credit"),
        BotSaid(text="您可以在App中申请分期 [1]", citations=["doc1#0", "doc1#3"], message_id="m2"),
        UserSaid(text="那手续费呢？😀", lang="zh"),
        ClarificationAsked(slot="card_type"),
        RetrievalMissed(),
        HandoffRequested(reason="explicit_request", summary="客户要求人工"),
        AgentJoined(agent_id="agent-7"),
        AgentSaid(agent_id="agent-7", text="您好，我是客服小王"),
        BotResumed(agent_id="agent-7"),
        FeedbackGiven(message_id="m2", thumbs="up", csat=5),
        ConversationClosed(outcome="resolved"),
    ]


class DialogStoreContract:
    """Subclasses provide the ``make_store`` fixture: ``make_store(ttl_s) -> DialogStore``."""

    async def test_is_a_dialog_store(self, make_store: StoreFactory) -> None:
        assert isinstance(make_store(60), DialogStore)

    async def test_unknown_conversation_is_empty_at_version_zero(self, make_store: StoreFactory) -> None:
        stored = await make_store(60).load("nobody")
        assert stored.events == []
        assert stored.version == 0

    async def test_round_trip_of_every_event_type(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        events = _every_event()
        assert await store.append("c1", events[:4], 0) == 4
        assert await store.append("c1", events[4:], 4) == len(events)
        stored = await store.load("c1")
        assert stored.events == events
        assert stored.version == len(events)

    async def test_replay_rebuilds_the_state_exactly(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        events = _every_event()
        live = DialogState()
        for e in events:
            live = live.apply(e)
        await store.append("c1", events, 0)
        assert await load_state(store, "c1") == live

    async def test_stale_version_is_refused_and_stores_nothing(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        await store.append("c1", [UserSaid(text="hi")], 0)
        await store.append("c1", [BotSaid(text="hello")], 1)
        with pytest.raises(VersionConflict) as info:
            await store.append("c1", [UserSaid(text="lost?")], 1)
        assert (info.value.expected, info.value.actual) == (1, 2)
        assert info.value.code == "version_conflict"
        with pytest.raises(VersionConflict):
            await store.append("c1", [UserSaid(text="from the future")], 5)
        stored = await store.load("c1")
        assert [e.text for e in stored.events] == ["hi", "hello"]  # type: ignore[union-attr]

    async def test_concurrent_turns_one_wins_the_other_conflicts(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        await store.append("c1", [UserSaid(text="start")], 0)
        results = await asyncio.gather(
            *(store.append("c1", [UserSaid(text=f"turn {i}")], 1) for i in range(8)), return_exceptions=True
        )
        wins = [r for r in results if isinstance(r, int)]
        conflicts = [r for r in results if isinstance(r, VersionConflict)]
        assert wins == [2]
        assert len(conflicts) == 7
        assert (await store.load("c1")).version == 2

    async def test_concurrent_writers_that_retry_lose_no_event(self, make_store: StoreFactory) -> None:
        store = make_store(60)

        async def writer(i: int) -> None:
            await append_with_retry(store, "c1", lambda s: [UserSaid(text=f"w{i}")], attempts=50)

        await asyncio.gather(*(writer(i) for i in range(12)))
        stored = await store.load("c1")
        assert sorted(e.text for e in stored.events) == sorted(f"w{i}" for i in range(12))  # type: ignore[union-attr]
        assert stored.version == 12

    async def test_retry_gives_up_with_a_conflict(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        calls = 0

        def build(state: DialogState) -> list[Event]:
            nonlocal calls
            calls += 1
            return [UserSaid(text="mine")]

        real_append = store.append

        async def always_beaten(cid: str, events: Any, expected: int) -> int:
            await real_append(cid, [UserSaid(text="theirs")], expected)  # someone else wins every time
            return await real_append(cid, events, expected)

        store.append = always_beaten  # type: ignore[method-assign]
        with pytest.raises(VersionConflict):
            await append_with_retry(store, "c1", build, attempts=3)
        assert calls == 3

    async def test_conversations_are_isolated(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        await store.append("a", [UserSaid(text="in a")], 0)
        await store.append("b", [UserSaid(text="in b"), BotSaid(text="b2")], 0)
        assert [e.text for e in (await store.load("a")).events] == ["in a"]  # type: ignore[union-attr]
        assert (await store.load("b")).version == 2
        await store.delete("a")
        assert (await store.load("a")).version == 0
        assert (await store.load("b")).version == 2

    async def test_delete_then_start_again_at_zero(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        await store.append("c1", [UserSaid(text="x")], 0)
        await store.delete("c1")
        await store.delete("c1")  # idempotent
        assert await store.append("c1", [UserSaid(text="y")], 0) == 1

    async def test_empty_append_checks_the_version_only(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        assert await store.append("c1", [], 0) == 0
        await store.append("c1", [UserSaid(text="x")], 0)
        assert await store.append("c1", [], 1) == 1
        with pytest.raises(VersionConflict):
            await store.append("c1", [], 0)

    async def test_long_emoji_and_mixed_script_text_survive(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        texts = ["长" * 4000, "😀🙏🔥", "我的credit card被盗了!! Привет <PHONE_NUMBER_1>", 'a\nb\t"c"\\']
        await store.append("c1", [UserSaid(text=t) for t in texts], 0)
        assert [e.text for e in (await store.load("c1")).events] == texts  # type: ignore[union-attr]

    async def test_entries_expire_after_the_ttl_and_appends_refresh_it(
        self, make_store: StoreFactory
    ) -> None:
        store = make_store(0.4)
        await store.append("c1", [UserSaid(text="x")], 0)
        await asyncio.sleep(0.25)
        await store.append("c1", [UserSaid(text="y")], 1)  # refreshes the expiry
        await asyncio.sleep(0.25)
        assert (await store.load("c1")).version == 2
        await asyncio.sleep(0.3)
        assert (await store.load("c1")).version == 0


class TestMemoryDialogStore(DialogStoreContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return lambda ttl: MemoryDialogStore(ttl_s=ttl)

    async def test_fake_clock_expires_without_sleeping(self) -> None:
        now = [1000.0]
        store = MemoryDialogStore(ttl_s=60, clock=lambda: now[0])
        await store.append("c1", [UserSaid(text="x")], 0)
        now[0] += 59.9
        assert (await store.load("c1")).version == 1
        now[0] += 0.2
        assert (await store.load("c1")).version == 0

    def test_refuses_a_non_positive_ttl(self) -> None:
        with pytest.raises(ValueError, match="ttl_s"):
            MemoryDialogStore(ttl_s=0)


@pytest.mark.integration
class TestRedisDialogStore(DialogStoreContract):
    @pytest.fixture
    def make_store(self, redis_client: Any, redis_prefix: str) -> StoreFactory:
        return lambda ttl: RedisDialogStore(redis_client, ttl_s=ttl, prefix=redis_prefix)

    async def test_keys_are_namespaced_and_carry_a_ttl(self, redis_client: Any, redis_prefix: str) -> None:
        store = RedisDialogStore(redis_client, ttl_s=3600, prefix=redis_prefix)
        await store.append("c1", [UserSaid(text="x")], 0)
        keys = [k.decode() async for k in redis_client.scan_iter(match=redis_prefix + "*")]
        assert keys == [redis_prefix + "c1:events"]
        ttl = await store.ttl_s("c1")
        assert ttl is not None
        assert 3590 < ttl <= 3600
        assert await store.ttl_s("missing") is None

    def test_default_namespace(self, redis_client: Any) -> None:
        assert RedisDialogStore(redis_client, ttl_s=60).key("abc") == "kefu:dialog:abc:events"

    async def test_unreachable_redis_is_loud(self, unreachable_redis: Any) -> None:
        store = RedisDialogStore(unreachable_redis, ttl_s=60, prefix="kefu:test:down:")
        await assert_each_raises(
            StoreUnavailable,
            lambda: store.load("c1"),
            lambda: store.append("c1", [UserSaid(text="x")], 0),
            lambda: store.delete("c1"),
        )

    async def test_a_corrupt_entry_is_reported_not_skipped(
        self, redis_client: Any, redis_prefix: str
    ) -> None:
        store = RedisDialogStore(redis_client, ttl_s=60, prefix=redis_prefix)
        await store.append("c1", [UserSaid(text="x")], 0)
        await redis_client.rpush(store.key("c1"), b"{not json")
        with pytest.raises(StoreCorrupt):
            await store.load("c1")

    def test_refuses_bad_ids_and_settings(self, redis_client: Any) -> None:
        with pytest.raises(ValueError, match="ttl_s"):
            RedisDialogStore(redis_client, ttl_s=0)
        with pytest.raises(ValueError, match="prefix"):
            RedisDialogStore(redis_client, ttl_s=10, prefix="")
        with pytest.raises(ValueError, match="conversation id"):
            RedisDialogStore(redis_client, ttl_s=10).key("")
