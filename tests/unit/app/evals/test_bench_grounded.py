"""``kefu eval llm-answers`` grades the model's raw answer and, beside it, the answer the chat turn serves
(the turn's own ``settle_answer``): an uncited answer gets its citation, an unsupported one becomes the
quoted passage, a failed call the degraded answer."""

from __future__ import annotations

from pathlib import Path

from app.evals.bench_grounded import turn_server
from llm_backend.config import LLMConfig
from llm_backend.evaluation.grounded import evaluate, load_items
from llm_backend.prompt_text import NO_ANSWER_EN
from llm_backend.testing import ScriptedLLM

DEMO_KB = Path(__file__).resolve().parents[4] / "data" / "demo_kb"


async def test_raw_and_served_answers_are_graded_side_by_side() -> None:
    items, ranker = load_items(DEMO_KB)
    by_id = {i["id"]: i for i in items}
    chosen = [by_id["ae-02"], by_id["ae-01"], by_id["ae-32"]]
    llm = ScriptedLLM(
        [
            "Call 95396 and press 0 to report a lost or stolen card.",  # right, but no [n]
            "Our mascot is a friendly blue whale named Harbor.",  # nothing supports it
            NO_ANSWER_EN,
        ]
    )
    config = LLMConfig()
    report = await evaluate(llm, config, chosen, ranker, serve=turn_server(config))

    lost, instalments, missing = report.rows
    assert (lost.cites_relevant, lost.has_facts) == (False, True)
    assert (lost.served_cites_relevant, lost.served_has_facts, lost.served_reason) == (True, True, "")
    assert lost.served_answer.startswith(lost.answer + " [")

    assert (instalments.cites_relevant, instalments.has_facts) == (False, False)
    assert instalments.served_reason == "llm_unsupported"
    assert "账单分期" in instalments.served_answer  # the composed answer: the app's steps, cited
    assert instalments.served_answer.rstrip().endswith("]")
    assert instalments.served_cites_relevant

    assert missing.said_no_answer
    assert missing.served_no_answer

    table = report.markdown()
    assert "| model's raw answer | 0/2 | 1/2 (0/1 / 1/1) | 0/2 | 0/2 | 1/1 |" in table
    assert "| served (after the turn's checks) | 2/2 |" in table
    assert "llm_unsupported 1" in table


async def test_a_failed_call_is_served_the_degraded_answer() -> None:
    items, ranker = load_items(DEMO_KB)
    config = LLMConfig()
    report = await evaluate(ScriptedLLM(down=True), config, items[:1], ranker, serve=turn_server(config))
    row = report.rows[0]
    assert row.error
    assert row.answer == ""
    assert row.served_reason == "llm_fallback"
    assert row.served_answer.startswith("智能助手暂时无法生成回答")


async def test_without_a_serve_function_only_the_raw_answer_is_reported() -> None:
    items, ranker = load_items(DEMO_KB)
    report = await evaluate(ScriptedLLM(), LLMConfig(), items[:2], ranker)
    assert "model's raw answer" in report.markdown()
    assert "served" not in report.markdown()
    assert all(r.served_answer == "" for r in report.rows)


async def test_a_slow_model_is_served_the_composed_answer_without_the_outage_lead() -> None:
    from llm_backend.errors import LLMTimeout

    class Slow(ScriptedLLM):
        async def complete(self, messages, *, max_tokens=None, temperature=0.0):  # type: ignore[no-untyped-def]
            raise LLMTimeout("no answer within 600 s")

    items, ranker = load_items(DEMO_KB)
    config = LLMConfig()
    report = await evaluate(Slow(), config, items[:1], ranker, serve=turn_server(config))
    row = report.rows[0]
    assert (row.error, row.served_reason) == ("llm_timeout", "llm_slow")
    assert not row.served_answer.startswith("智能助手暂时无法生成回答")
    assert "账单分期" in row.served_answer
