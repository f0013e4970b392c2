"""``kefu bench analytics``: how the analytics report behaves on real customer questions.

1. **Grouping rule** (``unanswered``): on labelled question pairs from real bank customer-service logs
   (BQ corpus, WeBank; AFQMC, Ant Financial), does "same key, or bigram Dice >= threshold" call a pair the
   same question when the label says so? Precision / recall / F1 per threshold, beside the exact-key
   baseline (what grouping without the similarity step would do).
2. **Grouping time**: ``group_questions`` over N distinct real questions (the report scans at most
   ``UNANSWERED_SCAN``), beside the exact-key-only baseline.
3. **Report time**: ``analytics.report`` for 30 days over C conversations whose customer messages are the
   real questions; the bot's decisions, feedback, hand-offs and timings are drawn from a seeded RNG (the
   query cost depends on row counts, not on those values), written into a fresh database.
"""

from __future__ import annotations

import csv
import json
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.analytics import report as analytics
from app.analytics.unanswered import (
    SIMILARITY,
    Asked,
    _bigrams,
    _cluster,
    _dice,
    group_questions,
    question_key,
    similarity,
)
from app.db import crud_tenancy
from app.db.base import new_id
from app.db.models import Conversation, Feedback, Handoff, Message

THRESHOLDS = (0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    same: bool


def load_pairs(data_dir: Path, name: str) -> list[Pair]:
    """``bq_corpus`` (dev.tsv) or ``afqmc`` (dev.json) under ``EVAL_DATA_DIR``."""
    if name == "bq_corpus":
        with (data_dir / "bq_corpus" / "dev.tsv").open(encoding="utf-8") as f:
            return [Pair(r[0], r[1], r[2] == "1") for r in csv.reader(f, delimiter="\t") if len(r) == 3]
    if name == "afqmc":
        with (data_dir / "afqmc" / "dev.json").open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [Pair(r["sentence1"], r["sentence2"], str(r["label"]) == "1") for r in rows]
    raise ValueError(f"unknown pair set {name!r}")


def pair_agreement(pairs: Sequence[Pair]) -> dict[str, dict[str, float]]:
    """Precision / recall / F1 of "same question" per threshold (``exact`` = equal keys only)."""
    scored = [(similarity(question_key(p.a), question_key(p.b)), p.same) for p in pairs]
    out: dict[str, dict[str, float]] = {}
    for label, cut in (("exact", 1.0), *((f"dice>={t}", t) for t in THRESHOLDS)):
        tp = sum(1 for s, same in scored if s >= cut and same)
        fp = sum(1 for s, same in scored if s >= cut and not same)
        fn = sum(1 for s, same in scored if s < cut and same)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "merged_pairs": tp + fp,
        }
    out["default"] = {"threshold": SIMILARITY}
    return out


def distinct_questions(pairs: Sequence[Pair]) -> list[str]:
    return list(dict.fromkeys([p.a for p in pairs] + [p.b for p in pairs]))


def plain_cluster(ordered: Sequence[str]) -> list[list[str]]:
    """The grouping rule written plainly (every leader scored, bigram sets computed once per key): the
    baseline of the indexed ``_cluster``."""
    groups: list[tuple[frozenset[str], list[str]]] = []
    for key in ordered:
        grams = _bigrams(key)
        for lead, members in groups:
            if _dice(grams, lead) >= SIMILARITY:
                members.append(key)
                break
        else:
            groups.append((grams, [key]))
    return [members for _, members in groups]


def grouping_time(questions: Sequence[str], n: int, repeats: int = 3) -> dict[str, float]:
    """Median seconds of ``group_questions`` over the first ``n`` questions, of exact-key grouping, and
    (once) of the plain rule on the same keys, whose groups must equal the indexed ones."""
    now = datetime.now(UTC)
    asked = [Asked(q, "zh", "no_answer", now) for q in questions[:n]]
    ours, exact = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        groups = group_questions(asked, top=10)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        keys = {question_key(a.text) for a in asked}
        exact.append(time.perf_counter() - t)
    ordered = sorted(keys)
    t = time.perf_counter()
    plain = plain_cluster(ordered)
    plain_s = time.perf_counter() - t
    assert plain == _cluster(ordered), "the indexed grouping differs from the plain rule"
    return {
        "questions": len(asked),
        "ours_s": round(statistics.median(ours), 3),
        "plain_rule_s": round(plain_s, 3),
        "exact_key_s": round(statistics.median(exact), 4),
        "groups_top1": groups[0].count if groups else 0,
        "distinct_keys": len(keys),
    }


async def seed_conversations(
    sessions: async_sessionmaker[AsyncSession], questions: Sequence[str], count: int, end: date, seed: int = 7
) -> str:
    """A tenant with ``count`` conversations over the 30 days up to ``end``; returns its id."""
    rng = random.Random(seed)
    start = datetime(end.year, end.month, end.day, tzinfo=UTC) - timedelta(days=29)
    async with sessions() as s:
        tenant = await crud_tenancy.create_tenant(s, slug=f"bench-{new_id()[:12]}", name="Bench")
        await s.commit()
        rows: list[object] = []
        for i in range(count):
            t0 = start + timedelta(seconds=rng.uniform(0, 30 * 86400 - 600))
            conv = Conversation(id=new_id(), tenant_id=tenant.id, status="bot", created_at=t0, updated_at=t0)
            rows.append(conv)
            seq, t = 0, t0
            for turn in range(1 + (rng.random() < 0.3)):
                seq += 1
                q = questions[(i * 2 + turn) % len(questions)]
                rows.append(_msg(conv, tenant.id, seq, "user", q, t, None, None, {}))
                r = rng.random()
                decision, reason = (
                    ("answer", None)
                    if r < 0.7
                    else ("dont_know", rng.choice(("no_answer", "out_of_scope")))
                    if r < 0.88
                    else ("handoff", rng.choice(("explicit_request", "repeated_failure", "urgent_topic")))
                )
                seq += 1
                t += timedelta(seconds=rng.uniform(1, 6))
                timings = {
                    "retrieve": rng.uniform(5, 40),
                    "generate": rng.uniform(50, 3000),
                    "mask": rng.uniform(1, 15),
                }
                rows.append(_msg(conv, tenant.id, seq, "bot", "…", t, decision, reason, timings))
                if decision == "handoff":
                    rows.append(
                        Handoff(tenant_id=tenant.id, conversation_id=conv.id, reason=reason, created_at=t)
                    )
                    break
                t += timedelta(seconds=rng.uniform(10, 120))
            if rng.random() < 0.2:
                rows.append(_feedback(tenant.id, conv, t, thumbs="up" if rng.random() < 0.8 else "down"))
            if rng.random() < 0.1:
                rows.append(_feedback(tenant.id, conv, t, csat=rng.randint(1, 5)))
            if len(rows) > 5000:
                s.add_all(rows)
                await s.commit()
                rows = []
        s.add_all(rows)
        await s.commit()
        return tenant.id


def _msg(
    conv: Conversation,
    tenant_id: str,
    seq: int,
    role: str,
    text: str,
    at: datetime,
    decision: str | None,
    reason: str | None,
    timings: dict[str, float],
) -> Message:
    return Message(
        conversation_id=conv.id, tenant_id=tenant_id, event_seq=seq, role=role, text=text, lang="zh",
        decision=decision, decision_reason=reason, timings_ms=timings, created_at=at, citations=[], pii_counts={},
    )  # fmt: skip


def _feedback(
    tenant_id: str, conv: Conversation, at: datetime, thumbs: str | None = None, csat: int | None = None
) -> Feedback:
    return Feedback(tenant_id=tenant_id, conversation_id=conv.id, thumbs=thumbs, csat=csat, created_at=at)


async def report_time(
    sessions: async_sessionmaker[AsyncSession], tenant_id: str, end: date, repeats: int = 3
) -> dict[str, float]:
    period = analytics.Period(end - timedelta(days=29), end, ZoneInfo("UTC"))
    times: list[float] = []
    report = None
    for _ in range(repeats):
        async with sessions() as s:
            t = time.perf_counter()
            report = await analytics.report(
                s,
                tenant_id=tenant_id,
                period=period,
                window=timedelta(minutes=30),
                latency_sample=20_000,
                now=datetime.now(UTC),
            )
            times.append(time.perf_counter() - t)
    assert report is not None
    return {
        "conversations": report.conversations,
        "report_s_median": round(statistics.median(times), 3),
        "report_s_min": round(min(times), 3),
        "unanswered_groups": len(report.unanswered),
    }
