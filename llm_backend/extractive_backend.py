"""``ChatBackend`` with no generative model: answers by quoting the top passage of a built prompt.

Selected with ``LLM__BACKEND=extractive`` (a deployment without a model, or a drill of the degraded
mode). It reads the passages and the question back out of a prompt made by ``build_rag_prompt`` and
answers exactly as ``fallback.extractive_answer`` would, citing ``[1]``. Structured calls are refused
with ``LLMUnavailable`` (``model_free.ModelFreeBackend``): there is no model to fill a schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from llm_backend.fallback import extractive_answer
from llm_backend.model_free import ModelFreeBackend
from llm_backend.prompt_text import detect_language
from llm_backend.types import ChatMessage, Passage

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


class ExtractiveBackend(ModelFreeBackend):
    def __init__(self, *, context_tokens: int = 32768) -> None:
        super().__init__("extractive", context_tokens=context_tokens)

    def answer(self, messages: Sequence[ChatMessage]) -> str:
        passages, question = read_prompt(messages)
        return extractive_answer(passages, question=question, lang=detect_language(question)).text
