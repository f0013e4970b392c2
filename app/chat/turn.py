"""One customer chat turn, end to end. Stages, in order, each timed:

    load_state -> mask -> track -> persist_user -> retrieve -> policy -> generate -> check_output -> persist

Only masked text leaves the mask stage: the tracker, the retriever, the LLM, the database, the live events
and the logs never see a clear PII value (the vault, encrypted, holds them). The customer's message and its
``UserSaid`` event are committed before the model is called, so a crash after that loses nothing.
``stream`` yields ``TokenChunk``s then one ``TurnOutcome``; ``run`` is the same turn without the tokens
(the JSON route), so both routes share every line of this.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from app.actions import flow as action_flow
from app.actions.flow import ActionReply
from app.answering import answer_cache, citing
from app.answering.generation import AnswerGenerator, Generated
from app.chat import waiting
from app.chat.decision import (
    Reply,
    after_action_refusal,
    answers_first,
    generates,
    settle,
    with_handoff_notice,
)
from app.chat.records import AcceptedTurn, Recorded, accept_user_message, record_reply
from app.chat.search import search_for_turn
from app.chat.timing import StageClock
from app.chat.types import (
    Accepted,
    Citation,
    TokenChunk,
    TurnAction,
    TurnOutcome,
    retrieval_signal,
    validated_message,
)
from app.container import Container
from app.runtime.metrics import STAGES
from dialog.policy import AWAITING_AGENT
from dialog.protocols import Decision
from dialog.state import DialogState
from llm_backend.prompt_text import no_answer_text
from llm_backend.types import ChatMessage, Lang, PromptTurn
from retrieval import colloquial
from retrieval.types import Hit, SearchResult

logger = logging.getLogger(__name__)


class ChatTurn:
    def __init__(self, container: Container) -> None:
        self._c = container
        self._log = container.conversation_log
        self._generator = AnswerGenerator(
            llm=container.llm,
            masker=container.masker,
            counter=container.token_counter,
            config=container.settings.llm,
            metrics=container.metrics,
        )

    async def run(self, *, tenant_id: str, conversation_id: str, text: str) -> TurnOutcome:
        outcome: TurnOutcome | None = None
        async for item in self.stream(tenant_id=tenant_id, conversation_id=conversation_id, text=text):
            if isinstance(item, TurnOutcome):
                outcome = item
        assert outcome is not None
        return outcome

    async def stream(
        self, *, tenant_id: str, conversation_id: str, text: str
    ) -> AsyncIterator[Accepted | TokenChunk | TurnOutcome]:
        text = validated_message(text, max_chars=self._c.settings.max_message_chars)
        clock = StageClock()
        actions = await action_flow.prepare(self._c, tenant_id=tenant_id, conversation_id=conversation_id)
        user = await accept_user_message(
            self._c, tenant_id=tenant_id, conversation_id=conversation_id, text=text, clock=clock,
            extra=actions.hook if actions is not None else None,
        )  # fmt: skip
        yield Accepted(user.message_id)
        if user.track is None:  # an agent has (or is about to take) the conversation: no bot reply
            yield _outcome(conversation_id, user, clock)
            return
        kb_first: ActionReply | None = None  # the KB's answer, then this action reply (a refusal)
        if actions is not None and user.state.mode == "bot":  # not while waiting for an agent
            with clock.stage("action"):
                action_reply = await actions.respond(user)
            if action_reply is not None and action_reply.kb_first:
                kb_first = action_reply
            elif action_reply is not None:  # an action's turn: no retrieval, no model
                async for out in self._action(tenant_id, conversation_id, user, action_reply, clock):
                    yield out
                return

        with clock.stage("retrieve"):
            result, version = await self._retrieve(tenant_id, user)
        with clock.stage("policy"):
            signal = retrieval_signal(result)
            llm_ok = self._c.settings.llm.fallback == "extractive" or await self._c.llm.health()
            decision = self._c.policy(user.state, user.track, signal, llm_available=llm_ok)

        lang = _prompt_lang(user.track.lang)
        answered_first = answers_first(decision, good_enough=result.good_enough)
        if decision.reason == AWAITING_AGENT:
            decision = await waiting.notice(self._c, tenant_id, conversation_id, decision, lang or "en")
            answered_first = decision.action == "answer"  # the KB's answer, then the notice
        if kb_first is not None:  # what the KB says to do (the app, the hotline), then the refusal
            decision = after_action_refusal(decision, kb_first.decision)
            answered_first = result.good_enough
        generated: Generated | None = None
        if generates(decision, good_enough=result.good_enough) or answered_first:
            urgent = answered_first and decision.reason == "urgent_topic"
            answer = self._answer(
                tenant_id, conversation_id, version, user, result, lang, clock, urgent=urgent
            )
            async for item in answer:
                if isinstance(item, Generated):
                    generated = item
                else:
                    yield item
            assert generated is not None
            if answered_first:
                notice, generated = with_handoff_notice(
                    generated, decision, alone_without_answer=kb_first is not None
                )
                yield TokenChunk(notice)
            decision = settle(decision, generated, answered_first=answered_first)
        else:
            canned = decision.message or no_answer_text(lang or "en")
            generated = Generated(masked=canned, restored=canned)
            yield TokenChunk(canned)

        citations = await self._citations(tenant_id, user, result.hits, generated, decision)
        reply = Reply(decision=decision, generated=generated, citations=citations, kb_version=version)
        with clock.stage("persist"):
            recorded = await record_reply(
                self._c,
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                user=user,
                result=result,
                reply=reply,
                clock=clock,
                extra_events=kb_first.events if kb_first is not None else (),
            )
        self._c.metrics.turns.labels(decision=decision.action).inc()
        logger.info(
            "turn conversation=%s decision=%s reason=%s kb=%s hits=%d cited=%d ms=%.0f",
            conversation_id,
            decision.action,
            decision.reason,
            version,
            len(result.hits),
            len(citations),
            clock.total_ms(),
        )
        clock.observe(self._c.metrics, STAGES)
        outcome = _outcome(
            conversation_id, user.with_state(recorded.state), clock, reply=reply, recorded=recorded
        )
        if kb_first is not None:
            self._describe_action(outcome, kb_first, user)
        yield outcome

    async def _action(
        self,
        tenant_id: str,
        conversation_id: str,
        user: AcceptedTurn,
        action_reply: ActionReply,
        clock: StageClock,
    ) -> AsyncIterator[TokenChunk | TurnOutcome]:
        shown = self._c.masker.unmask(action_reply.masked, user.vault)
        generated = Generated(masked=action_reply.masked, restored=shown)
        yield TokenChunk(shown)
        reply = Reply(decision=action_reply.decision, generated=generated, citations=[])
        with clock.stage("persist"):
            recorded = await record_reply(
                self._c,
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                user=user,
                result=SearchResult(hits=[], good_enough=True),
                reply=reply,
                clock=clock,
                extra_events=action_reply.events,
            )
        self._c.metrics.turns.labels(decision=reply.decision.action).inc()
        logger.info(
            "turn conversation=%s decision=%s reason=%s",
            conversation_id,
            reply.decision.action,
            reply.decision.reason,
        )
        outcome = _outcome(
            conversation_id, user.with_state(recorded.state), clock, reply=reply, recorded=recorded
        )
        self._describe_action(outcome, action_reply, user)
        yield outcome

    def _describe_action(self, outcome: TurnOutcome, reply: ActionReply, user: AcceptedTurn) -> None:
        """The turn's action in the outcome's state: its name, where it stands, and its parameters as the
        customer gave them (restored, as in the text they see)."""
        args = {k: self._c.masker.unmask(v, user.vault) for k, v in reply.args.items()}
        outcome.state["action"] = {"name": reply.action, "args": args, "outcome": reply.outcome}

    async def _answer(
        self,
        tenant_id: str,
        conversation_id: str,
        version: str,
        user: AcceptedTurn,
        result: SearchResult,
        lang: Lang | None,
        clock: StageClock,
        *,
        urgent: bool = False,
    ) -> AsyncIterator[TokenChunk | Generated]:
        """A grounded answer: from the answer cache when a fresh one exists, else from the model
        (``urgent``: see ``AnswerGenerator.stream``)."""
        assert user.track is not None
        cache, question = self._c.answer_cache, colloquial.normalise(user.track.standalone_query)
        with clock.stage("generate"):
            cached = await answer_cache.lookup(
                cache,
                tenant_id=tenant_id,
                kb_version=version,
                question=question,
                redis=self._c.redis,
                namespace=self._c.settings.redis_namespace,
            )
        if cached is not None:
            yield TokenChunk(cached.restored)
            yield cached
            return
        passages = [citing.passage_of(h.chunk) for h in result.hits]
        carried = [citing.passage_of(c) for c in user.context.carried]
        earlier = [
            PromptTurn(t.asked, t.question, t.lang, tuple(citing.passage_of(c) for c in t.chunks))
            for t in user.context.earlier
        ]
        got: Generated | None = None
        async for item in self._generator.stream(
            question=user.masked.text,
            standalone=question,
            passages=passages,
            history=_history(user.state),
            carried=carried,
            earlier=earlier,
            lang=lang,
            vault=user.vault,
            clock=clock,
            urgent=urgent,
        ):
            if isinstance(item, Generated):
                got = item
            else:
                yield item
        assert got is not None
        await answer_cache.remember(
            cache,
            tenant_id=tenant_id,
            kb_version=version,
            question=question,
            generated=got,
            lang=lang or "en",
            customer_data=bool(user.masked.findings),
            origin=conversation_id,
        )
        yield got

    async def _retrieve(self, tenant_id: str, user: AcceptedTurn) -> tuple[SearchResult, str]:
        assert user.track is not None
        track, ref = user.track, user.context.kb
        if ref is None:
            return SearchResult(hits=[], good_enough=False), ""
        kb = await self._c.knowledge.open(tenant_id, ref)
        result = await asyncio.to_thread(
            search_for_turn,
            kb.retriever,
            colloquial.normalise(track.standalone_query),  # the bank's words for slang and typing variants
            k=self._c.settings.retrieval.top_k,
            prefer=track.retrieval_filters,
            analyzer=getattr(kb.retriever, "analyzer", None),  # the hybrid retriever's BM25 analyzer
        )
        return result, kb.version

    async def _citations(
        self,
        tenant_id: str,
        user: AcceptedTurn,
        hits: Sequence[Hit],
        generated: Generated,
        decision: Decision,
    ) -> list[Citation]:
        if not generated.cited or decision.action not in ("answer", "handoff"):
            return []
        return await citing.citations(
            self._c, tenant_id=tenant_id, hits=hits, cited=generated.cited, known=user.context.carried
        )


def _outcome(
    conversation_id: str,
    user: AcceptedTurn,
    clock: StageClock,
    *,
    reply: Reply | None = None,
    recorded: Recorded | None = None,
) -> TurnOutcome:
    """The turn's outcome; without a ``reply`` (and its ``recorded`` rows), an agent has the conversation
    and the bot said nothing (``with_agent``)."""
    s = user.state
    decision: TurnAction = "with_agent" if reply is None else reply.decision.action
    return TurnOutcome(
        conversation_id=conversation_id,
        user_message_id=user.message_id,
        message_id=recorded.bot_id if recorded else None,
        text=reply.generated.restored if reply else "",
        decision=decision,
        reason=reply.decision.reason if reply else None,
        citations=reply.citations if reply else [],
        state={
            "mode": s.mode,
            "lang": s.lang,
            "intent": s.intent,
            "intent_confidence": s.intent_confidence,
            "slots": dict(s.slots),
            "pending_slot": s.pending_slot,
            "version": s.version,
        },
        timings_ms=clock.rounded(),
        model=reply.generated.model if reply else None,
        handoff_id=recorded.handoff_id if recorded else None,
        pii=user.masked.counts(),
    )


def _prompt_lang(lang: str) -> Lang | None:
    return "zh" if lang == "zh" else "en" if lang == "en" else None


def _history(state: DialogState) -> list[ChatMessage]:
    """Earlier turns (masked), oldest first, without the message being answered now (the last one)."""
    turns = state.history[:-1] if state.history and state.history[-1].role == "user" else state.history
    return [ChatMessage("user" if t.role == "user" else "assistant", t.text) for t in turns]
