"""The admin analytics of one tenant over one period (``report``). No HTTP types; SQL in ``crud_analytics``.

The cohort is the tenant's conversations that started in the period (days in the caller's time zone) and in
which the customer wrote at least once; every figure describes that cohort. Definitions:

- **Resolution** of a conversation (one status each):
  - ``confirmed``: the customer said it helped — their latest feedback is a thumbs-up or a CSAT >= 4 — or,
    with no feedback either way, an agent closed it as ``resolved``;
  - ``unresolved``: the latest feedback is a thumbs-down or a CSAT <= 2, or it was closed ``not_resolved``
    or ``abandoned`` (left while waiting for an agent), or it was handed off and never confirmed;
  - ``assumed``: none of the above, the customer's last message got an answer (a bot reply with decision
    ``answer``) and no further customer message came within the window after it;
  - ``pending``: that window has not passed yet (left out of the rates' denominator);
  - ``unresolved`` otherwise (the last reply was "don't know", a clarification, ...).
  Rates are over the *settled* conversations (all but pending).
- **Hand-off rate**: conversations with at least one hand-off; reasons count every hand-off.
- **"Don't know" rate**: bot replies whose decision was ``dont_know``, over all bot replies.
- **CSAT**: each conversation's latest rating (a customer who re-rates counts once).
- **Handling time**: first to last message of the conversation, averaged separately over conversations
  an agent joined (an agent message, or a hand-off an agent took) and bot-only ones.
- **Latency per stage**: nearest-rank p50/p95 of ``messages.timings_ms`` over the period's most recent
  ``latency_sample`` bot replies; ``total`` is the sum of a reply's stages.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics import aggregates
from app.analytics.unanswered import Asked, QuestionGroup, group_questions
from app.db import crud_analytics
from app.errors import AppError, ErrorCode
from app.runtime.metrics import STAGES

UNANSWERED_SCAN = 5000  # most recent unanswered questions considered for the top list
MAX_DAYS = 366
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    tz: ZoneInfo

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, the day after end 00:00) in the period's zone, as aware datetimes."""
        lo = datetime(self.start.year, self.start.month, self.start.day, tzinfo=self.tz)
        after = self.end + timedelta(days=1)
        hi = datetime(after.year, after.month, after.day, tzinfo=self.tz)
        return lo, hi

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def make_period(start: date | None, end: date | None, tz_name: str, now: datetime) -> Period:
    """The period asked for: ``end`` defaults to today in ``tz_name``, ``start`` to 30 days up to
    ``end``. A bad zone, ``start`` after ``end`` or more than 366 days -> ``validation_error``."""
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"unknown time zone: {tz_name!r}") from exc
    last = end or now.astimezone(tz).date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise AppError(ErrorCode.VALIDATION_ERROR, "start is after end")
    if (last - first).days + 1 > MAX_DAYS:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"the period may cover at most {MAX_DAYS} days")
    return Period(first, last, tz)


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date
    conversations: int
    handed_off: int
    resolved_confirmed: int
    resolved_assumed: int


@dataclass(frozen=True, slots=True)
class Resolution:
    confirmed: int
    assumed: int
    unresolved: int
    pending: int
    settled: int
    confirmed_rate: float | None
    assumed_rate: float | None
    rate: float | None  # (confirmed + assumed) / settled
    window_minutes: int


@dataclass(frozen=True, slots=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class Handoffs:
    conversations: int
    rate: float | None
    reasons: list[Count]


@dataclass(frozen=True, slots=True)
class DontKnow:
    replies: int
    bot_replies: int
    rate: float | None
    reasons: list[Count]


@dataclass(frozen=True, slots=True)
class Csat:
    responses: int
    average: float | None
    distribution: dict[str, int]  # "1".."5"
    thumbs_up: int
    thumbs_down: int


@dataclass(frozen=True, slots=True)
class HandlingGroup:
    conversations: int
    average_s: float | None


@dataclass(frozen=True, slots=True)
class HandlingTime:
    bot_only: HandlingGroup
    agent_joined: HandlingGroup


@dataclass(frozen=True, slots=True)
class StageLatency:
    stage: str
    count: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True, slots=True)
class Report:
    start: date
    end: date
    tz: str
    generated_at: datetime
    conversations: int
    empty_conversations: int  # opened, but the customer never wrote
    per_day: list[DayFigures]
    resolution: Resolution
    handoffs: Handoffs
    dont_know: DontKnow
    csat: Csat
    handling_time: HandlingTime
    latency: list[StageLatency]
    latency_sample: int
    unanswered: list[QuestionGroup]
    # Actions done for customers: completed, failed, cancelled, refused_unverified, refused_locked.
    actions: dict[str, int] = field(default_factory=dict)


async def report(
    session: AsyncSession,
    *,
    tenant_id: str,
    period: Period,
    window: timedelta,
    latency_sample: int,
    now: datetime,
    top: int = 10,
) -> Report:
    start, end = period.bounds()
    facts = await crud_analytics.conversation_facts(session, tenant_id=tenant_id, start=start, end=end)
    feedback = await crud_analytics.feedback_rows(session, tenant_id=tenant_id, start=start, end=end)
    handoffs = await crud_analytics.handoff_rows(session, tenant_id=tenant_id, start=start, end=end)
    decisions = await crud_analytics.bot_decisions(session, tenant_id=tenant_id, start=start, end=end)
    timings = await crud_analytics.stage_timings(
        session, tenant_id=tenant_id, start=start, end=end, limit=latency_sample
    )
    outcomes = await crud_analytics.action_outcomes(session, tenant_id=tenant_id, start=start, end=end)
    unanswered = await crud_analytics.unanswered_questions(
        session, tenant_id=tenant_id, start=start, end=end, limit=UNANSWERED_SCAN
    )

    # CPU-bound for thousands of distinct questions (~1 s for 5000 on a busy vCPU): off the event loop.
    asked = [Asked(u.text, u.lang, u.reason, u.asked_at) for u in unanswered]
    groups = await asyncio.to_thread(group_questions, asked, top=top)

    live = aggregates.tally(
        facts,
        feedback,
        handoffs,
        [(None, d, r, n) for d, r, n in decisions],
        [(None, o) for o in outcomes],
        window=window,
        now=now,
    )
    kept = await crud_analytics.aggregates(session, tenant_id=tenant_id, start=start, end=end)
    merged = aggregates.merge(live, aggregates.stored(kept))
    n = aggregates.totals(merged)
    conversations = int(n[("conversations", "")])
    handed = int(n[("handed_off", "")])
    return Report(
        start=period.start,
        end=period.end,
        tz=period.tz.key,
        generated_at=now,
        conversations=conversations,
        empty_conversations=int(n[("empty", "")]),
        per_day=_per_day(period, merged),
        resolution=_resolution(n, window),
        handoffs=Handoffs(
            conversations=handed,
            rate=_rate(handed, conversations),
            reasons=_counts(_keyed(n, "handoff_reason")),
        ),
        dont_know=_dont_know(n),
        csat=_csat(n),
        handling_time=HandlingTime(bot_only=_avg(n, "bot"), agent_joined=_avg(n, "agent")),
        latency=stage_latency(timings),
        latency_sample=latency_sample,
        unanswered=groups,
        actions=_action_counts(n),
    )


def _keyed(n: aggregates.Counts, metric: str) -> Counter[str]:
    return Counter({k: int(v) for (m, k), v in n.items() if m == metric and v})


def _action_counts(n: aggregates.Counts) -> dict[str, int]:
    keys = ("completed", "failed", "cancelled", "refused_unverified", "refused_locked")
    return {k: int(n[("action", k)]) for k in keys}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _counts(counter: Counter[str]) -> list[Count]:
    return [Count(k, n) for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def _per_day(period: Period, t: aggregates.Tally) -> list[DayFigures]:
    rows: dict[date, list[int]] = {d: [0, 0, 0, 0] for d in period.days()}
    for at, c in t.items():
        row = rows.get(at.astimezone(period.tz).date()) if at is not None else None
        if row is None:
            continue
        row[0] += int(c[("conversations", "")])
        row[1] += int(c[("handed_off", "")])
        row[2] += int(c[("status", "confirmed")])
        row[3] += int(c[("status", "assumed")])
    return [DayFigures(d, *v) for d, v in rows.items()]


def _resolution(n: aggregates.Counts, window: timedelta) -> Resolution:
    c = {k: int(n[("status", k)]) for k in ("confirmed", "assumed", "unresolved", "pending")}
    settled = sum(c.values()) - c["pending"]
    return Resolution(
        confirmed=c["confirmed"],
        assumed=c["assumed"],
        unresolved=c["unresolved"],
        pending=c["pending"],
        settled=settled,
        confirmed_rate=_rate(c["confirmed"], settled),
        assumed_rate=_rate(c["assumed"], settled),
        rate=_rate(c["confirmed"] + c["assumed"], settled),
        window_minutes=int(window.total_seconds() // 60),
    )


def _dont_know(n: aggregates.Counts) -> DontKnow:
    total = int(n[("bot_replies", "")])
    reasons = _keyed(n, "dont_know")
    count = sum(reasons.values())
    return DontKnow(replies=count, bot_replies=total, rate=_rate(count, total), reasons=_counts(reasons))


def _csat(n: aggregates.Counts) -> Csat:
    dist = {str(k): int(n[("csat", str(k))]) for k in range(1, 6)}
    responses = sum(dist.values())
    score = sum(k * dist[str(k)] for k in range(1, 6))
    return Csat(
        responses=responses,
        average=round(score / responses, 2) if responses else None,
        distribution=dist,
        thumbs_up=int(n[("thumbs", "up")]),
        thumbs_down=int(n[("thumbs", "down")]),
    )


def _avg(n: aggregates.Counts, group: str) -> HandlingGroup:
    count = int(n[("handling_n", group)])
    seconds = n[("handling_s", group)]
    return HandlingGroup(count, round(seconds / count, 1) if count else None)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in (0, 100]) of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def stage_latency(timings: Sequence[dict[str, object]]) -> list[StageLatency]:
    """p50/p95 per stage (the turn's order, then ``first_token``, ``total``, then any other key)."""
    values: dict[str, list[float]] = {}
    for t in timings:
        total = 0.0
        for stage, ms in t.items():
            if isinstance(ms, bool) or not isinstance(ms, int | float):
                continue
            values.setdefault(stage, []).append(float(ms))
            if stage in STAGES:
                total += float(ms)
        if any(s in t for s in STAGES):
            values.setdefault("total", []).append(total)
    order = {name: i for i, name in enumerate((*STAGES, "first_token", "total"))}
    out = []
    for stage in sorted(values, key=lambda s: (order.get(s, len(order)), s)):
        v = sorted(values[stage])
        out.append(StageLatency(stage, len(v), round(percentile(v, 50), 2), round(percentile(v, 95), 2)))
    return out
