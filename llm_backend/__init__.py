"""LLM backend: the ``LLMClient`` seam, its backends (llama.cpp in-process, OpenAI-compatible servers such
as vLLM, extractive), the RAG prompt builder, degraded answers and the semantic answer cache.

Import what you need from the modules: ``llm_backend.factory.build_llm_client`` (also re-exported here,
imported lazily so that ``import llm_backend`` stays cheap), ``llm_backend.prompts.build_rag_prompt``,
``llm_backend.fallback``, ``llm_backend.semantic_cache``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llm_backend.config import LLMConfig
    from llm_backend.protocols import LLMClient
    from llm_backend.resilience import BreakerState


def build_llm_client(
    config: LLMConfig,
    data_dir: Path,
    *,
    on_breaker_change: Callable[[BreakerState], None] | None = None,
) -> LLMClient:
    """See ``llm_backend.factory.build_llm_client``."""
    from llm_backend.factory import build_llm_client as build

    return build(config, data_dir, on_breaker_change=on_breaker_change)
