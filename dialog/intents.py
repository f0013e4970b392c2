"""A tenant's intent set: plain data (the app stores it in SQL), plus a loader for the demo YAML.

Reserved names: ``out_of_scope`` (examples of what the tenant does not serve; never a valid detected
intent to answer), ``human_agent`` (an explicit request for a person) and the small-talk intents listed
in ``SMALLTALK_INTENTS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dialog.errors import IntentConfigError

OUT_OF_SCOPE = "out_of_scope"
HUMAN_AGENT = "human_agent"  # detecting it is an explicit request for a person, not an urgent topic
SMALLTALK_INTENTS = frozenset({"greeting", "thanks", "goodbye"})
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class IntentSpec(BaseModel):
    """One intent. ``handoff``: detecting it hands the conversation to a human (urgent / regulated topic).

    ``required_slots``: slots that must be known before answering (the bot asks for them first).
    ``topic``: how to name the subject in each language ("信用卡分期" / "credit card instalments"),
    used to rewrite follow-ups and to summarise handoffs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = Field(default="", max_length=500)
    examples: tuple[str, ...] = Field(min_length=1)
    handoff: bool = False
    required_slots: tuple[str, ...] = ()
    topic: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("intent names are snake_case ascii, 1-64 characters (e.g. card_lost)")
        return v

    @field_validator("examples")
    @classmethod
    def _check_examples(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(e.strip() for e in v if e and e.strip())
        if not cleaned:
            raise ValueError("an intent needs at least one non-empty example")
        if any(len(e) > 500 for e in cleaned):
            raise ValueError("examples are at most 500 characters")
        return cleaned

    def topic_in(self, lang: str) -> str:
        return self.topic.get(lang) or self.topic.get("en") or self.name.replace("_", " ")


class IntentSet:
    """The validated intents of one tenant, by name."""

    def __init__(self, intents: Iterable[IntentSpec]) -> None:
        self._by_name: dict[str, IntentSpec] = {}
        for spec in intents:
            if spec.name in self._by_name:
                raise IntentConfigError(f"intent {spec.name!r} is defined twice")
            self._by_name[spec.name] = spec
        if not any(n != OUT_OF_SCOPE for n in self._by_name):
            raise IntentConfigError("an intent set needs at least one intent besides out_of_scope")

    def __iter__(self) -> Any:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str | None) -> IntentSpec | None:
        return None if name is None else self._by_name.get(name)

    @property
    def names(self) -> list[str]:
        return list(self._by_name)

    def training_data(self) -> tuple[list[str], list[str]]:
        texts: list[str] = []
        labels: list[str] = []
        for spec in self._by_name.values():
            texts.extend(spec.examples)
            labels.extend([spec.name] * len(spec.examples))
        return texts, labels

    def handoff_intents(self) -> frozenset[str]:
        return frozenset(s.name for s in self._by_name.values() if s.handoff)


def parse_intents(data: Sequence[Mapping[str, Any]]) -> IntentSet:
    """Validate raw mappings (from YAML or SQL rows); errors name the offending intent."""
    specs = []
    for i, raw in enumerate(data):
        try:
            specs.append(IntentSpec.model_validate(raw))
        except ValidationError as exc:
            name = raw.get("name", f"#{i}") if isinstance(raw, Mapping) else f"#{i}"
            raise IntentConfigError(f"intent {name}: {exc}") from exc
    return IntentSet(specs)


def load_intents_yaml(path: Path) -> IntentSet:
    """Load ``{"intents": [...]}`` (or a bare list) from a YAML file."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IntentConfigError(f"cannot read intents from {path}: {exc}") from exc
    items = doc.get("intents") if isinstance(doc, Mapping) else doc
    if not isinstance(items, list):
        raise IntentConfigError(f"{path}: expected a list of intents under 'intents'")
    return parse_intents(items)
