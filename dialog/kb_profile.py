"""What the tracker learns from a tenant's own knowledge base: in-scope examples and implied slots.

``KBProfile.from_kb(labels, texts)`` reads the KB's chunk labels (each FAQ question, each document section's
``title › headings``) and passage texts:

- ``examples``: every FAQ question and heading is an in-scope example (``in_scope_examples``), so a
  question about new KB content is in scope without anyone writing intent examples for it. When the
  tracker trains (``with_kb_examples``), each example joins the intent the classifier trained on the
  tenant's intents alone already gives it (its topic), or, when that is out of scope, small talk or not
  confident, the generic in-scope intent ``KB_INTENT``.
- ``implied``: a product name that only one value of another slot has, by the KB's own text
  (``implied_slots``): "白金卡" / "Platinum card" is a credit card when every mention of it in the KB is
  beside "信用卡" / "credit card" rather than "借记卡" / "debit card" ("金卡" stays open when the KB has a
  Gold credit card and a Gold debit card). The tracker then knows the card type without asking.

Pure functions of the text; the app builds a profile when a KB version is published or first used.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from dialog.intents import HUMAN_AGENT, OUT_OF_SCOPE, SMALLTALK_INTENTS, IntentSet, IntentSpec
from dialog.slots import SlotContext, SlotExtractor

if TYPE_CHECKING:
    from dialog.classifier import IntentClassifier

KB_INTENT = "kb_topic"
KB_TOPIC = {"zh": "本行业务", "en": "our services"}
# (implying slot, implied slot): a card product name implies its card type.
DEFAULT_IMPLICATIONS: tuple[tuple[str, str], ...] = (("card_tier", "card_type"),)
MAX_EXAMPLES = 2000
MAX_EXAMPLE_CHARS = 200
_SEPARATOR = " › "
_HEADING_MIN_CHARS = 2
_FILE_NAME = re.compile(r"[\w.-]+\.[A-Za-z]{2,5}")


@dataclass(frozen=True, slots=True)
class KBProfile:
    """``examples``: in-scope texts (FAQ questions, headings); ``implied``: (slot, value) -> (slot, value)."""

    examples: tuple[str, ...] = ()
    implied: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @property
    def revision(self) -> str:
        """A stable hash of what training depends on."""
        data = "\n".join(
            [*self.examples, *(f"{a}={b}->{c}={d}" for (a, b), (c, d) in sorted(self.implied.items()))]
        )
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    @classmethod
    def from_kb(
        cls,
        labels: Iterable[str],
        texts: Iterable[str],
        *,
        extractor: SlotExtractor | None = None,
        implications: Sequence[tuple[str, str]] = DEFAULT_IMPLICATIONS,
    ) -> KBProfile:
        return cls(
            examples=in_scope_examples(labels),
            implied=implied_slots(texts, extractor=extractor, implications=implications),
        )


def in_scope_examples(labels: Iterable[str]) -> tuple[str, ...]:
    """Distinct FAQ questions and heading texts of the chunk labels, in first-seen order.

    A section label "Credit card guide › Instalments" gives "Credit card guide Instalments" (the whole
    path reads as a topic) and "Instalments"; a last heading alone only when it says something on its own
    (two words, or four Chinese characters: not "Notes", "Questions", "说明"); pure numbers are skipped."""
    seen: dict[str, None] = {}
    for label in labels:
        label = " ".join(label.split()).rstrip("…")
        if not label or _FILE_NAME.fullmatch(label):  # a document with no title or heading: its file name
            continue
        parts = [p.strip() for p in label.split(_SEPARATOR) if p.strip()]
        candidates = [" ".join(parts)] if len(parts) > 1 else []
        if len(parts) == 1 or _says_something(parts[-1]):
            candidates += parts[-1:]
        for c in candidates:
            c = c[:MAX_EXAMPLE_CHARS]
            if len(c) >= _HEADING_MIN_CHARS and not re.fullmatch(r"[\d\W_]+", c):
                seen.setdefault(c, None)
        if len(seen) >= MAX_EXAMPLES:
            break
    return tuple(seen)


def _says_something(heading: str) -> bool:
    han = len(re.findall(r"[\u4e00-\u9fff]", heading))
    return han >= 4 if han else len(heading.split()) >= 2


def implied_slots(
    texts: Iterable[str],
    *,
    extractor: SlotExtractor | None = None,
    implications: Sequence[tuple[str, str]] = DEFAULT_IMPLICATIONS,
    min_mentions: int = 2,
    agreement: float = 0.9,
) -> dict[tuple[str, str], tuple[str, str]]:
    """(slot, value) -> (implied slot, value) when the KB mentions that value at least ``min_mentions``
    times and at least ``agreement`` of those mentions have the same implied value as their nearest
    mention of the implied slot in the same passage (before or after, nearest by characters)."""
    extractor = extractor or SlotExtractor()
    ctx = SlotContext(today=date(2000, 1, 1))
    votes: dict[tuple[str, str], Counter[str]] = {}
    for text in texts:
        found = extractor.find_all(text, ctx)
        for source, target in implications:
            targets = [m for m in found if m.name == target]
            if not targets:
                continue
            for m in found:
                if m.name != source:
                    continue
                nearest = min(targets, key=lambda t: _distance(m.start, m.end, t.start, t.end))
                votes.setdefault((source, m.value), Counter())[nearest.value] += 1
    out: dict[tuple[str, str], tuple[str, str]] = {}
    targets_of = dict(implications)
    for (source, value), counter in votes.items():
        total = sum(counter.values())
        best, n = counter.most_common(1)[0]
        if total >= min_mentions and n / total >= agreement:
            out[(source, value)] = (targets_of[source], best)
    return out


def _distance(s1: int, e1: int, s2: int, e2: int) -> int:
    if e1 <= s2:
        return s2 - e1
    if e2 <= s1:
        return s1 - e2
    return 0


def new_examples(intents: IntentSet, examples: Iterable[str]) -> list[str]:
    """The distinct ``examples`` that are not already an example of one of ``intents``."""
    known = {e for spec in intents for e in spec.examples}
    return [e for e in dict.fromkeys(examples) if e not in known]


def with_kb_examples(
    intents: IntentSet,
    examples: Sequence[str],
    classifier: IntentClassifier,
    *,
    vectors: npt.NDArray[np.float32] | None = None,
    min_confidence: float = 0.5,
) -> IntentSet:
    """``intents`` with each of ``examples`` (``new_examples``) added to its topic's intent (module
    docstring). ``classifier`` must be trained on ``intents``; it is only asked to predict here;
    ``vectors``: the examples' embeddings, if at hand."""
    if not examples:
        return intents
    extra: dict[str, list[str]] = {}
    todo = list(examples)
    for text, p in zip(todo, classifier.predict(todo, vectors), strict=True):
        name = p.best
        generic = (
            name in (OUT_OF_SCOPE, HUMAN_AGENT) or name in SMALLTALK_INTENTS or p.confidence < min_confidence
        )
        extra.setdefault(KB_INTENT if generic else name, []).append(text)
    specs: list[IntentSpec] = []
    for spec in intents:
        more = extra.pop(spec.name, [])
        specs.append(spec.model_copy(update={"examples": (*spec.examples, *more)}) if more else spec)
    if KB_INTENT in extra:
        specs.append(
            IntentSpec(
                name=KB_INTENT,
                description="Questions the tenant's knowledge base answers (its FAQ questions and headings)",
                examples=tuple(extra[KB_INTENT]),
                topic=KB_TOPIC,
            )
        )
    return IntentSet(specs)
