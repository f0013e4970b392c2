"""The fast local tracker: rules for language, slots, triggers, frustration and rewriting; an embedding
classifier for the intent. Everything but the one embedding of the standalone question is sub-millisecond.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from dialog.classifier import IntentClassifier
from dialog.events import Event, IntentDetected, SlotSet
from dialog.frustration import frustration_score, reports_repetition
from dialog.intents import HUMAN_AGENT, OUT_OF_SCOPE, IntentSet
from dialog.kb_profile import KBProfile, new_examples, with_kb_examples
from dialog.language import detect_language, is_supported
from dialog.protocols import TrackResult
from dialog.rewrite import RewriteContext, Rewriter
from dialog.slots import SlotContext, SlotExtractor, SlotMatch, slot_label
from dialog.state import DialogState
from dialog.triggers import TriggerRules

_CONTENT = re.compile(r"[^\W_]", re.UNICODE)
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
DEFAULT_FILTER_SLOTS = ("product",)
MAX_TRACKED_CHARS = 4000


def has_content(text: str) -> bool:
    """False for empty, punctuation-, emoji- or placeholder-only messages."""
    return bool(_CONTENT.search(_PLACEHOLDER.sub(" ", text)))


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the rules found in one message; the intent comes from the classifier (or an LLM)."""

    lang: str
    text: str
    standalone: str
    slots_now: Mapping[str, SlotMatch]
    frustration: float
    explicit_handoff: bool
    urgent: bool
    urgent_kind: str
    has_content: bool
    reports_repetition: bool = False
    about_agents: bool = False  # asks about the agents or the hotline (``TriggerRules.asks_about_agents``)

    @property
    def classifiable(self) -> bool:
        return self.has_content and is_supported(self.lang)


class LocalTracker:
    """``Tracker`` without a generative model.

    ``classifier``: trained on the tenant's intents, or untrained: then ``warm_up()`` trains it on
    ``intents``. ``filter_slots``: slots that become retrieval filters when the standalone question names
    them. ``today``: the date relative dates resolve against. ``kb``: what the tenant's knowledge base
    teaches (``dialog.kb_profile``): its FAQ questions and headings train the classifier as in-scope
    examples, and a product name implies the slot value the KB gives it (白金卡 -> credit card).
    """

    def __init__(
        self,
        classifier: IntentClassifier,
        intents: IntentSet,
        *,
        default_lang: str = "zh",
        filter_slots: Iterable[str] = DEFAULT_FILTER_SLOTS,
        slots: SlotExtractor | None = None,
        triggers: TriggerRules | None = None,
        today: Callable[[], date] = date.today,
        kb: KBProfile | None = None,
    ) -> None:
        if not is_supported(default_lang):
            raise ValueError(f"default_lang must be a served language (zh or en), got {default_lang!r}")
        self.classifier = classifier
        self.intents = intents
        self._default_lang = default_lang
        self._filter_slots = tuple(filter_slots)
        self._slots = slots or SlotExtractor()
        self._triggers = triggers or TriggerRules()
        self._today = today
        self.kb = kb or KBProfile()
        topics = [t for spec in intents for t in spec.topic.values()]
        examples = {spec.name: spec.examples for spec in intents}
        self._rewriter = Rewriter(extra_terms=topics, examples=examples)

    def warm_up(self) -> None:
        """Train the classifier on the intent set unless it is trained already (embeds every example).

        With KB examples: train on the intents, give each example the intent that classifier predicts
        for it (``with_kb_examples``), train again on the whole; every text is embedded once."""
        if self.classifier.is_trained:
            return
        extra = new_examples(self.intents, self.kb.examples)
        if not extra:
            self.classifier.fit_intents(self.intents)
            return
        texts, labels = self.intents.training_data()
        vectors = self.classifier.embed([*texts, *extra])
        by_text = dict(zip([*texts, *extra], vectors, strict=True))
        self.classifier.fit(texts, labels, vectors=vectors[: len(texts)])
        augmented = with_kb_examples(self.intents, extra, self.classifier, vectors=vectors[len(texts) :])
        texts, labels = augmented.training_data()
        self.classifier.fit(texts, labels, vectors=np.stack([by_text[t] for t in texts]))
        self.intents = augmented

    async def track(self, state: DialogState, masked_text: str) -> TrackResult:
        return await asyncio.to_thread(self.track_sync, state, masked_text)

    def track_sync(self, state: DialogState, masked_text: str) -> TrackResult:
        found = self.analyse(state, masked_text)
        if not found.classifiable:
            return self.finish(state, found, OUT_OF_SCOPE, 0.0)
        prediction = self.classifier.predict([found.standalone])[0]
        return self.finish(
            state,
            found,
            prediction.intent,
            prediction.confidence,
            not_banking=prediction.best == OUT_OF_SCOPE,
        )

    # --- the two halves (the LLM tracker reuses them) ---------------------------------------------------

    def _previous_user_texts(self, state: DialogState, text: str) -> list[str]:
        texts = [t.text for t in state.history if t.role == "user"]
        if texts and texts[-1] == text:  # the caller appended this message's UserSaid already
            texts.pop()
        return texts

    def analyse(self, state: DialogState, masked_text: str) -> Analysis:
        """The rules: language, slots, triggers, frustration and the standalone rewrite."""
        text = masked_text[:MAX_TRACKED_CHARS]
        lang = detect_language(text) or state.lang or self._default_lang
        content = has_content(text)
        today = self._today()
        slots_now = self._slots.extract(text, SlotContext(today=today, pending_slot=state.pending_slot))
        standalone = text.strip()
        if content and is_supported(lang) and state.standalone_query:
            prev_spec = self.intents.get(state.intent)
            ctx = RewriteContext(
                lang=lang,
                previous_query=state.standalone_query,
                previous_intent=state.intent,
                topic_hint=prev_spec.topic_in(lang) if prev_spec else "",
                pending_slot=state.pending_slot,
                answer_topic=state.answer_topic,
                slots_now=slots_now,
                slots_prev=self._slots.extract(state.standalone_query, SlotContext(today=today)),
            )
            standalone = self._rewriter.rewrite(text, ctx).strip()
        return Analysis(
            lang=lang,
            text=text,
            standalone=standalone,
            slots_now=slots_now,
            frustration=frustration_score(text, self._previous_user_texts(state, text)),
            explicit_handoff=self._triggers.wants_human(text),
            urgent=self._triggers.urgent(text),
            urgent_kind=self._triggers.urgent_kind(text),
            has_content=content,
            reports_repetition=reports_repetition(text),
            about_agents=self._triggers.asks_about_agents(text),
        )

    def _implied(self, named: Mapping[str, SlotMatch]) -> dict[str, str]:
        """Slots this message settles by naming a product the KB gives one value of them ("白金卡":
        card_type credit), unless the message names that slot itself."""
        out: dict[str, str] = {}
        for (source, value), (target, implied) in self.kb.implied.items():
            match = named.get(source)
            if match is not None and match.value == value and target not in named:
                out[target] = implied
        return out

    def _with_known_slots(
        self, standalone: str, lang: str, needed: Iterable[str], known: Mapping[str, str]
    ) -> str:
        """Put known required slots the question leaves implicit into it: "年费是多少？" -> "信用卡年费是多少？"."""
        mentioned = self._slots.extract(standalone, SlotContext(today=self._today()))
        implied = self._implied(mentioned)
        for slot in needed:
            if slot in known and slot not in mentioned and slot not in implied and is_supported(lang):
                label = slot_label(slot, known[slot], lang)
                if lang == "zh":
                    standalone = f"{label}{standalone}"
                else:
                    standalone = f"{standalone.rstrip('?.! ')} for my {label}?"
        return standalone

    def finish(
        self,
        state: DialogState,
        found: Analysis,
        intent: str,
        confidence: float,
        *,
        not_banking: bool = False,
    ) -> TrackResult:
        """Complete the analysis with the intent: slots, retrieval filters, events.

        ``not_banking``: the message is positively out of scope (it resembles the tenant's out-of-scope
        examples, not merely no intent in particular); its slots are then ignored.
        """
        spec = self.intents.get(intent)
        new_slots = dict(found.slots_now)
        if not_banking:  # "今天天气怎么样" says nothing about the banking request's date
            new_slots = {k: v for k, v in new_slots.items() if k == state.pending_slot}
        merged: dict[str, str] = dict(state.slots)
        merged.update({name: m.value for name, m in new_slots.items()})
        merged.update(self._implied(new_slots))
        standalone = found.standalone
        if spec is not None and spec.required_slots:
            standalone = self._with_known_slots(standalone, found.lang, spec.required_slots, merged)
        in_query = self._slots.extract(standalone, SlotContext(today=self._today()))
        filters = {n: in_query[n].value for n in self._filter_slots if n in in_query}
        events: list[Event] = [
            IntentDetected(
                intent=intent,
                confidence=round(float(confidence), 4),
                standalone_query=standalone,
                frustration=round(found.frustration, 4),
            )
        ]
        events.extend(
            SlotSet(name=name, value=value)
            for name, value in merged.items()
            if state.slots.get(name) != value
        )
        return TrackResult(
            events=events,
            lang=found.lang,
            intent=intent,
            confidence=float(confidence),
            standalone_query=standalone,
            slots=merged,
            frustration=found.frustration,
            retrieval_filters=filters,
            explicit_handoff=found.explicit_handoff or (intent == HUMAN_AGENT and not found.about_agents),
            reports_repetition=found.reports_repetition,
            urgent=found.urgent or bool(spec and spec.handoff and intent != HUMAN_AGENT),
            urgent_kind=found.urgent_kind,
            required_slots=spec.required_slots if spec else (),
            has_content=found.has_content,
        )


def with_path(result: TrackResult, *, path: str, degraded: bool) -> TrackResult:
    """A copy of ``result`` marked with the path that produced it."""
    return replace(result, path=path, degraded=degraded)  # type: ignore[arg-type]
