"""Wire-neutral types crossing the LLM seam (chat messages, completions, prompt parts, cached answers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["system", "user", "assistant"]
Lang = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int | None = None  # prompt tokens served from the server's prefix cache
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved passage offered to the model as quotable data.

    ``ref`` is the caller's stable id (a chunk id); the prompt numbers passages ``[1]..[n]`` and
    ``BuiltPrompt.citations`` maps those numbers back to refs.
    """

    ref: str
    text: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class PromptUsage:
    """Tokens per prompt part after budgeting, and what trimming dropped."""

    system: int
    passages: int
    history: int
    question: int
    total: int
    dropped_history_messages: int = 0
    dropped_passages: int = 0
    truncated_question: bool = False


@dataclass(frozen=True, slots=True)
class PromptTurn:
    """One customer turn of an append-layout prompt (``PromptConfig.layout = "append"``): what it asked and
    the passages it introduced, enough to render its message again byte for byte on later turns.

    ``asked`` is the customer's message as it stands in the history (masked, stripped; how a later turn
    finds it there), ``question`` what the prompt showed of it (cut to ``question_tokens``), ``passages``
    the passages this turn added, in number order (numbered on from the turns kept before it).
    """

    asked: str
    question: str
    lang: Lang
    passages: tuple[Passage, ...] = ()


@dataclass(frozen=True, slots=True)
class BuiltPrompt:
    """The output of the prompt builder: messages to send, and how to read the answer's citations.

    ``citations[n - 1]`` is the ``ref`` of passage ``[n]``. ``shown`` is the passages in prompt order: pass
    it back as ``carried`` on the next turn of the same conversation to keep the prefix cache warm (block
    layout). ``turns``: the append layout's kept customer turns, this one last, each with the passages it
    introduced: pass it back as ``earlier`` on the next turn (empty in the block layout).
    """

    messages: tuple[ChatMessage, ...]
    citations: tuple[str, ...]
    shown: tuple[Passage, ...]
    lang: Lang
    usage: PromptUsage
    turns: tuple[PromptTurn, ...] = ()


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """An answer worth reusing: the text as sent to the customer and the refs it cited."""

    text: str
    citations: tuple[str, ...] = ()
    lang: Lang = "zh"


@dataclass(frozen=True, slots=True)
class CacheHit:
    answer: CachedAnswer
    kind: Literal["exact", "semantic"]
    similarity: float
    matched_question: str = field(default="")
    origin: str | None = None  # the conversation the cached question was first asked in
