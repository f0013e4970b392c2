"""``ChatBackend`` for OpenAI-compatible servers: vLLM in production, ``llama_cpp.server`` on a laptop.

Built on the ``openai`` SDK's ``AsyncOpenAI`` (not LangChain's ``ChatOpenAI``: measured side by side in
docs/BENCHMARKS.md, the SDK adds less per request and exposes what this layer needs directly — stream
close, ``usage.prompt_tokens_details.cached_tokens``, ``extra_body``, typed HTTP errors). SDK retries are
off: ``ResilientLLMClient`` owns retry policy. Server extras (``/tokenize``, ``/health``, ``/metrics``)
go through a small ``httpx2.AsyncClient`` (the SDK's own HTTP library) on the server root.

At ``warm_up`` the served models are listed: vLLM reports ``max_model_len`` (the window, when smaller than
``LLMConfig.context_tokens``) and ``owned_by == "vllm"``, which selects ``response_format: json_schema``
for structured output and exact token counts through ``POST /tokenize``. Other servers get
``json_object`` + ``schema`` (llama.cpp's grammar) and the cautious local estimate.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, cast

import httpx2 as httpx
import openai
from openai import AsyncOpenAI, AsyncStream
from openai.types.chat import ChatCompletionChunk

from llm_backend.config import LLMConfig
from llm_backend.errors import (
    LLMBadResponse,
    LLMConnectError,
    LLMContextTooLong,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
)
from llm_backend.tokens import EstimatingCounter, TokenCounter, count_messages
from llm_backend.types import ChatMessage, Completion

logger = logging.getLogger(__name__)

_TOO_LONG_MARKERS = (
    "maximum context length",
    "context length",
    "too long",
    "exceed context",
    "max_model_len",
)


def map_openai_error(exc: Exception) -> LLMError:
    """SDK / transport errors onto the backend's typed errors (see ``ChatBackend``)."""
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return LLMTimeout(f"model server timed out: {exc}")
    if isinstance(exc, openai.APIConnectionError | httpx.ConnectError | httpx.ConnectTimeout):
        return LLMConnectError(f"cannot reach the model server: {exc}")
    if isinstance(exc, openai.APIStatusError):
        body = str(exc.message).lower()
        if exc.status_code == 400 and any(m in body for m in _TOO_LONG_MARKERS):
            return LLMContextTooLong(str(exc.message))
        if exc.status_code >= 500 or exc.status_code in (408, 429):
            return LLMUnavailable(f"model server answered {exc.status_code}: {exc.message}")
        return LLMBadResponse(f"model server refused the request ({exc.status_code}): {exc.message}")
    if isinstance(exc, httpx.TransportError):  # reset / protocol error mid-stream
        return LLMUnavailable(f"connection to the model server broke: {exc}")
    return LLMBadResponse(f"unexpected response from the model server: {type(exc).__name__}: {exc}")


class OpenAICompatBackend:
    """See the module docstring. ``config.base_url`` ends in ``/v1``; ``config.model`` is the served name."""

    def __init__(self, config: LLMConfig, *, counter: TokenCounter | None = None) -> None:
        self._config = config
        self.model_name = config.model
        self.context_tokens = config.context_tokens
        self.counter: TokenCounter = counter or EstimatingCounter()
        self.server_kind = "unknown"
        self._root = config.base_url.rstrip("/").removesuffix("/v1")
        timeout = httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s)
        self._sdk = AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key.get_secret_value(),
            timeout=timeout,
            max_retries=0,
        )
        self._http = httpx.AsyncClient(base_url=self._root, timeout=timeout)
        self._exact_counts = False

    async def warm_up(self) -> None:
        try:
            listing = await self._sdk.models.list()
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from exc
        models = {m.id: m for m in listing.data}
        if self.model_name not in models:
            raise LLMUnavailable(
                f"model {self.model_name!r} is not served at {self._config.base_url} "
                f"(served: {sorted(models)}); set LLM__MODEL"
            )
        card = models[self.model_name]
        extra = card.model_extra or {}
        served_len = extra.get("max_model_len")
        if isinstance(served_len, int) and served_len > 0:
            self.context_tokens = min(self._config.context_tokens, served_len)
        self.server_kind = "vllm" if card.owned_by == "vllm" else (card.owned_by or "unknown")
        self._exact_counts = self.server_kind == "vllm"
        logger.info(
            "LLM server %s serves %s (%s, window %d tokens)",
            self._root,
            self.model_name,
            self.server_kind,
            self.context_tokens,
        )

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        estimate = count_messages(self.counter, messages)
        if not self._exact_counts or estimate + self._config.max_tokens <= self.context_tokens:
            return estimate  # an over-estimate that fits needs no round trip
        payload = {
            "model": self.model_name,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "add_generation_prompt": True,
        }
        try:
            response = await self._http.post("/tokenize", json=payload)
            response.raise_for_status()
            return int(response.json()["count"])
        except httpx.HTTPStatusError as exc:
            logger.warning("exact token count failed (%s); using the estimate", exc.response.status_code)
            return estimate
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise map_openai_error(exc) from exc

    def _structured_format(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        mode = self._config.structured_mode
        if mode == "auto":
            mode = "json_schema" if self.server_kind == "vllm" else "json_object"
        if mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": dict(schema), "strict": True},
            }
        return {"type": "json_object", "schema": dict(schema)}

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Completion:
        kwargs: dict[str, Any] = {}
        if json_schema is not None:
            kwargs["response_format"] = self._structured_format(json_schema)
        try:
            response = await self._sdk.chat.completions.create(
                model=self.model_name,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                max_tokens=max_tokens,
                temperature=temperature,
                **kwargs,
            )
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from exc
        if not response.choices:
            raise LLMBadResponse("the model server returned no choices")
        choice = response.choices[0]
        usage = response.usage
        cached = None
        if usage is not None and usage.prompt_tokens_details is not None:
            cached = usage.prompt_tokens_details.cached_tokens
        return Completion(
            text=choice.message.content or "",
            model=response.model or self.model_name,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cached_tokens=cached,
            finish_reason=choice.finish_reason,
        )

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> AsyncIterator[str]:
        try:
            chunks = cast(
                AsyncStream[ChatCompletionChunk],
                await self._sdk.chat.completions.create(
                    model=self.model_name,
                    messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stream=True,
                ),
            )
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from exc
        try:
            async for chunk in chunks:
                if chunk.choices:
                    yield chunk.choices[0].delta.content or ""
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise map_openai_error(exc) from exc
        finally:
            await chunks.close()  # closes the HTTP response: vLLM aborts the request

    async def health(self) -> bool:
        try:
            response = await self._http.get("/health" if self.server_kind == "vllm" else "/v1/models")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def metrics_text(self) -> str:
        """The server's Prometheus exposition (vLLM: ``/metrics``), for benchmarks and dashboards."""
        response = await self._http.get("/metrics")
        response.raise_for_status()
        return response.text

    async def aclose(self) -> None:
        await self._sdk.close()
        await self._http.aclose()
