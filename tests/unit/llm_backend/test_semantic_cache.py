"""Semantic answer cache: exact and semantic hits, guards against wrong hits, privacy, invalidation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache, normalise
from llm_backend.types import CachedAnswer


def char_bigram_embed(texts: Sequence[str]) -> np.ndarray:
    """A deterministic stand-in embedder: hashed character bigrams, L2-normalised."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        t = normalise(text)
        for a, b in zip(t, t[1:], strict=False):
            out[row, hash(a + b) % 256] += 1.0
        norm = np.linalg.norm(out[row])
        if norm:
            out[row] /= norm
    return out


FEE = CachedAnswer("信用卡年费为每年200元 [1]。", ("c1",), "zh")


def make(threshold: float = 0.8, **kw: object) -> tuple[SemanticAnswerCache, list[str], list[float]]:
    events: list[str] = []
    now = [0.0]
    cfg = SemanticCacheConfig(threshold=threshold, **kw)  # type: ignore[arg-type]
    cache = SemanticAnswerCache(char_bigram_embed, cfg, clock=lambda: now[0], on_lookup=events.append)
    return cache, events, now


async def test_exact_hit_ignores_case_width_spaces_and_punctuation() -> None:
    cache, events, _ = make()
    assert await cache.store(tenant="t", kb_version="v1", question="信用卡年费多少？", answer=FEE)
    hit = await cache.lookup(tenant="t", kb_version="v1", question=" 信用卡年费多少?")
    assert hit is not None
    assert hit.kind == "exact"
    assert hit.answer == FEE
    assert events == ["hit_exact"]


async def test_semantic_hit_on_a_paraphrase_above_threshold() -> None:
    cache, events, _ = make(threshold=0.6)
    await cache.store(tenant="t", kb_version="v1", question="请问信用卡的年费是多少", answer=FEE)
    hit = await cache.lookup(tenant="t", kb_version="v1", question="信用卡的年费是多少呢")
    assert hit is not None
    assert hit.kind == "semantic"
    assert 0.6 <= hit.similarity < 1.0
    assert await cache.lookup(tenant="t", kb_version="v1", question="怎么修改登录密码") is None
    assert events == ["hit_semantic", "miss"]
    assert cache.stats.hit_rate == 0.5


async def test_similar_questions_with_opposite_meaning_never_hit() -> None:
    cache, _, _ = make(threshold=0.5)
    await cache.store(tenant="t", kb_version="v1", question="如何提高信用卡额度", answer=FEE)
    await cache.store(tenant="t", kb_version="v1", question="How do I open a savings account?", answer=FEE)
    await cache.store(tenant="t", kb_version="v1", question="转账500元手续费多少", answer=FEE)
    for question in (
        "如何降低信用卡额度",  # direction
        "如何提高借记卡额度",  # product
        "How do I close a savings account?",  # action
        "转账5000元手续费多少",  # number
        "如何不提高信用卡额度",  # negation
    ):
        assert await cache.lookup(tenant="t", kb_version="v1", question=question) is None, question


async def test_tenants_and_kb_versions_are_isolated() -> None:
    cache, _, _ = make()
    await cache.store(tenant="bank-a", kb_version="v1", question="年费多少", answer=FEE)
    assert await cache.lookup(tenant="bank-b", kb_version="v1", question="年费多少") is None
    assert await cache.lookup(tenant="bank-a", kb_version="v2", question="年费多少") is None
    await cache.store(tenant="bank-a", kb_version="v2", question="挂失怎么办", answer=FEE)
    assert cache.size("bank-a") == 1  # the v1 answers went with the old KB version
    assert await cache.lookup(tenant="bank-a", kb_version="v1", question="年费多少") is None
    assert cache.invalidate("bank-a") == 1
    assert await cache.lookup(tenant="bank-a", kb_version="v2", question="挂失怎么办") is None


async def test_never_caches_customer_specific_or_unanswered() -> None:
    cache, events, _ = make()
    assert not await cache.store(
        tenant="t", kb_version="v1", question="我的电话<PHONE_NUMBER_1>换了怎么办", answer=FEE
    )
    private_answer = CachedAnswer("已为<PERSON_1>查询，余额见短信 [1]")
    assert not await cache.store(tenant="t", kb_version="v1", question="查余额", answer=private_answer)
    assert not await cache.store(
        tenant="t", kb_version="v1", question="我的账单", answer=FEE, uses_customer_data=True
    )
    no_answer = CachedAnswer("抱歉，现有资料中没有找到这个问题的答案。")
    assert not await cache.store(tenant="t", kb_version="v1", question="火星分行在哪", answer=no_answer)
    assert cache.size("t") == 0
    assert cache.stats.refused == 4
    assert await cache.lookup(tenant="t", kb_version="v1", question="<PHONE_NUMBER_1>收不到验证码") is None
    assert events == ["skip_private"]


async def test_entries_expire_and_lru_bound_holds() -> None:
    cache, _, now = make(ttl_s=10, max_entries_per_tenant=2)
    await cache.store(tenant="t", kb_version="v1", question="年费多少", answer=FEE)
    await cache.store(tenant="t", kb_version="v1", question="挂失怎么办", answer=FEE)
    assert await cache.lookup(tenant="t", kb_version="v1", question="年费多少") is not None  # now most recent
    await cache.store(tenant="t", kb_version="v1", question="密码忘了", answer=FEE)
    assert cache.size("t") == 2
    assert await cache.lookup(tenant="t", kb_version="v1", question="挂失怎么办") is None  # evicted
    now[0] = 11.0
    assert await cache.lookup(tenant="t", kb_version="v1", question="年费多少") is None  # expired


async def test_warm_from_golden_questions() -> None:
    cache, _, _ = make()
    golden = [("年费多少", FEE), ("挂失怎么办", CachedAnswer("请拨打95555挂失 [1]。", ("c2",)))]
    assert await cache.warm(tenant="t", kb_version="v1", items=golden) == 2
    hit = await cache.lookup(tenant="t", kb_version="v1", question="挂失怎么办？")
    assert hit is not None
    assert hit.answer.citations == ("c2",)
