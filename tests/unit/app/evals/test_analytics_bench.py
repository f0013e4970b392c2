"""``kefu bench analytics``'s pieces: the pair scoring counts right, and the seeded conversations are what
the report then counts (on the unit tests' SQLite database)."""

from __future__ import annotations

from datetime import date

from app.container import Container
from app.evals import analytics_bench as ab


def test_pair_agreement_counts_precision_and_recall() -> None:
    pairs = [
        ab.Pair("如何注销账户", "怎么注销账户", True),  # Dice 0.6: merged at <= 0.6
        ab.Pair("信用卡年费多少", "信用卡额度多少", False),  # Dice 0.5: merged at 0.5 only
        ab.Pair("还款日是哪天", "几号还款", True),  # never merged
    ]
    got = ab.pair_agreement(pairs)
    assert got["exact"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "merged_pairs": 0}
    assert got["dice>=0.5"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "merged_pairs": 2}
    assert got["dice>=0.6"] == {"precision": 1.0, "recall": 0.5, "f1": 0.667, "merged_pairs": 1}
    assert got["dice>=0.7"]["merged_pairs"] == 0


async def test_seeded_conversations_are_what_the_report_counts(container: Container) -> None:
    questions = ["如何注销账户", "信用卡年费多少", "还款日是哪天"]
    end = date(2026, 3, 31)
    tenant = await ab.seed_conversations(container.sessions, questions, 40, end)
    got = await ab.report_time(container.sessions, tenant, end, repeats=1)
    assert got["conversations"] == 40
    assert 1 <= got["unanswered_groups"] <= 3
