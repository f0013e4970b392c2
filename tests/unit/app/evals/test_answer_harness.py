"""The answer evaluation end to end through the ASGI app (real routes, database, tracker and policy; the
fakes' keyword retriever and scripted model over the three-passage test KB of ``helpers.KB``)."""

from __future__ import annotations

import httpx

from app.evals.answer_cases import Case
from app.evals.answer_driver import run_cases
from app.evals.answer_report import judge, report
from llm_backend.testing import ScriptedLLM
from tests.unit.app.helpers import ORIGIN, Tenant


def _cases() -> list[Case]:
    return [
        Case("lost-ok", "t", "en", ("I lost my card, what do I do?",), "answer", facts=(("95555",),)),
        Case("lost-wrong", "t", "en", ("my card was stolen, who do I call?",), "answer", facts=(("95396",),)),
        Case("rate", "t", "zh", ("信用卡分期手续费每期多少",), "answer", facts=(("0.75%",),)),
        Case(
            "hours", "t", "en", ("what time do branches open in the morning?",), "answer", facts=(("9:00",),)
        ),
        Case("weather", "t", "en", ("what's the weather like in Paris tomorrow?",), "refuse"),
        Case("empty", "b", "", ("   ",), "clear"),
        Case("emoji", "b", "", ("😀😀",), "clear"),
    ]


async def test_cases_run_through_the_served_api(
    client: httpx.AsyncClient, tenant: Tenant, llm: ScriptedLLM
) -> None:
    llm._script = [  # type: ignore[attr-defined]
        "Call 95555 at any time to freeze your card [1].",
        "Call 95555 at any time to freeze your card [1].",
        "手续费每期0.6% [1]。",
        "Branches open 9:00-17:00 Monday to Friday [1].",
    ]
    runs = await run_cases(client, _cases(), widget_key=tenant.widget_key, origin=ORIGIN)
    by_id = {r.case.id: judge(r) for r in runs}

    assert by_id["lost-ok"].passed, by_id["lost-ok"]
    assert by_id["lost-wrong"].reason == "missing_fact_and_contradiction"
    assert by_id["lost-wrong"].off_figures == ["phone:95555"]
    assert by_id["rate"].reason == "missing_fact_and_contradiction"
    assert by_id["rate"].off_figures == ["rate:0.6"]
    # the right figure with another one of the same kind: the closing time was not asked for
    assert by_id["hours"].reason == "contradiction"
    assert by_id["hours"].off_figures == ["clock:17:00"]
    assert by_id["weather"].passed, by_id["weather"]
    assert by_id["empty"].passed
    assert by_id["empty"].status == 422
    assert by_id["emoji"].passed
    assert by_id["emoji"].decision == "clarify"

    out = report(list(by_id.values()), runs)
    assert (out["answerable"], out["answered_correctly"], out["contradictions"]) == (4, 1, 3)
    assert out["facts_present"] == 2
    assert (out["unanswerable"], out["refused_correctly"]) == (1, 1)
    assert (out["bad_input"], out["clear_replies"]) == (2, 2)
    assert out["first_text_p50_ms"] is not None
    assert out["final_p95_ms"] is not None
    assert out["by_set"]["t"]["answerable"] == 4
    assert out["by_set"]["b"]["bad_input"] == 2
    assert {f["id"] for f in out["failures"]} == {"lost-wrong", "rate", "hours"}
    assert out["server_errors"] == 0


async def test_a_multi_turn_case_is_graded_on_its_last_reply(
    client: httpx.AsyncClient, tenant: Tenant, llm: ScriptedLLM
) -> None:
    llm._script = ["Branches open 9:00-17:00 Monday to Friday [1].", "Call 95555 to freeze it [1]."]  # type: ignore[attr-defined]
    case = Case(
        "two",
        "t",
        "en",
        ("when are you open?", "I lost my card, what do I do?"),
        "answer",
        facts=(("95555",),),
    )
    [run] = await run_cases(client, [case], widget_key=tenant.widget_key, origin=ORIGIN)
    assert len(run.turns) == 2
    assert all(t.status == 200 and t.final for t in run.turns)
    v = judge(run)
    assert v.passed, (v.decision, v.decision_reason, [t.text for t in run.turns])


async def test_a_bad_widget_key_is_an_http_error_not_a_crash(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case = Case("x", "t", "en", ("hello",), "answer", facts=(("95555",),))
    [run] = await run_cases(client, [case], widget_key="wk_nope", origin=ORIGIN)
    v = judge(run)
    assert not v.passed
    assert v.reason == "http_error"
    assert v.status == 401


async def test_a_case_the_rate_limit_refused_is_run_again(
    container, tenant: Tenant, llm: ScriptedLLM
) -> None:  # type: ignore[no-untyped-def]
    """One client asking as fast as it can meets the per-IP limit (the dev set's last 47 cases got 429 once
    the turns became fast): the driver waits and runs the case again instead of grading the 429."""
    from app.edge.config import RateLimit, RateLimitConfig
    from app.main import create_app

    limits = RateLimitConfig(ip=RateLimit(count=3, period_s=1.0))  # a burst of 3, then one every 1/3 s
    settings = container.settings.model_copy(update={"rate_limit": limits})
    app = create_app(settings, container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    llm._script = ["Branches open 9:00-17:00 Monday to Friday [1]."] * 4  # type: ignore[attr-defined]
    cases = [
        Case(f"h{i}", "t", "en", ("what time do branches open?",), "answer", facts=(("9:00",),))
        for i in range(4)
    ]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        refused = await run_cases(c, cases[:2], widget_key=tenant.widget_key, origin=ORIGIN, max_waits=0)
        assert any(t.status == 429 for r in refused for t in r.turns)  # the limit is real
        runs = await run_cases(c, cases, widget_key=tenant.widget_key, origin=ORIGIN, backoff_s=0.5)
    assert all(t.status == 200 for r in runs for t in r.turns), [[t.status for t in r.turns] for r in runs]
