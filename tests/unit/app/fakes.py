"""Deterministic stand-ins for the domain layers, to test the app's wiring (the turn, the API, the
persistence) without loading models. Each real component is tested for real in its own package, and the
real stack is exercised by the integration and e2e tiers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.services.knowledge import ActiveKnowledge
from dialog.events import IntentDetected
from dialog.protocols import Decision, RetrievalSignal, TrackResult
from dialog.state import DialogState
from retrieval.protocols import Retriever

_CJK = re.compile(r"[\u4e00-\u9fff]")
_HUMAN = ("转人工", "人工客服", "human", "agent")


class KeywordTracker:
    """Language by script, intent ``faq`` (or ``human`` on an explicit request), the text as the query."""

    async def track(self, state: DialogState, masked_text: str) -> TrackResult:
        lang = "zh" if _CJK.search(masked_text) else "en"
        human = any(w in masked_text.lower() for w in _HUMAN)
        intent = "human" if human else "faq"
        return TrackResult(
            events=[IntentDetected(intent=intent, confidence=0.9, standalone_query=masked_text)],
            lang=lang,
            intent=intent,
            confidence=0.9,
            standalone_query=masked_text,
        )


def simple_policy(state: DialogState, track: TrackResult, signal: RetrievalSignal) -> Decision:
    if track.intent == "human":
        msg = "正在为您转接人工客服。" if track.lang == "zh" else "Connecting you to a human agent."
        return Decision(action="handoff", reason="explicit_request", message=msg)
    if not signal.good_enough:
        msg = "抱歉，没有找到相关信息。" if track.lang == "zh" else "Sorry, I don't know."
        return Decision(action="dont_know", reason="retrieval_miss", message=msg)
    return Decision(action="answer")


@dataclass
class StaticKnowledgeBases:
    """One retriever per tenant id."""

    by_tenant: Mapping[str, Retriever] = field(default_factory=dict)
    version: str = "v1"

    async def active(self, tenant_id: str) -> ActiveKnowledge | None:
        r = self.by_tenant.get(tenant_id)
        return ActiveKnowledge(retriever=r, version=self.version) if r is not None else None


def chunks_of(rows: Sequence[tuple[str, str, str, str]]) -> list:  # (chunk_id, title, text, lang)
    from retrieval.types import ChunkRecord

    return [
        ChunkRecord(
            chunk_id=cid,
            document_id="doc-" + cid,
            text=text,
            embed_text=title + " " + text,
            title=title,
            lang=lang,
        )
        for cid, title, text, lang in rows
    ]
