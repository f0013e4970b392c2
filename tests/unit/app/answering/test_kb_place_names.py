"""The output check lets the bank's own branch and place names through (issue 11): a LOCATION that the
KB passage holds verbatim stays in the composed answer; the same kind of value the passages do not hold
is still redacted, and a phone number is redacted even when a passage holds it."""

from __future__ import annotations

from app.answering.generation import AnswerGenerator, Generated
from llm_backend.client import ResilientLLMClient
from llm_backend.composer_backend import ComposerBackend
from llm_backend.config import LLMConfig
from llm_backend.testing import ScriptedLLM
from llm_backend.types import Passage
from privacy.testing import RegexMasker
from tests.unit.app.answering.streaming import answer_generator, stream_answer

BRANCH = "Airport Sub-branch"
PASSAGE = Passage(
    ref="faq-hours",
    title="Opening hours",
    text=f"All branches close at 17:00, except at {BRANCH} (until 22:00).",
)


async def _answer(
    generator: AnswerGenerator, question: str, passage: Passage = PASSAGE
) -> tuple[str, Generated]:
    chunks, final = await stream_answer(generator, question, [passage])
    return "".join(chunks), final


async def test_the_composed_answer_keeps_the_branch_name_the_passage_gives() -> None:
    config = LLMConfig(backend="composer")
    generator = answer_generator(
        ResilientLLMClient(ComposerBackend(config.composer), config),
        RegexMasker({BRANCH: "LOCATION", "Pudong Branch": "LOCATION"}),
        config,
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
    generator = answer_generator(
        ScriptedLLM([reply]),
        RegexMasker({BRANCH: "LOCATION", "Pudong Branch": "LOCATION"}),
        LLMConfig(backend="extractive"),
    )
    text, final = await _answer(generator, "When do branches close?", passage_with_phone)
    assert BRANCH in text
    assert "Pudong Branch" not in text
    assert "<LOCATION>" in text
    assert "5555" not in text
    assert "<PHONE_NUMBER>" in text
    assert final.leaked == {"LOCATION": 1, "PHONE_NUMBER": 1}
