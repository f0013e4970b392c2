"""Composition helpers for ``app/``: build the configured client (not warmed up) and the answer cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from llm_backend.client import ResilientLLMClient
from llm_backend.config import LLMConfig
from llm_backend.protocols import ChatBackend, LLMClient
from llm_backend.resilience import BreakerState, CircuitBreaker
from llm_backend.semantic_cache import EmbedFn, SemanticAnswerCache


def build_backend(config: LLMConfig, data_dir: Path) -> ChatBackend:
    """The transport ``config.backend`` names. Imports the heavy client library only when chosen."""
    if config.backend == "llama_cpp":
        from llm_backend.llama_cpp_backend import LlamaCppBackend

        return LlamaCppBackend(config, data_dir)
    if config.backend == "composer":
        from llm_backend.composer_backend import ComposerBackend

        return ComposerBackend(config.composer)
    if config.backend == "openai":
        from llm_backend.openai_backend import OpenAICompatBackend

        return OpenAICompatBackend(config)
    from llm_backend.extractive_backend import ExtractiveBackend

    return ExtractiveBackend()


def build_llm_client(
    config: LLMConfig,
    data_dir: Path,
    *,
    on_breaker_change: Callable[[BreakerState], None] | None = None,
) -> LLMClient:
    """The app's one ``LLMClient``. Call ``await client.warm_up()`` in the lifespan, ``aclose()`` at exit.

    ``on_breaker_change`` receives "open" / "half_open" / "closed" (for a gauge or an alert).
    """
    breaker = CircuitBreaker(
        failures=config.breaker_failures,
        reset_s=config.breaker_reset_s,
        slow_calls=config.breaker_slow_calls,
        on_change=on_breaker_change,
    )
    return ResilientLLMClient(build_backend(config, data_dir), config, breaker=breaker)


def build_answer_cache(
    config: LLMConfig,
    embed: EmbedFn,
    *,
    on_lookup: Callable[[str], None] | None = None,
) -> SemanticAnswerCache | None:
    """The semantic answer cache, or None when ``LLM__CACHE__ENABLED=false``.

    ``embed`` maps texts to L2-normalised float32 rows (``retrieval``'s ``Embedder.embed_queries``).
    """
    if not config.cache.enabled:
        return None
    return SemanticAnswerCache(embed, config.cache, on_lookup=on_lookup)
