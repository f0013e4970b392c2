"""The CPU default: a GGUF model run in-process by llama-cpp-python (no GPU, no server).

llama.cpp is not thread-safe and is CPU-bound, so one dedicated worker thread runs every call into it —
generations and exact token counts alike; tokenizing on another thread during a generation crashes the
process (seen here, also with a separate vocab-only model) — in arrival order, and the event loop never
blocks. The prompt builder therefore budgets with the cautious ``EstimatingCounter``; the exact count
(``count_tokens``) is taken on the worker thread before sending. Tokens cross back to the loop
through an ``asyncio.Queue``; closing the async iterator sets a stop flag that the worker checks after
each token, so a customer who disconnects frees the CPU within one token. llama.cpp reuses the KV cache
for the longest common prefix with the previous prompt, which the prompt layout makes long.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_backend.config import LLMConfig
from llm_backend.errors import LLMContextTooLong, LLMError, LLMModelFileError, LLMUnavailable
from llm_backend.model_files import resolve_gguf
from llm_backend.tokens import EstimatingCounter, TokenCounter, count_messages
from llm_backend.types import ChatMessage, Completion

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True, slots=True)
class _Done:
    finish_reason: str | None
    completion_tokens: int


def _map_error(exc: BaseException) -> LLMError:
    text = str(exc)
    if "context window" in text or "exceed context" in text:
        return LLMContextTooLong(text)
    return LLMUnavailable(f"llama.cpp failed: {type(exc).__name__}: {text}")


class LlamaCppBackend:
    """``ChatBackend`` over ``llama_cpp.Llama``. ``warm_up()`` assembles/loads the GGUF (seconds)."""

    def __init__(self, config: LLMConfig, data_dir: Path) -> None:
        self._config = config
        self._data_dir = data_dir
        self.model_name = config.gguf_path.stem if config.gguf_path else "qwen2.5-coder-0.5b-instruct"
        self.context_tokens = config.context_tokens
        self._executor: ThreadPoolExecutor | None = None
        self._llm: Any = None
        # For the prompt builder (sync, on the event loop): an over-estimate, never the model itself.
        self.counter: TokenCounter = EstimatingCounter()
        self._closing = threading.Event()
        self.model_path: Path | None = None

    async def warm_up(self) -> None:
        if self._llm is not None:
            return
        path = await asyncio.to_thread(resolve_gguf, self._config.gguf_path, self._data_dir)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-cpp")
        loop = asyncio.get_running_loop()
        try:
            self._llm = await loop.run_in_executor(self._executor, self._load, path)
        except (ValueError, RuntimeError, OSError) as exc:
            raise LLMModelFileError(f"llama.cpp could not load {path}: {exc}") from exc
        self.model_path = path
        logger.info("llama.cpp model %s loaded (n_ctx=%d)", path.name, self.context_tokens)

    def _load(self, path: Path) -> Any:
        from llama_cpp import Llama

        return Llama(
            model_path=str(path),
            n_ctx=self._config.context_tokens,
            n_threads=self._config.n_threads,
            n_batch=self._config.n_batch,
            verbose=False,
        )

    def _require(self) -> tuple[Any, ThreadPoolExecutor]:
        if self._llm is None or self._executor is None:
            raise LLMUnavailable("the local model is not loaded: call warm_up() first")
        return self._llm, self._executor

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Exact, with the model's tokenizer, on the worker thread (queued behind a running generation)."""
        llm, executor = self._require()
        counter = _ModelCounter(llm)
        return await asyncio.get_running_loop().run_in_executor(executor, count_messages, counter, messages)

    async def health(self) -> bool:
        return self._llm is not None

    async def reset_cache(self) -> None:
        """Forget the KV prefix kept from the last prompt (benchmarks: measure a cold prompt)."""
        llm, executor = self._require()
        await asyncio.get_running_loop().run_in_executor(executor, llm.reset)

    async def aclose(self) -> None:
        """Stop any generation at its next token, wait for the worker, then free the model."""
        self._closing.set()
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
        llm, self._llm = self._llm, None
        if llm is not None and hasattr(llm, "close"):
            llm.close()

    def _run(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        response_format: Mapping[str, Any] | None,
    ) -> tuple[asyncio.Queue[str | _Done | _Failed], threading.Event]:
        """Start a generation on the worker thread; deltas, then ``_Done`` or ``_Failed``, arrive on the queue."""
        llm, executor = self._require()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | _Done | _Failed] = asyncio.Queue()
        stop = threading.Event()
        payload = [{"role": m.role, "content": m.content} for m in messages]

        def put(item: str | _Done | _Failed) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone (shutdown): nobody is listening any more
                stop.set()

        def produce() -> None:
            if stop.is_set() or self._closing.is_set():  # given up while queued, or shutting down
                return
            finish: str | None = None
            produced = 0
            try:
                chunks = llm.create_chat_completion(
                    messages=payload,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stream=True,
                    response_format=dict(response_format) if response_format else None,
                )
                try:
                    for chunk in chunks:
                        if stop.is_set() or self._closing.is_set():
                            finish = "cancelled"
                            break
                        choice = chunk["choices"][0]
                        text = choice.get("delta", {}).get("content") or ""
                        finish = choice.get("finish_reason") or finish
                        if text:
                            produced += 1
                            put(text)
                finally:
                    chunks.close()
            except Exception as exc:
                put(_Failed(exc))
                return
            put(_Done(finish, produced))

        executor.submit(produce)
        return queue, stop

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> AsyncIterator[str]:
        queue, stop = self._run(
            messages, max_tokens=max_tokens, temperature=temperature, response_format=None
        )
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Done):
                    return
                if isinstance(item, _Failed):
                    raise _map_error(item.error) from item.error
                yield item
        finally:
            stop.set()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Completion:
        response_format = {"type": "json_object", "schema": dict(json_schema)} if json_schema else None
        queue, stop = self._run(
            messages, max_tokens=max_tokens, temperature=temperature, response_format=response_format
        )
        parts: list[str] = []
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Failed):
                    raise _map_error(item.error) from item.error
                if isinstance(item, _Done):
                    break
                parts.append(item)
        finally:
            stop.set()
        return Completion(
            text="".join(parts),
            model=self.model_name,
            prompt_tokens=await self.count_tokens(messages),
            completion_tokens=item.completion_tokens,  # streamed chunks: one token each in llama.cpp
            finish_reason=item.finish_reason,
        )


class _ModelCounter:
    """Exact counts with the loaded model's tokenizer; call only on the backend's worker thread."""

    def __init__(self, llm: Any) -> None:
        self._llm = llm

    def count(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0
