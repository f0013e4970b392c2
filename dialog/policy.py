"""The dialog policy: a pure function of the state, what the tracker learnt, the retrieval signal and the
tenant's ``PolicyConfig`` -> ``Decision`` (answer / clarify / dont_know / handoff, with a reason).

Order of the rules (the first that fires decides):

1. conversation closed -> ``dont_know`` / ``conversation_closed``; an agent has it -> ``handoff`` /
   ``agent_handling`` (the bot stays quiet; the app routes the message to the agent); handed off and no
   agent has joined yet -> ``awaiting_agent`` with the notice that a person is coming in ``message`` (the
   app adds the queue position): ``answer`` when the rules below would answer the new question from the
   knowledge base (the turn answers, then appends the notice), else ``handoff`` (the notice alone); no
   second handoff is opened (``opens_handoff``)
2. explicit request for a human -> ``handoff`` / ``explicit_request``
3. urgent or regulated topic -> ``handoff`` / ``urgent_topic``
4. frustration high, or rising -> ``handoff`` / ``frustration``
4b. the bot is getting nowhere -> ``handoff`` / ``repeated_failure``: the customer says so ("same thing
   again", "我已经问了三遍了"), or the bot's last reply was a refusal or the same passage as the answer
   before it and this message is not content (any frustration, the same question again)
5. a language we don't serve -> ``dont_know`` / ``unsupported_language`` (in English)
6. nothing to read (emoji only) -> ``clarify`` / ``no_content``
7. small talk -> ``answer`` / ``smalltalk`` with the canned reply in ``message``
8. the retrieved passages cannot speak to it (``dialog.scope``): another bank or payment firm the KB
   never mentions -> ``dont_know`` / ``other_institution`` ("I can only answer about <our bank>"); a
   product line (loans, insurance, funds ...) no passage mentions -> ``dont_know`` / ``not_covered``
9. a required slot of the intent missing -> ``clarify`` / ``missing_slot`` (each slot once in a row); a slot
   the message settles by naming a product (白金卡: a credit card, ``dialog.kb_profile``) is not missing
10. retrieval not good enough -> ``handoff`` / ``repeated_failure`` on the N-th consecutive miss, else
   ``dont_know`` (``out_of_scope`` when the classifier is confident, else ``no_answer``); a confident
   out-of-scope intent counts as a miss,
   unless a passage clearly answers (``RetrievalSignal.clear``) and the message gives the assistant no
   instructions (``dialog.injection``): the evidence decides, not the classifier
11. the LLM backend down -> ``handoff`` / ``llm_unavailable``
12. otherwise ``answer``

``state`` is the conversation with this turn's ``UserSaid`` and the tracker's events applied (what the app
has after persisting the customer message); a state without them is accepted too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from dialog.config import PolicyConfig
from dialog.events import ClarificationAsked, Event, HandoffRequested, RetrievalMissed, SlotSet
from dialog.injection import looks_like_injection
from dialog.messages import canned
from dialog.protocols import Decision, RetrievalSignal, TrackResult
from dialog.scope import check as scope_check
from dialog.scope import topic_label
from dialog.slots import SLOT_LABELS
from dialog.state import DialogState

AWAITING_AGENT = "awaiting_agent"


def opens_handoff(decision: Decision) -> bool:
    """The decision hands the conversation to a person now (not one already with or waiting for one)."""
    return decision.action == "handoff" and decision.reason not in ("agent_handling", AWAITING_AGENT)


def _includes_this_turn(state: DialogState, track: TrackResult) -> bool:
    return (
        bool(state.history)
        and state.history[-1].role == "user"
        and state.standalone_query == track.standalone_query
    )


def frustration_trend(state: DialogState, track: TrackResult) -> tuple[float, ...]:
    """Per-message frustration, oldest first, ending with this message."""
    if _includes_this_turn(state, track) and state.frustration:
        return state.frustration
    return (*state.frustration, track.frustration)


def is_frustrated(trend: Sequence[float], config: PolicyConfig) -> bool:
    if not trend:
        return False
    if trend[-1] >= config.frustration_threshold:
        return True
    k = config.frustration_rising_turns
    if len(trend) < k:
        return False
    window = trend[-k:]
    rising = all(b >= a for a, b in zip(window, window[1:], strict=False)) and window[-1] > window[0]
    return rising and window[-1] >= config.frustration_rising_floor


class Policy:
    """``Policy(config)(state, track, signal, llm_available=True) -> Decision``. Stateless and pure."""

    def __init__(self, config: PolicyConfig | None = None) -> None:
        self.config = config or PolicyConfig()

    def _lang(self, state: DialogState, track: TrackResult) -> str:
        if track.lang in self.config.supported_languages:
            return track.lang
        if state.lang in self.config.supported_languages:
            return state.lang
        return "en"

    def _msg(self, key: str, lang: str, **fmt: str) -> str:
        return canned(key, lang, self.config.messages, **fmt)

    def _handoff(self, reason: str, lang: str) -> Decision:
        return Decision(action="handoff", reason=reason, message=self._msg(f"handoff:{reason}", lang))

    def _urgent(self, kind: str, lang: str) -> Decision:
        """The urgent handoff, its notice with the advice for ``kind`` (the tenant's own general wording,
        when it has one and no wording for the kind, wins)."""
        key = f"handoff:urgent_topic:{kind}" if kind else "handoff:urgent_topic"
        own = self.config.messages or {}
        if kind and "handoff:urgent_topic" in own and key not in own:
            key = "handoff:urgent_topic"
        return Decision(action="handoff", reason="urgent_topic", message=self._msg(key, lang))

    def __call__(
        self,
        state: DialogState,
        track: TrackResult,
        signal: RetrievalSignal,
        *,
        llm_available: bool = True,
    ) -> Decision:
        c = self.config
        lang = self._lang(state, track)
        if state.mode == "closed":
            return Decision(
                "dont_know", "conversation_closed", message=self._msg("conversation_closed", lang)
            )
        if state.mode == "agent":
            return Decision("handoff", "agent_handling", message=None)
        if state.mode == "waiting_agent":
            # What the bot would do with this message; only a plain answer from the KB is given.
            notice = self._msg("handoff:awaiting_agent", lang)
            inner = self(dataclasses.replace(state, mode="bot"), track, signal, llm_available=llm_available)
            action: Literal["answer", "handoff"] = (
                "answer" if inner.action == "answer" and inner.message is None else "handoff"
            )
            return Decision(action, AWAITING_AGENT, message=notice)
        if c.handoff_on_explicit_request and track.explicit_handoff:
            return self._handoff("explicit_request", lang)
        if c.handoff_on_urgent_topic and track.urgent:
            return self._urgent(track.urgent_kind, lang)
        if c.handoff_on_frustration and is_frustrated(frustration_trend(state, track), c):
            return self._handoff("frustration", lang)
        if c.handoff_on_repeated_failure and (track.reports_repetition or _going_nowhere(state, track)):
            return self._handoff("repeated_failure", lang)
        if track.lang and track.lang not in c.supported_languages:
            return Decision(
                "dont_know", "unsupported_language", message=self._msg("unsupported_language", "en")
            )
        if not track.has_content:
            return Decision("clarify", "no_content", message=self._msg("no_content", lang))
        if track.intent in c.smalltalk_intents and not _asks_something(track):
            return Decision("answer", "smalltalk", message=self._msg(f"smalltalk:{track.intent}", lang))
        scope = self._scope(track, signal, lang)
        if scope is not None:
            if self._missed_again(state):
                return self._handoff("repeated_failure", lang)  # "not what we offer", again
            return scope
        if c.require_slots:
            for slot in track.missing_slots:
                if state.pending_slot != slot:  # not asked just now and left unanswered
                    return Decision(
                        "clarify", "missing_slot", clarify_slot=slot, message=self._clarify(slot, lang)
                    )
        sure_oos = track.out_of_scope and track.confidence >= c.out_of_scope_confidence
        confident_oos = sure_oos and not self._evidence_in_scope(signal)
        # a message that tries to instruct the assistant is not answered on the strength of its banking words
        instructs = looks_like_injection(track.standalone_query)
        if not signal.good_enough or confident_oos or instructs:
            if self._missed_again(state):
                return self._handoff("repeated_failure", lang)
            # "Outside what I can help with" only when the classifier is sure; an unsure one under the
            # floor is as often a casual in-scope question ("信用咔逾期了会上征信吗"): "no reliable answer,
            # rephrase or ask for an agent" is true of both.
            if sure_oos:
                return Decision("dont_know", "out_of_scope", message=self._msg("out_of_scope", lang))
            return Decision("dont_know", "no_answer", message=self._msg("dont_know", lang))
        if not llm_available and c.handoff_on_llm_unavailable:
            return self._handoff("llm_unavailable", lang)
        return Decision("answer")

    def _evidence_in_scope(self, signal: RetrievalSignal) -> bool:
        """A passage clearly answers (a message that instructs the assistant is refused before this counts)."""
        return self.config.evidence_gate and signal.clear and signal.good_enough

    def _missed_again(self, state: DialogState) -> bool:
        """This refusal would be the ``max_failed_retrievals``-th in a row: hand off instead."""
        c = self.config
        return c.handoff_on_repeated_failure and state.failed_retrievals + 1 >= c.max_failed_retrievals

    def _scope(self, track: TrackResult, signal: RetrievalSignal, lang: str) -> Decision | None:
        c = self.config
        if not (c.institution_check or c.product_line_check):
            return None
        verdict = scope_check(
            track.standalone_query,
            signal.passages,
            own_names=c.own_names,
            extra_institutions=c.other_institutions,
            institution_check=c.institution_check,
            product_line_check=c.product_line_check,
        )
        if verdict is None:
            return None
        bank = c.bank_name.get(lang) or {"zh": "本行"}.get(lang, "our bank")
        if verdict.reason == "other_institution":
            msg = self._msg("other_institution", lang, bank=bank, name=verdict.topic)
        else:
            msg = self._msg("not_covered", lang, bank=bank, topic=topic_label(verdict.topic, lang))
        return Decision("dont_know", verdict.reason, message=msg)

    def _clarify(self, slot: str, lang: str) -> str:
        try:
            return self._msg(f"clarify:{slot}", lang)
        except KeyError:
            names = {"zh": slot, "en": slot.replace("_", " ")}
            for (name, _), labels in SLOT_LABELS.items():
                if name == slot:
                    names = dict(labels)
                    break
            return self._msg("clarify", lang, slot=names.get(lang, slot))


def _going_nowhere(state: DialogState, track: TrackResult) -> bool:
    """The bot's last reply was a refusal or repeated the answer before it, and the customer is not
    content with it (any frustration: a complaint, "not what I asked", the same question again)."""
    bot_failed = state.failed_retrievals > 0 or state.repeated_answer
    return bot_failed and track.frustration > 0


def _asks_something(track: TrackResult) -> bool:
    """A greeting with a question ("你好，信用卡年费多少？") is a question: this message names a product
    or sets a slot."""
    return bool(track.retrieval_filters) or any(isinstance(e, SlotSet) for e in track.events)


def events_for_decision(decision: Decision, signal: RetrievalSignal, *, summary: str = "") -> list[Event]:
    """The events the app appends for this decision, before its ``BotSaid``.

    A retrieval miss counts (``RetrievalMissed``) only on turns the bot tried to answer from the knowledge
    base, so asking "which card?" or handing off does not add to the repeated-failure count; a refusal
    ("not a product we offer", "no answer in the passages") counts however well the search scored.
    """
    events: list[Event] = []
    if (
        (not signal.good_enough or decision.action == "dont_know")
        and decision.action in ("answer", "dont_know")
        and decision.reason
        not in (
            "unsupported_language",
            "conversation_closed",
            "smalltalk",
        )
    ):
        events.append(RetrievalMissed())
    if decision.action == "clarify" and decision.clarify_slot:
        events.append(ClarificationAsked(slot=decision.clarify_slot))
    if opens_handoff(decision):
        events.append(HandoffRequested(reason=decision.reason or "policy", summary=summary))
    return events
