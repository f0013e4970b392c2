"""Configuration of the LLM backend (nested under ``Settings.llm``; env ``LLM__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class LLMConfig(BaseModel):
    """Which backend answers, and how hard we try before giving up on it."""

    # "llama_cpp": in-process CPU model (the embedded default);
    # "openai": any OpenAI-compatible server (vLLM in production, llama_cpp.server);
    # "extractive": no generative model, answer with the top passage (degraded mode).
    backend: Literal["llama_cpp", "openai", "extractive"] = "llama_cpp"
    base_url: str = "http://127.0.0.1:8100/v1"
    api_key: SecretStr = SecretStr("EMPTY")
    model: str = "kefu-default"
    gguf_path: Path | None = None  # any local GGUF instead of the packaged Qwen2.5 0.5B
    n_threads: int = Field(default=2, ge=1)
    context_tokens: int = Field(default=2048, ge=256)
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=3.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=30.0, gt=0)
    fallback: Literal["extractive", "handoff"] = "extractive"
