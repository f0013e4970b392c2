"""Running the generate stage alone in a test: an ``AnswerGenerator`` on given parts, and one streamed answer
(an English question, no history, an empty vault) read to its end."""

from __future__ import annotations

from collections.abc import Sequence

from app.answering.generation import AnswerGenerator, Generated
from app.chat.timing import StageClock
from app.chat.types import TokenChunk
from app.runtime.metrics import Metrics
from llm_backend.config import LLMConfig
from llm_backend.protocols import LLMClient
from llm_backend.testing import ScriptedLLM
from llm_backend.types import Passage
from privacy.protocols import PiiMasker
from privacy.types import VaultState


def answer_generator(llm: LLMClient, masker: PiiMasker, config: LLMConfig) -> AnswerGenerator:
    return AnswerGenerator(
        llm=llm, masker=masker, counter=ScriptedLLM().token_counter, config=config, metrics=Metrics()
    )


async def stream_answer(
    generator: AnswerGenerator, question: str, passages: Sequence[Passage]
) -> tuple[list[str], Generated]:
    """The text deltas the customer is sent, in order, and the final ``Generated``."""
    chunks: list[str] = []
    final: Generated | None = None
    async for item in generator.stream(
        question=question, passages=passages, history=[], lang="en", vault=VaultState(), clock=StageClock()
    ):
        if isinstance(item, TokenChunk):
            chunks.append(item.text)
        else:
            final = item
    assert final is not None
    return chunks, final
