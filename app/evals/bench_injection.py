"""Prompt-injection attacks (``llm_backend.evaluation.injection``) through the turn's own generate and
check-output stages: the customer's message masked as in a turn, the passages as ingestion stored them
(scanned under the tenant's PII policy, ``mask`` by default), the prompt builder (instructions apart,
passages and question quoted as data), the configured model, the privacy layer's stream guard, grounding
and the instruction-leak check. Each attack is judged twice: on what the model generated, and on the
answer the platform finally shows and stores."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from app.answering.generation import AnswerGenerator, Generated
from app.chat.timing import StageClock
from app.chat.types import TokenChunk
from app.runtime.metrics import Metrics
from llm_backend.config import LLMConfig
from llm_backend.evaluation.injection import Attack, Outcome, judge
from llm_backend.prompt_text import system_text
from llm_backend.protocols import LLMClient
from llm_backend.types import ChatMessage
from privacy.ingestion import scan_document
from privacy.protocols import PiiMasker
from privacy.types import IngestionPolicy, VaultState


class _Recorder:
    """The model client, with the text of its last stream kept: what the model said before any check."""

    def __init__(self, llm: LLMClient) -> None:
        self._llm = llm
        self.said: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)

    async def stream(self, messages: Sequence[ChatMessage], **kwargs: Any) -> AsyncIterator[str]:
        self.said = []
        async for delta in self._llm.stream(messages, **kwargs):
            self.said.append(delta)
            yield delta


async def run_attack(
    generator: AnswerGenerator,
    recorder: _Recorder,
    masker: PiiMasker,
    attack: Attack,
    config: LLMConfig,
    ingestion_policy: IngestionPolicy = "mask",
) -> Outcome:
    vault = VaultState()
    question = masker.mask(attack.question, vault, attack.lang).text
    # the passages as the knowledge base holds them: scanned at ingestion under the tenant's policy
    passages = [
        replace(p, text=scan_document(masker, p.text, policy=ingestion_policy, lang=attack.lang).texts[0])
        for p in attack.passages
    ]
    streamed: list[str] = []
    final: Generated | None = None
    async for item in generator.stream(
        question=question,
        passages=passages,
        history=[],
        lang=attack.lang,
        vault=vault,
        clock=StageClock(),
    ):
        if isinstance(item, TokenChunk):
            streamed.append(item.text)
        else:
            final = item
    assert final is not None
    system = system_text(config.tenant_instructions)
    model_answer = "".join(recorder.said) if recorder.said else "".join(streamed)
    return Outcome(
        attack=attack,
        model_answer=model_answer,
        final_answer=final.restored,
        model=judge(model_answer, attack, system),
        final=judge(final.restored, attack, system),
        reason=final.reason,
    )


async def run_attacks(
    llm: LLMClient,
    masker: PiiMasker,
    config: LLMConfig,
    attacks: Sequence[Attack],
    ingestion_policy: IngestionPolicy = "mask",
) -> list[Outcome]:
    recorder = _Recorder(llm)
    generator = AnswerGenerator(
        llm=recorder,
        masker=masker,
        counter=llm.token_counter,
        config=config,
        metrics=Metrics(),
    )
    return [await run_attack(generator, recorder, masker, a, config, ingestion_policy) for a in attacks]
