"""``ResilientLLMClient``: the one ``LLMClient``, adding policy on top of any ``ChatBackend``.

Policy, all from ``LLMConfig``: a deadline per call (``timeout_s``), first-token and between-token
deadlines for streams, retries with jittered exponential backoff on connect errors only and only before
any output, a circuit breaker, a context-window check before sending, an empty answer treated as a bad
response, and JSON-schema validation of structured answers with a retry.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from llm_backend.config import LLMConfig
from llm_backend.errors import (
    LLMBadResponse,
    LLMConnectError,
    LLMContextTooLong,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
)
from llm_backend.protocols import ChatBackend
from llm_backend.resilience import CircuitBreaker, backoff_delay
from llm_backend.tokens import TokenCounter
from llm_backend.types import ChatMessage, Completion

logger = logging.getLogger(__name__)
T = TypeVar("T")

MIN_ANSWER_TOKENS = 16


class ResilientLLMClient:
    """Implements ``llm_backend.protocols.LLMClient`` over ``backend``; see that protocol for the contract."""

    def __init__(
        self,
        backend: ChatBackend,
        config: LLMConfig,
        *,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._backend = backend
        self._config = config
        self.breaker = breaker or CircuitBreaker(
            failures=config.breaker_failures,
            reset_s=config.breaker_reset_s,
            slow_calls=config.breaker_slow_calls,
        )
        self._sleep = sleep
        self.model_name = backend.model_name
        self.context_tokens = backend.context_tokens
        self.token_counter: TokenCounter = backend.counter

    @property
    def backend(self) -> ChatBackend:
        return self._backend

    async def warm_up(self) -> None:
        await self._backend.warm_up()
        self.model_name = self._backend.model_name
        self.context_tokens = self._backend.context_tokens
        self.token_counter = self._backend.counter

    async def aclose(self) -> None:
        await self._backend.aclose()

    async def health(self) -> bool:
        if self.breaker.state == "open" and self.breaker.opened_by == "errors":
            return False  # open on slow answers: the model is there, only busy
        try:
            return await asyncio.wait_for(self._backend.health(), self._config.connect_timeout_s)
        except (TimeoutError, LLMError):
            return False

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return await self._backend.count_tokens(messages)

    # -- budgeting ------------------------------------------------------------------------------------

    async def _answer_budget(self, messages: Sequence[ChatMessage], max_tokens: int | None) -> int:
        if not messages:
            raise LLMBadResponse("no messages to send")
        wanted = max_tokens or self._config.max_tokens
        prompt = await self._backend.count_tokens(messages)
        free = self.context_tokens - prompt
        if free >= wanted:
            return wanted
        floor = min(wanted, max(MIN_ANSWER_TOKENS, wanted // 4))
        if free >= floor:
            return free
        raise LLMContextTooLong(
            f"prompt of {prompt} tokens leaves {free} of the {self.context_tokens}-token window "
            f"for the answer (needs at least {floor})"
        )

    # -- retries + breaker ------------------------------------------------------------------------------

    async def _guarded(self, op: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Run ``op`` under the deadline, retrying connect errors with backoff; feed the breaker."""
        attempt = 0
        while True:
            self.breaker.check()
            try:
                async with asyncio.timeout(self._config.timeout_s):
                    result = await op()
            except TimeoutError:
                self.breaker.slow()
                raise LLMTimeout(f"{what}: no answer within {self._config.timeout_s:g} s") from None
            except LLMConnectError as exc:
                self.breaker.failure()
                await self._before_retry(exc, attempt, what=what)
                attempt += 1
                continue
            except BaseException as exc:
                self._settle(exc)
                raise
            self.breaker.success()
            return result

    def _settle(self, exc: BaseException) -> None:
        """Feed the breaker a call that ended with ``exc``: a timeout counts as slow, an unavailable model
        as a failure; anything else (a bad request, a cancellation) only releases the call's slot."""
        if isinstance(exc, LLMTimeout):
            self.breaker.slow()
        elif isinstance(exc, LLMUnavailable):
            self.breaker.failure()
        else:
            self.breaker.release()

    async def _before_retry(self, exc: LLMConnectError, attempt: int, *, what: str) -> None:
        """Wait the backoff before retry ``attempt + 1`` of a failed connect; raise ``exc`` when the
        retries are spent."""
        if attempt >= self._config.max_retries:
            raise exc
        delay = backoff_delay(
            attempt, base_s=self._config.retry_backoff_s, max_s=self._config.retry_backoff_max_s
        )
        logger.warning("%s: connect failed (%s); retry %d in %.2f s", what, exc, attempt + 1, delay)
        await self._sleep(delay)

    # -- the three calls ---------------------------------------------------------------------------------

    async def complete(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> Completion:
        async def op() -> Completion:
            budget = await self._answer_budget(messages, max_tokens)
            return await self._backend.complete(messages, max_tokens=budget, temperature=temperature)

        completion = await self._guarded(op, what="complete")
        if not completion.text.strip():
            raise LLMBadResponse("the model returned an empty completion")
        return completion

    async def structured(
        self, messages: Sequence[ChatMessage], schema: Mapping[str, Any], *, max_tokens: int | None = None
    ) -> dict[str, Any]:
        try:
            Draft202012Validator.check_schema(dict(schema))
        except SchemaError as exc:
            raise ValueError(f"invalid JSON schema: {exc.message}") from exc
        validator = Draft202012Validator(dict(schema))

        async def op() -> Completion:
            budget = await self._answer_budget(messages, max_tokens)
            return await self._backend.complete(
                messages, max_tokens=budget, temperature=0.0, json_schema=schema
            )

        problem = ""
        for attempt in range(1 + self._config.structured_retries):
            completion = await self._guarded(op, what="structured")
            try:
                value = json.loads(completion.text)
            except json.JSONDecodeError as exc:
                problem = f"not JSON ({exc.msg} at {exc.pos}; finish_reason={completion.finish_reason})"
            else:
                errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
                if not errors and isinstance(value, dict):
                    return value
                problem = errors[0].message if errors else "not a JSON object"
            logger.warning("structured answer rejected (attempt %d): %s", attempt + 1, problem)
        raise LLMBadResponse(f"no valid JSON for the schema after {attempt + 1} attempts: {problem}")

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._config.timeout_s
        attempt = 0
        while True:
            self.breaker.check()
            source: AsyncIterator[str] | None = None
            try:
                async with asyncio.timeout(self._config.first_token_timeout_s):
                    budget = await self._answer_budget(messages, max_tokens)
                    source = self._backend.stream(messages, max_tokens=budget, temperature=temperature)
                    first = await _first_text(source)
            except TimeoutError:  # slow, not down: counted apart (CircuitBreaker.slow)
                await _close(source)
                self.breaker.slow()
                raise LLMTimeout(f"no first token within {self._config.first_token_timeout_s:g} s") from None
            except LLMConnectError as exc:
                await _close(source)
                self.breaker.failure()
                await self._before_retry(exc, attempt, what="stream")
                attempt += 1
                continue
            except BaseException as exc:
                await _close(source)
                self._settle(exc)
                raise
            break

        assert source is not None
        try:
            yield first
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise LLMTimeout(f"the answer did not finish within {self._config.timeout_s:g} s")
                try:
                    async with asyncio.timeout(min(self._config.stream_idle_timeout_s, remaining)):
                        delta = await anext(source)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise LLMTimeout("the stream stalled mid-answer") from None
                except LLMConnectError as exc:  # output began: never retried, never silently truncated
                    raise LLMUnavailable(f"the stream broke mid-answer: {exc}") from exc
                if delta:
                    yield delta
        except BaseException as exc:
            self._settle(exc)
            raise
        else:
            self.breaker.success()
        finally:
            await _close(source)


async def _first_text(source: AsyncIterator[str]) -> str:
    async for delta in source:
        if delta:
            return delta
    raise LLMBadResponse("the model streamed no text")


async def _close(source: AsyncIterator[str] | None) -> None:
    aclose = getattr(source, "aclose", None)
    if aclose is not None:
        try:
            await aclose()
        except Exception:  # closing a broken stream must not mask the error being raised
            logger.debug("closing the model stream failed", exc_info=True)
