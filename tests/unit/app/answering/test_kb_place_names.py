"""The output check lets the bank's own branch and place names through (issue 11): a LOCATION that the
KB passage holds verbatim stays in the composed answer; the same kind of value the passages do not hold
is still redacted, and a phone number is redacted even when a passage holds it."""

from __future__ import annotations

from app.answering.generation import AnswerGenerator, Generated
from app.chat.timing import StageClock
from app.chat.types import TokenChunk
from app.runtime.metrics import Metrics
from llm_backend.client import ResilientLLMClient
from llm_backend.composer_backend import ComposerBackend
from llm_backend.config import LLMConfig
from llm_backend.testing import ScriptedLLM
from llm_backend.types import Passage
from privacy.testing import RegexMasker
from privacy.types import VaultState

BRANCH = "Airport Sub-branch"
PASSAGE = Passage(
    ref="faq-hours",
    title="Opening hours",
    text=f"All branches close at 17:00, except at {BRANCH} (until 22:00).",
)


async def _answer(generator: AnswerGenerator, question: str) -> tuple[str, Generated]:
    chunks: list[str] = []
    final: Generated | None = None
    async for item in generator.stream(
        question=question, passages=[PASSAGE], history=[], lang="en", vault=VaultState(), clock=StageClock()
    ):
        if isinstance(item, TokenChunk):
            chunks.append(item.text)
        else:
            final = item
    assert final is not None
    return "".join(chunks), final


async def test_the_composed_answer_keeps_the_branch_name_the_passage_gives() -> None:
    config = LLMConfig(backend="composer")
    generator = AnswerGenerator(
        llm=ResilientLLMClient(ComposerBackend(config.composer), config),
        masker=RegexMasker({BRANCH: "LOCATION", "Pudong Branch": "LOCATION"}),
        counter=ScriptedLLM().token_counter,
        config=config,
        metrics=Metrics(),
    )
    shown, final = await _answer(generator, "When do branches close?")
    assert BRANCH in final.restored
    assert BRANCH in final.masked
    assert BRANCH in shown
    assert "<LOCATION>" not in final.restored
    assert final.leaked == {}


async def test_a_place_or_phone_the_passages_do_not_vouch_for_is_still_redacted() -> None:
    reply = f"Open until 22:00 at {BRANCH} [1]. Pudong Branch too; call 021 5555 01234."
    passage_with_phone = Passage(ref="faq-hours", text=PASSAGE.text + " Call 021 5555 01234.")
    generator = AnswerGenerator(
        llm=ScriptedLLM([reply]),
        masker=RegexMasker({BRANCH: "LOCATION", "Pudong Branch": "LOCATION"}),
        counter=ScriptedLLM().token_counter,
        config=LLMConfig(backend="extractive"),
        metrics=Metrics(),
    )
    chunks: list[str] = []
    final: Generated | None = None
    async for item in generator.stream(
        question="When do branches close?",
        passages=[passage_with_phone],
        history=[],
        lang="en",
        vault=VaultState(),
        clock=StageClock(),
    ):
        if isinstance(item, TokenChunk):
            chunks.append(item.text)
        else:
            final = item
    assert final is not None
    text = "".join(chunks)
    assert BRANCH in text
    assert "Pudong Branch" not in text
    assert "<LOCATION>" in text
    assert "5555" not in text
    assert "<PHONE_NUMBER>" in text
    assert final.leaked == {"LOCATION": 1, "PHONE_NUMBER": 1}
