"""Deterministic fakes of the LLM seam, for tests of the *other* layers (never of the LLM backend)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from llm_backend.errors import LLMContextTooLong, LLMUnavailable
from llm_backend.tokens import EstimatingCounter, TokenCounter
from llm_backend.types import ChatMessage, Completion

_PASSAGE = re.compile(r"^\[(\d+)\]", re.MULTILINE)


class ScriptedLLM:
    """Answers with a fixed script, or by quoting the first numbered passage of the prompt with ``[n]``.

    ``fail_after`` makes ``stream`` raise ``LLMUnavailable`` after that many deltas (a dying server);
    ``down`` makes every call raise ``LLMUnavailable``. ``requests`` records every prompt received.
    """

    def __init__(
        self,
        script: Sequence[str] | None = None,
        *,
        fail_after: int | None = None,
        down: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        self.model_name = "scripted-fake"
        self.context_tokens = 4096
        self.token_counter: TokenCounter = EstimatingCounter()
        self._script = list(script or [])
        self.fail_after = fail_after
        self.down = down
        self.delay_s = delay_s
        self.requests: list[list[ChatMessage]] = []

    async def warm_up(self) -> None:
        return None

    def _answer(self, messages: Sequence[ChatMessage]) -> str:
        if self._script:
            return self._script.pop(0)
        prompt = "\n".join(m.content for m in messages)
        m = _PASSAGE.search(prompt)
        if m is None:
            return "I don't know based on the available information."
        # a line of the passage's text (after its "[n] title" line) that is not a question: an answer
        # from the passage, not its title or FAQ question, which would only echo the customer's
        _title, _, body = prompt[m.end() :].partition("\n")
        lines = [x.strip() for x in body.split("\n\n", 1)[0].splitlines() if x.strip()]
        line = next((x for x in lines if not x.endswith(("?", "？"))), lines[0] if lines else "")
        return f"{line[:120]} [{m.group(1)}]"

    def _check(self, messages: Sequence[ChatMessage]) -> None:
        if self.down:
            raise LLMUnavailable("fake server is down")
        if sum(len(m.content.split()) + 5 for m in messages) + 3 > self.context_tokens:
            raise LLMContextTooLong("fake window exceeded")

    async def complete(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> Completion:
        self.requests.append(list(messages))
        self._check(messages)
        await asyncio.sleep(self.delay_s)
        text = self._answer(messages)
        return Completion(text=text, model=self.model_name, completion_tokens=len(text.split()))

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> AsyncIterator[str]:
        self.requests.append(list(messages))
        self._check(messages)
        text = self._answer(messages)
        for i, piece in enumerate(re.findall(r"\S+\s*", text)):
            if self.fail_after is not None and i >= self.fail_after:
                raise LLMUnavailable("fake server died mid-stream")
            await asyncio.sleep(self.delay_s)
            yield piece

    async def structured(
        self, messages: Sequence[ChatMessage], schema: Mapping[str, Any], *, max_tokens: int | None = None
    ) -> dict[str, Any]:
        self.requests.append(list(messages))
        self._check(messages)
        if self._script:
            value = json.loads(self._script.pop(0))
            assert isinstance(value, dict)
            return value
        value = minimal_instance(schema)
        assert isinstance(value, dict)
        return value

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(len(m.content.split()) + 5 for m in messages) + 3

    async def health(self) -> bool:
        return not self.down

    async def aclose(self) -> None:
        return None


def minimal_instance(schema: Mapping[str, Any]) -> Any:
    """The simplest value valid for a bounded schema: first enum / const, minimum, "", [], required keys."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal_instance(props.get(k, {})) for k in schema.get("required", [])}
    if kind == "array":
        item = schema.get("items", {})
        return [minimal_instance(item) for _ in range(int(schema.get("minItems", 0)))]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "x" * int(schema.get("minLength", 0))
