"""Builds the dialog logic the app wires: ``build_tracker`` and ``build_policy``.

``build_tracker`` trains the intent classifier (it embeds every example): call it from the app lifespan,
in a worker thread (``await asyncio.to_thread(build_tracker, ...)``), never at import.
"""

from __future__ import annotations

from dialog.classifier import ClassifierParams, EmbedFn, IntentClassifier
from dialog.config import DialogConfig, PolicyConfig
from dialog.intents import IntentSet, load_intents_yaml
from dialog.kb_profile import KBProfile
from dialog.policy import Policy
from dialog.protocols import Tracker
from dialog.tracker_llm import LLMTracker, StateCall
from dialog.tracker_local import LocalTracker


def build_local_tracker(
    config: DialogConfig,
    *,
    embed: EmbedFn,
    intents: IntentSet | None = None,
    kb: KBProfile | None = None,
) -> LocalTracker:
    """A trained ``LocalTracker`` for ``intents`` (default: the demo set at ``config.intents_path``) and
    what the tenant's knowledge base teaches (``kb``: in-scope examples, implied slots)."""
    intent_set = intents if intents is not None else load_intents_yaml(config.intents_path)
    classifier = IntentClassifier(embed, ClassifierParams(threshold=config.intent_threshold))
    tracker = LocalTracker(classifier, intent_set, default_lang=config.default_lang, kb=kb)
    tracker.warm_up()
    return tracker


def build_tracker(
    config: DialogConfig,
    *,
    embed: EmbedFn,
    intents: IntentSet | None = None,
    llm: StateCall | None = None,
    kb: KBProfile | None = None,
) -> Tracker:
    """The tracker ``config.tracker`` names. ``embed``: the retrieval embedder's ``embed_queries``.

    ``config.tracker == "llm"`` needs ``llm``, the async ``(messages, schema) -> dict`` adapter of the
    app's LLM client; the local tracker is built either way (rules and fallback).
    """
    if config.tracker == "llm" and llm is None:
        raise ValueError("DIALOG__TRACKER=llm needs an LLM adapter: pass llm=(messages, schema) -> dict")
    local = build_local_tracker(config, embed=embed, intents=intents, kb=kb)
    if config.tracker == "local" or llm is None:
        return local
    return LLMTracker(llm, local, history_turns=config.history_turns, timeout_s=config.llm_tracker_timeout_s)


def build_policy(config: DialogConfig | PolicyConfig) -> Policy:
    """The policy for the configured (or a tenant's) ``PolicyConfig``."""
    return Policy(config.policy if isinstance(config, DialogConfig) else config)
