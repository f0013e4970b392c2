from __future__ import annotations

from pathlib import Path

import pytest

from dialog.config import DialogConfig, PolicyConfig
from dialog.factory import build_policy, build_tracker
from dialog.intents import parse_intents
from dialog.policy import Policy
from dialog.testing import DEMO_INTENTS, hash_embed
from dialog.tracker_llm import LLMTracker
from dialog.tracker_local import LocalTracker


def test_builds_the_local_tracker_on_given_intents() -> None:
    intents = parse_intents(
        [{"name": "hello", "examples": ["hi", "你好"]}, {"name": "bye", "examples": ["bye", "再见"]}]
    )
    tracker = build_tracker(DialogConfig(), embed=hash_embed, intents=intents)
    assert isinstance(tracker, LocalTracker)
    assert tracker.classifier.is_trained
    assert tracker.classifier.labels == ["bye", "hello"]


def test_llm_tracker_needs_its_adapter(tmp_path: Path) -> None:
    config = DialogConfig(tracker="llm", intents_path=DEMO_INTENTS)
    with pytest.raises(ValueError, match="needs an LLM adapter"):
        build_tracker(config, embed=hash_embed)

    async def call(messages: object, schema: object) -> dict[str, object]:
        return {}

    assert isinstance(build_tracker(config, embed=hash_embed, llm=call), LLMTracker)


def test_policy_from_either_config() -> None:
    assert build_policy(DialogConfig()).config == PolicyConfig()
    assert isinstance(build_policy(PolicyConfig(max_failed_retrievals=5)), Policy)
    assert build_policy(DialogConfig(max_failed_retrievals=4)).config.max_failed_retrievals == 4


def test_env_style_nesting() -> None:
    config = DialogConfig.model_validate({"policy": {"frustration_threshold": 0.9, "require_slots": False}})
    assert config.policy.frustration_threshold == 0.9
    assert not config.policy.require_slots
