"""``ChatBackend`` with no model that answers with the composer (``LLM__BACKEND=composer``, the default).

It reads a prompt made by ``build_rag_prompt``: when the turn put the composer's evidence after the
question (``prompts.with_evidence``), the answer is that evidence, verbatim; otherwise it composes one
from the prompt's own passages and question. Either way the answer is the passages' clauses with their
``[n]``, so it goes through the same checks as a model's (output PII check, grounding, citations).
Structured calls are refused with ``LLMUnavailable`` (``model_free.ModelFreeBackend``): there is no model
to fill a schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from llm_backend.composer import ClauseComposer
from llm_backend.config import ComposerConfig
from llm_backend.model_free import ModelFreeBackend
from llm_backend.prompt_text import detect_language, read_evidence
from llm_backend.types import ChatMessage, Passage

_PASSAGES = re.compile(r"<passages>\n(.*?)\n</passages>", re.DOTALL)
_ONE = re.compile(r"^\[(\d+)\]([^\n]*)\n", re.MULTILINE)
_QUESTION = re.compile(r"<question>\n(.*?)\n</question>", re.DOTALL)


def read_passages(messages: Sequence[ChatMessage]) -> tuple[list[Passage], str]:
    """All numbered passages (ref = their number) and the last question of a ``build_rag_prompt`` prompt:
    its one passage block (block layout) or every turn's (append layout, numbered on across them)."""
    passages: list[Passage] = []
    question = ""
    for m in messages:
        if m.role != "user":
            continue
        for block in _PASSAGES.finditer(m.content):
            body = block.group(1)
            heads = list(_ONE.finditer(body))
            for i, head in enumerate(heads):
                end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
                text = body[head.end() : end].strip()
                passages.append(Passage(ref=head.group(1), title=head.group(2).strip(), text=text))
        asked = _QUESTION.search(m.content)
        if asked:
            question = asked.group(1)
    return passages, question


class ComposerBackend(ModelFreeBackend):
    def __init__(self, config: ComposerConfig | None = None, *, context_tokens: int = 32768) -> None:
        super().__init__("composer", context_tokens=context_tokens)
        self._composer = ClauseComposer(config)

    def answer(self, messages: Sequence[ChatMessage]) -> str:
        last = next((m.content for m in reversed(messages) if m.role == "user"), "")
        evidence = read_evidence(last)
        if evidence is not None and evidence.strip():
            return evidence
        passages, question = read_passages(messages)
        # numbered as in the prompt: composing over them in order keeps each [n]
        return self._composer.compose(question, passages, lang=detect_language(question)).text
