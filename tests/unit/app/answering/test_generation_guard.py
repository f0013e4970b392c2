"""The generate stage runs the privacy stream guard's output check off the event loop (it can run spaCy),
one delta at a time: the customer sees the answer's text in the model's order, nothing lost or repeated.
Deltas that only join the pending text (no check) are fed on the loop, without the hop to a thread."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from llm_backend.config import LLMConfig
from llm_backend.testing import ScriptedLLM
from llm_backend.types import Passage
from privacy.stream import SentenceStreamGuard
from privacy.testing import RegexMasker
from privacy.types import Finding, OutputCheck, VaultState
from tests.unit.app.answering.streaming import answer_generator, stream_answer

ANSWER = (
    "Call 95396 at any time to freeze the card. A new card arrives in five working days. "
    "You can also freeze it in the app, under Cards, Security. There is no fee for a replacement [1]."
)


class ThreadRecordingMasker(RegexMasker):
    """The test masker with the real sentence guard; records the thread each ``feed`` and each output
    check (``check_output``, ``analyze``) runs on."""

    def __init__(self) -> None:
        super().__init__()
        self.feed_threads: list[int] = []
        self.check_threads: list[int] = []

    def check_output(
        self, text: str, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> OutputCheck:
        self.check_threads.append(threading.get_ident())
        return super().check_output(text, vault, lang, allowed_text=allowed_text)

    def analyze(self, text: str, lang: str | None = None) -> list[Finding]:
        self.check_threads.append(threading.get_ident())
        return super().analyze(text, lang)

    def stream_guard(  # type: ignore[override]
        self, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> SentenceStreamGuard:
        masker = self
        guard = SentenceStreamGuard(self, vault, lang, allowed_text=allowed_text)  # type: ignore[arg-type]
        feed = guard.feed

        def recording_feed(chunk: str) -> str:
            masker.feed_threads.append(threading.get_ident())
            return feed(chunk)

        guard.feed = recording_feed  # type: ignore[method-assign]
        return guard


async def test_the_guard_runs_off_the_loop_and_keeps_the_text_in_order() -> None:
    masker = ThreadRecordingMasker()
    generator = answer_generator(ScriptedLLM([ANSWER]), masker, LLMConfig(backend="extractive"))
    passages = [Passage(ref="faq-lost", text="Lost card: call 95396 at any time to freeze the card.")]
    chunks, final = await stream_answer(generator, "I lost my card, what do I do?", passages)
    assert final.reason is None
    assert "".join(chunks) == ANSWER == final.restored
    assert len([c for c in chunks if c]) >= 4  # released sentence by sentence, not all at the end
    loop_thread = threading.get_ident()
    assert len(masker.feed_threads) == len(ANSWER.split())
    assert len(masker.check_threads) >= 4
    assert loop_thread not in masker.check_threads  # every check ran off the loop
    assert loop_thread in masker.feed_threads  # the deltas that needed none were fed on the loop
