"""CPU default (llama.cpp in-process): TTFT and decode speed for typical RAG prompts, zh and en, and
what llama.cpp's prefix reuse saves on a follow-up turn (warm vs cold TTFT, same prompt, side by side)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from llm_backend.client import ResilientLLMClient
from llm_backend.config import LLMConfig
from llm_backend.evaluation.speed import StreamTiming, median, time_stream
from llm_backend.evaluation.toy_kb import LexicalRanker, load_demo_kb
from llm_backend.llama_cpp_backend import LlamaCppBackend
from llm_backend.prompts import build_rag_prompt
from llm_backend.types import BuiltPrompt, ChatMessage, Lang

QUESTIONS: dict[Lang, list[tuple[str, str]]] = {
    "zh": [
        ("白金卡年费多少？怎样可以免年费？", "那金卡呢？"),
        ("借记卡丢了，电话挂失的有效期是几天？", "过期以后怎么办？"),
    ],
    "en": [
        (
            "What is the annual fee for the Harbor Gold Card, and how can I get it waived?",
            "And the Platinum card?",
        ),
        ("How long does it take to receive a replacement credit card?", "Can I get it faster?"),
    ],
}


@dataclass
class CpuReport:
    model: str
    threads: int
    cold: dict[Lang, list[StreamTiming]]
    followup_warm: list[StreamTiming]
    followup_cold: list[StreamTiming]

    def markdown(self) -> str:
        rows = ["| lang | runs | prompt tokens (median) | TTFT s (median) | decode tokens/s (median) | answer tokens |",
                "|---|---|---|---|---|---|"]  # fmt: skip
        for lang, runs in self.cold.items():
            rows.append(
                f"| {lang} | {len(runs)} | {median([r.prompt_tokens for r in runs]):.0f} | "
                f"{median([r.ttft_s for r in runs]):.2f} | {median([r.decode_tokens_per_s for r in runs]):.1f} | "
                f"{median([r.answer_tokens for r in runs]):.0f} |"
            )
        warm = median([r.ttft_s for r in self.followup_warm])
        cold = median([r.ttft_s for r in self.followup_cold])
        rows.append("")
        rows.append(
            f"Follow-up turn (same conversation, prompt extends the previous one), median of "
            f"{len(self.followup_warm)}: TTFT {warm:.2f} s with llama.cpp's KV prefix reuse vs {cold:.2f} s "
            f"cold (cache reset), ratio {warm / cold:.2f}."
        )
        return "\n".join(rows)


def _prompt(client: ResilientLLMClient, config: LLMConfig, question: str, ranker: LexicalRanker, lang: Lang,
            history: list[ChatMessage] | None = None, carried: BuiltPrompt | None = None) -> BuiltPrompt:  # fmt: skip
    passages = [p.passage for p in ranker.top(question, 4, lang)]
    return build_rag_prompt(
        question, passages, counter=client.token_counter, config=config.prompt,
        context_tokens=client.context_tokens, answer_tokens=config.max_tokens, history=history or [],
        carried=carried.shown if carried else (), lang=lang,
    )  # fmt: skip


async def run_cpu_default(
    config: LLMConfig,
    data_dir: Path,
    demo_kb: Path,
    *,
    runs: int = 2,
    pairs: int = 2,
    on_timing: Callable[[str, StreamTiming], None] | None = None,
) -> CpuReport:
    """``pairs`` questions per language (first turn + follow-up), each first turn timed ``runs`` times cold;
    ``on_timing(label, timing)`` sees each measurement as it is made."""
    questions = {lang: qs[:pairs] for lang, qs in QUESTIONS.items()}

    def seen(label: str, timing: StreamTiming) -> StreamTiming:
        if on_timing is not None:
            on_timing(label, timing)
        return timing

    backend = LlamaCppBackend(config, data_dir)
    client = ResilientLLMClient(backend, config)
    await client.warm_up()
    ranker = LexicalRanker(load_demo_kb(demo_kb))
    report = CpuReport(client.model_name, config.n_threads, {"zh": [], "en": []}, [], [])
    try:
        for _ in range(runs):
            for lang, asked in questions.items():
                for first, _follow in asked:
                    await backend.reset_cache()
                    built = _prompt(client, config, first, ranker, lang)
                    timing = await time_stream(client, built.messages, max_tokens=config.max_tokens)
                    report.cold[lang].append(seen(f"cold {lang}", timing))
        for lang, asked in questions.items():
            for first, follow in asked:
                await backend.reset_cache()
                turn1 = _prompt(client, config, first, ranker, lang)
                answer = seen(
                    f"turn 1 {lang}", await time_stream(client, turn1.messages, max_tokens=config.max_tokens)
                )
                history = [ChatMessage("user", first), ChatMessage("assistant", answer.text)]
                turn2 = _prompt(client, config, follow, ranker, lang, history, turn1)
                warm = await time_stream(client, turn2.messages, max_tokens=16)
                report.followup_warm.append(seen(f"follow-up warm {lang}", warm))
                await backend.reset_cache()
                cold = await time_stream(client, turn2.messages, max_tokens=16)
                report.followup_cold.append(seen(f"follow-up cold {lang}", cold))
    finally:
        await client.aclose()
    return report
