"""Configuration of the LLM backend (nested under ``Settings.llm``; env ``LLM__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

# What the chat turn does when the model fails: quote the top passage, or hand off to an agent.
FallbackMode = Literal["extractive", "handoff"]


# "block": system, one block of passages (carried ones first), history, question (``prompts``);
# "append": system, then each customer turn with the passages new on it before its question, then the
# answer, append-only (``prompt_append``).
PromptLayout = Literal["block", "append"]


class PromptConfig(BaseModel):
    """Token budget per prompt part (env ``LLM__PROMPT__*``). History is trimmed first, then passages."""

    layout: PromptLayout = "block"

    tenant_instructions_tokens: int = Field(default=200, ge=0)
    passages_tokens: int = Field(default=900, ge=64)
    passage_tokens: int = Field(default=320, ge=32)  # one passage longer than this is cut
    # A count cap; passages_tokens is what bounds the block. Room for passages carried from earlier turns
    # beside this turn's (evicting one breaks the prefix cache from there on).
    max_passages: int = Field(default=10, ge=1)
    history_tokens: int = Field(default=500, ge=0)
    question_tokens: int = Field(default=200, ge=16)
    # Follow-up turns (``carried`` passages, some retrieved again): add at most this many new passages, and
    # only those ranked above every carried one, so the passage block (and the prefix cache) stays put.
    follow_up_new_passages: int = Field(default=1, ge=0)
    # When such a new passage changes the block anyway, this many more new ones (lower-ranked) are appended
    # with it where they fit, so a later follow-up that needs one finds it already shown.
    follow_up_extra_passages: int = Field(default=3, ge=0)
    # Change of topic (no carried passage retrieved again): the best this-many new passages may evict
    # stale carried ones (last first); the other new ones are appended only where they fit beside them.
    topic_change_new_passages: int = Field(default=2, ge=1)
    # History is dropped in steps of this many messages, so the kept prefix stays put for a few turns.
    history_trim_step: int = Field(default=4, ge=1)


class SemanticCacheConfig(BaseModel):
    """Answer cache for frequent questions (env ``LLM__CACHE__*``)."""

    enabled: bool = True
    # Cosine similarity of the masked questions' embeddings needed for a semantic hit. Calibrated for
    # multilingual-e5-small on bank paraphrase pairs (docs/BENCHMARKS.md, "LLM backend").
    threshold: float = Field(default=0.96, ge=0.0, le=1.0)
    max_entries_per_tenant: int = Field(default=5000, ge=1)
    ttl_s: float = Field(default=24 * 3600.0, gt=0)


class ComposerConfig(BaseModel):
    """The answer composer (``llm_backend.composer``; env ``LLM__COMPOSER__*``): how much it quotes."""

    max_chars_zh: int = Field(default=160, ge=20)  # characters of quoted text, all passages together
    max_chars_en: int = Field(default=360, ge=40)
    max_units: int = Field(default=3, ge=1)  # clauses / rows picked by score (clause siblings come along)
    max_steps: int = Field(default=6, ge=1)  # list items of a how-to
    max_passages: int = Field(default=2, ge=1)  # a second one only for an attribute the first lacks
    margin: float = Field(default=0.35, ge=0.0)  # score below the best unit still quoted


class LLMConfig(BaseModel):
    """Which backend answers, and how hard we try before giving up on it."""

    # "composer": no model, the clauses of the passages that answer, quoted and cited (the embedded
    # default; llama_cpp did not beat it on the demo KB's answer set: docs/BENCHMARKS.md, "Answer composer");
    # "llama_cpp": in-process CPU model (opt-in);
    # "openai": any OpenAI-compatible server (vLLM in production, llama_cpp.server): it phrases the answer
    # from the composer's evidence;
    # "extractive": no generative model, answer with the top passage (degraded mode).
    backend: Literal["composer", "llama_cpp", "openai", "extractive"] = "composer"
    base_url: str = "http://127.0.0.1:8100/v1"
    api_key: SecretStr = SecretStr("EMPTY")
    model: str = "kefu-default"
    gguf_path: Path | None = None  # any local GGUF instead of the packaged Qwen2.5 0.5B
    n_threads: int = Field(default=2, ge=1)
    n_batch: int = Field(default=256, ge=8)
    # The context window: n_ctx for llama_cpp; for a server, an upper bound (the served
    # max_model_len read at warm-up wins when smaller).
    context_tokens: int = Field(default=2048, ge=256)
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    # Whole call (complete / structured / whole stream).
    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=3.0, gt=0)
    # Stream: the first token must come within first_token_timeout_s, each next one within
    # stream_idle_timeout_s.
    first_token_timeout_s: float = Field(default=15.0, gt=0)
    stream_idle_timeout_s: float = Field(default=10.0, gt=0)
    # Connect errors only, before any output: attempt 1 + max_retries, backoff base * 2**i (jittered).
    max_retries: int = Field(default=2, ge=0)
    retry_backoff_s: float = Field(default=0.2, ge=0)
    retry_backoff_max_s: float = Field(default=2.0, ge=0)
    # Structured calls: extra attempts after an answer that is not valid JSON for the schema.
    structured_retries: int = Field(default=1, ge=0)
    # Circuit breaker: this many consecutive failures (errors) open it for breaker_reset_s, then one probe
    # call. Slow calls (a deadline missed) are counted apart: breaker_slow_calls consecutive ones open it
    # "on slowness", and the turn then answers with the composer without announcing an outage.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_slow_calls: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=30.0, gt=0)
    # What the chat turn does when the model fails (or its answer is withheld): see ``FallbackMode``.
    fallback: FallbackMode = "extractive"
    # Structured outputs over HTTP: "auto" uses json_schema for vLLM, json_object + schema otherwise.
    structured_mode: Literal["auto", "json_schema", "json_object"] = "auto"
    tenant_instructions: str = ""
    composer: ComposerConfig = ComposerConfig()
    prompt: PromptConfig = PromptConfig()
    cache: SemanticCacheConfig = SemanticCacheConfig()

    @model_validator(mode="after")
    def _answer_fits(self) -> LLMConfig:
        if self.max_tokens >= self.context_tokens:
            raise ValueError("LLM max_tokens must be smaller than context_tokens (room for the prompt)")
        return self
