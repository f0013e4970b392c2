"""Degraded answers: quote the top passage with its citation, or hand off.

Pure functions; the chat turn picks one according to ``LLMConfig.fallback``. The extractive answer is
always true to the knowledge base (it is a quote) and says plainly that it is one. Its lead says why we
quote (``FallbackKind``): ``unavailable`` when the model is down, slow or gave no output (the lead says the
assistant can't answer right now), ``ungrounded`` when the model did answer but the answer was withheld
(not supported by the passages, an echo of the question, or a recital of its instructions): the lead then
only says that this is the passage from our documents, claiming no outage that did not happen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from llm_backend.prompt_text import detect_language, no_answer_text
from llm_backend.types import Lang, Passage

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s")

FallbackKind = Literal["unavailable", "ungrounded"]

_LEAD: dict[FallbackKind, dict[Lang, str]] = {
    "unavailable": {
        "zh": "智能助手暂时无法生成回答，以下是知识库中最相关的内容：",
        "en": "Our assistant can't compose an answer right now. The most relevant passage from our documents:",
    },
    "ungrounded": {
        "zh": "以下是我们资料中与您问题最相关的内容：",
        "en": "Here is the most relevant passage from our documents:",
    },
}
_HANDOFF = {
    "zh": "智能助手暂时无法回答，正在为您转接人工客服，请稍候。",
    "en": "Our assistant can't answer right now. We're connecting you to a human agent, please hold on.",
}


@dataclass(frozen=True, slots=True)
class FallbackAnswer:
    text: str
    citations: tuple[str, ...]  # refs of the quoted passage(s)
    handoff: bool = False


def _clip(text: str, max_chars: int) -> str:
    """At most ``max_chars``, ending at a sentence boundary when one is near."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [m.start() for m in _SENTENCE_END.finditer(head)]
    cut = ends[-1] if ends and ends[-1] >= max_chars // 2 else max_chars
    return head[:cut].rstrip() + "…"


def extractive_answer(
    passages: Sequence[Passage],
    *,
    question: str = "",
    lang: Lang | None = None,
    max_chars: int = 400,
    kind: FallbackKind = "unavailable",
) -> FallbackAnswer:
    """The top passage, quoted and cited as ``[1]`` after the lead for ``kind``; the no-answer phrase when
    there is none."""
    lang = lang or detect_language(question)
    usable = [p for p in passages if p.text.strip()]
    if not usable:
        return FallbackAnswer(text=no_answer_text(lang), citations=())
    top = usable[0]
    title = f"{top.title.strip()}: " if top.title.strip() else ""
    quote = _clip(title + top.text, max_chars)
    return FallbackAnswer(text=f"{_LEAD[kind][lang]}\n{quote} [1]", citations=(top.ref,))


def outage_lead(lang: Lang) -> str:
    """The lead for an answer given while the model is down ("can't compose an answer right now")."""
    return _LEAD["unavailable"][lang]


def handoff_answer(*, question: str = "", lang: Lang | None = None) -> FallbackAnswer:
    lang = lang or detect_language(question)
    return FallbackAnswer(text=_HANDOFF[lang], citations=(), handoff=True)
