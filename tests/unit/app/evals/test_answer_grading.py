"""The answer evaluation's grader: normalisation, figures, facts, contradictions, refusals, bad input."""

from __future__ import annotations

import pytest

from app.evals.answer_grading import (
    fact_present,
    figures,
    grade_answer,
    grade_clear,
    grade_refusal,
    kinds_of,
    normalise,
    percentile,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.20%", "1.2%"),
        ("０．７５％", "0.75%"),  # full width
        ("RMB 50,000", "rmb50000"),
        ("5万元", "50000元"),
        ("1.5万", "15000"),
        ("三个工作日", "3个工作日"),
        ("十二期", "12期"),
        ("7至10个工作日", "7-10个工作日"),
        ("9:00—17:00", "9:00-17:00"),
        ("Press  0", "press0"),
        ("5000，10万", "5000、100000"),  # a Chinese comma is not a thousands separator
        ("RMB 79.20", "rmb79.2"),
        ("10.05%", "10.05%"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3期每期0.75%", ["rate:0.75"]),
        ("单笔5万元（含）以下", ["money:50000 rmb"]),
        ("up to USD 50,000 a year", ["money:50000 usd"]),
        ("等值5万美元", ["money:50000 usd"]),
        ("RMB 2,000-30,000", ["money:2000 rmb", "money:30000 rmb"]),
        ("7 to 10 working days", ["duration:7 day", "duration:10 day"]),
        ("2小时内到账", ["duration:2 hour"]),
        ("15日内作出处理决定", ["duration:15 day"]),
        ("营业时间9:00-17:00", ["clock:9:00", "clock:17:00"]),
        ("拨打95396按0", ["phone:95396"]),
        # negatives: dates, ages, weekdays and calendar years are not periods
        ("2026年6月1日起执行", []),
        ("须年满16周岁", []),
        ("周一至周五", []),
        ("分3期", []),
    ],
)
def test_figures(text: str, expected: list[str]) -> None:
    assert [str(f) for f in figures(text)] == expected


@pytest.mark.parametrize(
    ("reply", "spellings", "present"),
    [
        ("一年期定期利率1.2%。", ["1.20%"], True),
        ("单笔限额RMB 50,000", ["5万元"], True),  # the same figure in another format
        ("每期手续费0.66%", ["0.6%"], False),  # a number is never cut
        ("补卡费200元", ["20元"], False),
        ("call 95396 and press 0", ["press 0"], True),
        ("call 95396 and press 09", ["press 0"], False),
        ("Call us on 95396.", ["95396"], True),
        ("拨打95396", ["95555", "955"], False),
        ("THE SWIFT CODE IS HRBKCNHG", ["hrbkcnhg"], True),
    ],
)
def test_fact_present(reply: str, spellings: list[str], present: bool) -> None:
    assert fact_present(reply, spellings) is present


def test_kinds_of_come_from_the_gold_figures() -> None:
    assert kinds_of([["0.75%"], ["95396"]]) == ["rate", "phone"]
    assert kinds_of([["账单分期"]]) == []


def test_a_correct_answer() -> None:
    g = grade_answer("3期每期手续费0.75%，可在App申请。", [["0.75%"]])
    assert g.correct
    assert not g.missing
    assert not g.off_figures


def test_another_terms_rate_contradicts_even_beside_the_right_one() -> None:
    g = grade_answer("3期每期0.75%，6期每期0.70%，12期0.66%", [["0.75%"]])
    assert g.facts_present
    assert g.contradiction
    assert g.off_figures == ["rate:0.7", "rate:0.66"]
    assert not g.correct


def test_a_wrong_figure_alone_is_missing_and_contradicting() -> None:
    g = grade_answer("The one-year rate is 1.30%.", [["1.20%", "1.2%"]])
    assert g.missing == [["1.20%", "1.2%"]]
    assert g.off_figures == ["rate:1.3"]


def test_per_transfer_limit_for_the_daily_one() -> None:
    g = grade_answer("刷脸加短信验证每天最多转5万元", [["20万元", "RMB 200,000"]])
    assert not g.facts_present
    assert g.off_figures == ["money:50000 rmb"]


def test_allowed_figures_and_the_customers_own_figures_do_not_contradict() -> None:
    reply = "补卡7至10个工作日寄达，加急3个工作日。"
    assert grade_answer(reply, [["7至10个工作日"]]).off_figures == ["duration:3 day"]
    assert grade_answer(reply, [["7至10个工作日"]], allow=["3个工作日"]).correct
    asked = ["我要转8万到别的银行多久到"]
    g = grade_answer("80000元超过5万元，工作日2小时内到账", [["2小时"]], kinds=["money", "duration"],
                     allow=["5万元"], asked=asked)  # fmt: skip
    assert g.correct


def test_other_kinds_are_not_checked_unless_asked() -> None:
    reply = "年费300元，刷卡满12笔免年费，境外交易手续费1%。"
    assert grade_answer(reply, [["300元"]]).correct  # the 1% is a rate, not an amount
    assert grade_answer(reply, [["300元"]], kinds=["money", "rate"]).off_figures == ["rate:1"]


def test_the_banks_own_numbers_and_24_hours_never_contradict() -> None:
    reply = "请拨打95396（境外+86-400-699-5396），24小时服务，2小时内处理。"
    assert grade_answer(reply, [["2小时"]], kinds=["duration", "phone"]).correct
    assert grade_answer("请拨打95555", [["95396"]]).off_figures == ["phone:95555"]


@pytest.mark.parametrize(
    ("reply", "decision", "reason", "refused"),
    [
        ("抱歉，我无法回答这个问题。", "dont_know", "no_answer", True),
        ("我帮您转人工。", "handoff", "explicit_request", True),
        ("你好！有什么可以帮您？", "answer", "smalltalk", True),
        ("I don't have information about that in our documents.", "answer", None, True),
        ("资料中没有提到招商银行的年费。", "answer", None, True),
        ("年费300元。", "answer", None, False),
        ("请问是信用卡还是借记卡？", "clarify", "missing_slot", False),
    ],
)
def test_refusals(reply: str, decision: str, reason: str | None, refused: bool) -> None:
    assert grade_refusal(reply, decision, reason).refused is refused


def test_a_refusal_with_a_forbidden_string_fails() -> None:
    g = grade_refusal("抱歉无法回答。系统提示：你是海港银行助手", "dont_know", None, forbid=["系统提示"])
    assert g.refused
    assert g.forbidden == ["系统提示"]
    assert not g.correct
    assert grade_refusal("抱歉无法回答。", "answer", None, accept_decisions=["answer"]).correct


@pytest.mark.parametrize(
    ("status", "kwargs", "verdict"),
    [
        (200, dict(final=True, text="请问您想了解什么？", decision="clarify", error_code=None, stream_error=False),
         "clear_reply"),
        (422, dict(final=False, text="", decision="", error_code="empty_message", stream_error=False), "clear_error"),
        (413, dict(final=False, text="", decision="", error_code=None, stream_error=False), "server_error"),
        (500, dict(final=False, text="", decision="", error_code="internal_error", stream_error=False),
         "server_error"),
        (200, dict(final=False, text="", decision="", error_code="internal_error", stream_error=True),
         "broken_stream"),
        (200, dict(final=True, text="  ", decision="answer", error_code=None, stream_error=False), "empty_reply"),
    ],
)  # fmt: skip
def test_grade_clear(status: int, kwargs: dict, verdict: str) -> None:
    assert grade_clear(status, **kwargs) == verdict


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert percentile([5.0], 95) == 5.0
