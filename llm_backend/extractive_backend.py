"""``ChatBackend`` with no generative model: answers by quoting the top passage of a built prompt.

Selected with ``LLM__BACKEND=extractive`` (a deployment without a model, or a drill of the degraded
mode). It reads the passages and the question back out of a prompt made by ``build_rag_prompt`` and
answers exactly as ``fallback.extractive_answer`` would, citing ``[1]``. Structured calls are refused
with ``LLMUnavailable``: there is no model to fill a schema.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from llm_backend.errors import LLMUnavailable
from llm_backend.fallback import extractive_answer
from llm_backend.prompt_text import detect_language
from llm_backend.tokens import EstimatingCounter, TokenCounter, count_messages
from llm_backend.types import ChatMessage, Completion, Passage

_FIRST_PASSAGE = re.compile(r"<passages>\n\[1\]([^\n]*)\n(.*?)(?:\n\n\[2\]|\n</passages>)", re.DOTALL)
_QUESTION = re.compile(r"<question>\n(.*?)\n</question>", re.DOTALL)


def read_prompt(messages: Sequence[ChatMessage]) -> tuple[list[Passage], str]:
    """The first passage and the question of a prompt built by ``build_rag_prompt``."""
    passages: list[Passage] = []
    question = ""
    for m in messages:
        if m.role != "user":
            continue
        found = _FIRST_PASSAGE.search(m.content)
        if found and not passages:
            passages = [Passage(ref="1", title=found.group(1).strip(), text=found.group(2).strip())]
        asked = _QUESTION.search(m.content)
        if asked:
            question = asked.group(1)
    return passages, question


class ExtractiveBackend:
    def __init__(self, *, context_tokens: int = 32768) -> None:
        self.model_name = "extractive"
        self.context_tokens = context_tokens
        self.counter: TokenCounter = EstimatingCounter()

    async def warm_up(self) -> None:
        return None

    def _answer(self, messages: Sequence[ChatMessage]) -> str:
        passages, question = read_prompt(messages)
        return extractive_answer(passages, question=question, lang=detect_language(question)).text

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Completion:
        if json_schema is not None:
            raise LLMUnavailable("no generative model is configured (LLM__BACKEND=extractive)")
        text = self._answer(messages)
        return Completion(text=text, model=self.model_name, finish_reason="stop")

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> AsyncIterator[str]:
        for line in self._answer(messages).splitlines(keepends=True):
            yield line

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return count_messages(self.counter, messages)

    async def health(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None
