"""The summable figures of the admin analytics as a *tally*, and what is kept of conversations that are
deleted (``fold``).

A tally maps a time (a conversation's start, or None for figures not tied to one) to counts and sums
keyed by (metric, key): conversations, empty ones, resolution statuses, hand-offs and their reasons, bot
replies and "don't know" reasons, CSAT ratings and thumbs, handling-time sums and counts, action outcomes.
The report is built from the tally of the live conversations plus the kept aggregates of the period, so
a figure reads the same before and after the conversations behind it are purged or erased.

``fold`` runs in the transaction that deletes conversations (retention purge, erasure): it tallies them
with the same code as the report and adds the tally, per UTC hour of their start, to
``analytics_aggregates`` (counts and sums, no text, no ids). A conversation still ``pending`` (answered
less than the resolution window ago) is kept as ``assumed``: nobody can write in it any more. Not
summable, so not kept: the latency percentiles and the unanswered-question list (it is text).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import crud_analytics
from app.db.crud_analytics import ConversationFacts, FeedbackRow, HandoffRow

Counts = defaultdict[tuple[str, str], float]  # (metric, key) -> count or sum
Tally = dict[datetime | None, Counts]


def counts() -> Counts:
    return defaultdict(float)


@dataclass(frozen=True, slots=True)
class LatestFeedback:
    thumbs: str | None  # the latest thumbs given
    thumbs_at: datetime | None
    csat: int | None  # the latest CSAT given
    csat_at: datetime | None

    @property
    def verdict(self) -> str | None:
        """ "positive" / "negative" / None from the most recent signal (a CSAT of 3 says neither)."""
        signals: list[tuple[datetime, str | None]] = []
        if self.thumbs is not None and self.thumbs_at is not None:
            signals.append((self.thumbs_at, "positive" if self.thumbs == "up" else "negative"))
        if self.csat is not None and self.csat_at is not None:
            csat_verdict = "positive" if self.csat >= 4 else "negative" if self.csat <= 2 else None
            signals.append((self.csat_at, csat_verdict))
        if not signals:
            return None
        return max(signals, key=lambda s: s[0])[1]


def latest_feedback(rows: Sequence[FeedbackRow]) -> dict[str, LatestFeedback]:
    out: dict[str, LatestFeedback] = {}
    for r in rows:  # oldest first: later rows overwrite
        cur = out.get(r.conversation_id, LatestFeedback(None, None, None, None))
        if r.thumbs is not None:
            cur = LatestFeedback(r.thumbs, r.created_at, cur.csat, cur.csat_at)
        if r.csat is not None:
            cur = LatestFeedback(cur.thumbs, cur.thumbs_at, r.csat, r.created_at)
        out[r.conversation_id] = cur
    return out


def resolution_status(
    f: ConversationFacts,
    feedback: LatestFeedback | None,
    handed_off: bool,
    window: timedelta,
    now: datetime,
) -> str:
    """``confirmed`` | ``assumed`` | ``unresolved`` | ``pending`` (see the module docstring)."""
    verdict = feedback.verdict if feedback is not None else None
    if verdict == "positive":
        return "confirmed"
    if verdict == "negative":
        return "unresolved"
    if f.outcome == "resolved":
        return "confirmed"
    if f.outcome in ("not_resolved", "abandoned") or handed_off:
        return "unresolved"
    answered_last = (
        f.last_answer_at is not None and f.last_user_at is not None and f.last_answer_at >= f.last_user_at
    )
    if not answered_last:
        return "unresolved"
    assert f.last_answer_at is not None
    return "assumed" if now - f.last_answer_at >= window else "pending"


def tally(
    facts: Sequence[ConversationFacts],
    feedback: Sequence[FeedbackRow],
    handoffs: Sequence[HandoffRow],
    decisions: Sequence[tuple[str | None, str, str, int]],
    outcomes: Sequence[tuple[str | None, str]],
    *,
    window: timedelta,
    now: datetime,
) -> Tally:
    """The tally of these conversations (``decisions``/``outcomes`` name their conversation, or None)."""
    out: Tally = {}
    started = {f.id: f.created_at for f in facts}

    def add(cid: str | None, metric: str, key: str = "", value: float = 1) -> None:
        out.setdefault(started.get(cid) if cid is not None else None, counts())[(metric, key)] += value

    active = [f for f in facts if f.user_messages > 0]
    ids = {f.id for f in active}
    latest = latest_feedback(feedback)
    handed = {h.conversation_id for h in handoffs} & ids
    taken = {h.conversation_id for h in handoffs if h.assigned_at is not None}
    for f in facts:
        if f.id not in ids:
            add(f.id, "empty")
            continue
        add(f.id, "conversations")
        add(f.id, "status", resolution_status(f, latest.get(f.id), f.id in handed, window, now))
        add(f.id, "handed_off", value=f.id in handed)
        if f.first_message_at is not None and f.last_message_at is not None:
            group = "agent" if f.agent_messages > 0 or f.id in taken else "bot"
            add(f.id, "handling_n", group)
            add(f.id, "handling_s", group, (f.last_message_at - f.first_message_at).total_seconds())
    for h in handoffs:
        add(h.conversation_id, "handoff_reason", h.reason)
    csat: dict[str, int] = {}
    for r in feedback:
        if r.conversation_id not in ids:
            continue
        if r.csat is not None:
            csat[r.conversation_id] = r.csat
        if r.thumbs == "up" or r.thumbs == "down":
            add(r.conversation_id, "thumbs", r.thumbs)
    for rated, rating in csat.items():
        add(rated, "csat", str(rating))
    for cid, decision, reason, n in decisions:
        add(cid, "bot_replies", value=n)
        if decision == "dont_know":
            add(cid, "dont_know", reason or "none", n)
    for cid, outcome in outcomes:
        add(cid, "action", "completed" if outcome == "executed" else outcome)
    return out


def merge(*tallies: Tally) -> Tally:
    out: Tally = {}
    for t in tallies:
        for at, part in t.items():
            into = out.setdefault(at, counts())
            for k, v in part.items():
                into[k] += v
    return out


def totals(t: Tally) -> Counts:
    out = counts()
    for part in t.values():
        for k, v in part.items():
            out[k] += v
    return out


def hourly(t: Tally) -> list[tuple[datetime, str, str, float]]:
    """Rows for ``analytics_aggregates``: the tally summed per UTC hour (times of None are dropped)."""
    rows: defaultdict[tuple[datetime, str, str], float] = defaultdict(float)
    for at, part in t.items():
        if at is None:
            continue
        hour = at.replace(minute=0, second=0, microsecond=0)
        for (metric, key), value in part.items():
            if value:
                rows[(hour, metric, key)] += value
    return [(h, m, k, float(v)) for (h, m, k), v in sorted(rows.items())]


async def fold(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_ids: Sequence[str],
    window: timedelta,
    now: datetime,
) -> int:
    """Keep the analytics of these conversations as aggregates, before they are deleted in the same
    transaction. Returns the aggregate rows written or grown."""
    ids = list(conversation_ids)
    if not ids:
        return 0
    facts = await crud_analytics.conversation_facts(
        session, tenant_id=tenant_id, start=None, end=None, conversation_ids=ids
    )
    feedback = await crud_analytics.feedback_rows(
        session, tenant_id=tenant_id, start=None, end=None, conversation_ids=ids
    )
    handoffs = await crud_analytics.handoff_rows(
        session, tenant_id=tenant_id, start=None, end=None, conversation_ids=ids
    )
    decisions = await crud_analytics.bot_decisions_of(session, tenant_id=tenant_id, conversation_ids=ids)
    outcomes = await crud_analytics.action_outcomes_of(session, tenant_id=tenant_id, conversation_ids=ids)
    counted = tally(facts, feedback, handoffs, decisions, outcomes, window=window, now=now)
    for part in counted.values():
        part[("status", "assumed")] += part.pop(("status", "pending"), 0.0)
    return await crud_analytics.add_aggregates(session, tenant_id=tenant_id, rows=hourly(counted))


def stored(rows: Sequence[tuple[datetime, str, str, float]]) -> Tally:
    """The kept aggregates as a tally (keyed by their hour)."""
    out: Tally = {}
    for hour, metric, key, value in rows:
        out.setdefault(hour, counts())[(metric, key)] += value
    return out
