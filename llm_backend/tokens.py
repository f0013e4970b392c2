"""Counting tokens before sending: an exact counter from the model's vocabulary, and a cautious estimate.

The prompt builder takes any ``TokenCounter``. ``LlamaVocabCounter`` loads only the vocabulary of a GGUF
(a few MB, milliseconds) and counts exactly for that model family (Qwen2.5 / Qwen3 share it) — offline
only (see its docstring).
``EstimatingCounter`` needs nothing and errs on the high side: one token per CJK character, digit or
punctuation mark, one per 3 letters of a word — byte-level BPEs (Qwen, Llama, DeepSeek) need fewer for
common text, so budgets stay safe; rare characters can cost more, which is why a server-side count
(``/tokenize``) is taken before sending a prompt close to the window.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from llm_backend.types import ChatMessage

# Tokens a chat template adds around each message (ChatML: "<|im_start|>role\n" ... "<|im_end|>\n").
MESSAGE_OVERHEAD = 5
# Tokens of the generation prompt ("<|im_start|>assistant\n").
REPLY_OVERHEAD = 3

# The estimate, piece by piece: a run of ASCII letters costs ceil(len / 3); a run of whitespace costs 1 if it
# holds a newline, else 0; any other character (CJK, digit, punctuation, non-ASCII letter) costs 1.
_LETTER_RUNS = re.compile(r"[A-Za-z]+")
_OTHER_CHARS = re.compile(r"[^A-Za-z\s]")
_NEWLINE_RUNS = re.compile(r"\s*\n\s*")
# The prompt builder counts the same texts turn after turn (the KB's passages, the prefixes its binary
# search tries on them, the system message): the estimate is pure, so it is kept for recent texts. Keys are
# prompt texts, which are masked (no clear PII reaches the prompt); memory stays bounded by the size.
ESTIMATE_CACHE_SIZE = 4096


@runtime_checkable
class TokenCounter(Protocol):
    """Counts tokens of plain text. Pure and thread-safe; ``count("") == 0``; never raises on any str."""

    def count(self, text: str) -> int: ...


def count_messages(counter: TokenCounter, messages: Sequence[ChatMessage]) -> int:
    """Tokens of a chat prompt as a ChatML template renders it, generation prompt included."""
    return sum(counter.count(m.content) + MESSAGE_OVERHEAD for m in messages) + REPLY_OVERHEAD


class EstimatingCounter:
    """Upper-bound estimate without a tokenizer (see module docstring)."""

    def count(self, text: str) -> int:
        return _estimate(text) if text else 0


@lru_cache(maxsize=ESTIMATE_CACHE_SIZE)
def _estimate(text: str) -> int:
    letters = sum((len(run) + 2) // 3 for run in _LETTER_RUNS.findall(text))
    return letters + len(_OTHER_CHARS.findall(text)) + len(_NEWLINE_RUNS.findall(text))


class LlamaVocabCounter:
    """Exact counts from a GGUF's vocabulary (``llama_cpp.Llama(vocab_only=True)``), for offline use.

    Never in a process where llama.cpp is generating on another thread: concurrent tokenization crashed
    the process here (``LlamaCppBackend`` counts on its own worker thread instead). ``warm_up()`` loads
    the vocabulary; ``count`` before it raises ``RuntimeError``.
    """

    def __init__(self, model_path: Path) -> None:
        self._path = model_path
        self._vocab: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._vocab is None:
            from llama_cpp import Llama

            self._vocab = Llama(model_path=str(self._path), vocab_only=True, verbose=False)

    def count(self, text: str) -> int:
        if self._vocab is None:
            raise RuntimeError("LlamaVocabCounter.count() called before warm_up()")
        if not text:
            return 0
        with self._lock:
            return len(self._vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))
