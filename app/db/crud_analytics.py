"""SQL of the admin analytics. Keyword-only, session first; every query is scoped to one tenant and to the
conversations that *started* in ``[start, end)`` (the period's cohort), so all figures of a report describe
the same conversations.

The queries return per-conversation aggregates and small row sets; the arithmetic (rates, percentiles,
grouping of questions) is done by ``app.analytics.report`` so that it is the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import AnalyticsAggregate, Conversation, DialogEventRow, Feedback, Handoff, Message

# Bot replies that left the customer's question without an answer from the knowledge base.
UNANSWERED_DONT_KNOW_EXCLUDED = ("conversation_closed",)
UNANSWERED_HANDOFF_REASONS = ("repeated_failure",)


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    id: str
    created_at: datetime
    closed_at: datetime | None
    outcome: str | None
    user_messages: int
    agent_messages: int
    first_message_at: datetime | None
    last_message_at: datetime | None
    last_user_at: datetime | None
    last_answer_at: datetime | None  # the last bot reply whose decision was "answer"


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    conversation_id: str
    thumbs: str | None
    csat: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HandoffRow:
    conversation_id: str
    reason: str
    created_at: datetime
    assigned_at: datetime | None


@dataclass(frozen=True, slots=True)
class UnansweredRow:
    text: str  # the customer's masked message
    lang: str
    reason: str  # the bot reply's decision reason
    asked_at: datetime


def _in_period(
    tenant_id: str, start: datetime | None, end: datetime | None, ids: Sequence[str] | None = None
) -> ColumnElement[bool]:
    """The period's cohort, or (``ids`` given) those conversations of the tenant."""
    if ids is not None:
        return and_(Conversation.tenant_id == tenant_id, Conversation.id.in_(list(ids)))
    assert start is not None
    assert end is not None
    return and_(
        Conversation.tenant_id == tenant_id,
        Conversation.created_at >= start,
        Conversation.created_at < end,
    )


async def conversation_facts(
    session: AsyncSession,
    *,
    tenant_id: str,
    start: datetime | None,
    end: datetime | None,
    conversation_ids: Sequence[str] | None = None,
) -> list[ConversationFacts]:
    """One row per conversation of the period, with its message counts and key timestamps."""
    m = Message
    user_n = func.coalesce(func.sum(case((m.role == "user", 1), else_=0)), 0)
    agent_n = func.coalesce(func.sum(case((m.role == "agent", 1), else_=0)), 0)
    last_user = func.max(case((m.role == "user", m.created_at)))
    last_answer = func.max(case((and_(m.role == "bot", m.decision == "answer"), m.created_at)))
    stmt = (
        select(
            Conversation.id,
            Conversation.created_at,
            Conversation.closed_at,
            Conversation.outcome,
            user_n,
            agent_n,
            func.min(m.created_at),
            func.max(m.created_at),
            last_user,
            last_answer,
        )
        .select_from(Conversation)
        .outerjoin(m, m.conversation_id == Conversation.id)
        .where(_in_period(tenant_id, start, end, conversation_ids))
        .group_by(Conversation.id, Conversation.created_at, Conversation.closed_at, Conversation.outcome)
        .order_by(Conversation.created_at, Conversation.id)
    )
    rows = (await session.execute(stmt)).all()
    return [
        ConversationFacts(
            id=r[0],
            created_at=r[1],
            closed_at=r[2],
            outcome=r[3],
            user_messages=int(r[4] or 0),
            agent_messages=int(r[5] or 0),
            first_message_at=r[6],
            last_message_at=r[7],
            last_user_at=r[8],
            last_answer_at=r[9],
        )
        for r in rows
    ]


async def feedback_rows(
    session: AsyncSession,
    *,
    tenant_id: str,
    start: datetime | None,
    end: datetime | None,
    conversation_ids: Sequence[str] | None = None,
) -> list[FeedbackRow]:
    """Thumbs and CSAT given in the period's conversations, oldest first."""
    stmt = (
        select(Feedback.conversation_id, Feedback.thumbs, Feedback.csat, Feedback.created_at)
        .join(Conversation, Conversation.id == Feedback.conversation_id)
        .where(_in_period(tenant_id, start, end, conversation_ids), Feedback.tenant_id == tenant_id)
        .order_by(Feedback.created_at, Feedback.id)
    )
    return [FeedbackRow(*r) for r in (await session.execute(stmt)).all()]


async def handoff_rows(
    session: AsyncSession,
    *,
    tenant_id: str,
    start: datetime | None,
    end: datetime | None,
    conversation_ids: Sequence[str] | None = None,
) -> list[HandoffRow]:
    stmt = (
        select(Handoff.conversation_id, Handoff.reason, Handoff.created_at, Handoff.assigned_at)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(_in_period(tenant_id, start, end, conversation_ids), Handoff.tenant_id == tenant_id)
        .order_by(Handoff.created_at, Handoff.id)
    )
    return [HandoffRow(*r) for r in (await session.execute(stmt)).all()]


async def bot_decisions(
    session: AsyncSession, *, tenant_id: str, start: datetime, end: datetime
) -> list[tuple[str, str, int]]:
    """(decision, reason, count) of the bot replies in the period's conversations."""
    stmt = (
        select(Message.decision, Message.decision_reason, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(_in_period(tenant_id, start, end), Message.role == "bot")
        .group_by(Message.decision, Message.decision_reason)
    )
    return [(d or "", r or "", int(n)) for d, r, n in (await session.execute(stmt)).all()]


async def action_outcomes(
    session: AsyncSession, *, tenant_id: str, start: datetime, end: datetime
) -> list[str]:
    """How each action of the period's conversations ended: an ``action_finished`` event's outcome
    (executed, failed, refused_unverified, refused_locked, invalid), or ``cancelled``."""
    stmt = (
        select(DialogEventRow.type, DialogEventRow.payload)
        .join(Conversation, Conversation.id == DialogEventRow.conversation_id)
        .where(_in_period(tenant_id, start, end))
        .where(DialogEventRow.type.in_(("action_finished", "action_cancelled")))
    )
    return [
        str(p.get("outcome", "")) if t == "action_finished" else "cancelled"
        for t, p in (await session.execute(stmt)).all()
    ]


async def stage_timings(
    session: AsyncSession, *, tenant_id: str, start: datetime, end: datetime, limit: int
) -> list[dict[str, Any]]:
    """``timings_ms`` of the most recent ``limit`` bot replies in the period's conversations."""
    stmt = (
        select(Message.timings_ms)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(_in_period(tenant_id, start, end), Message.role == "bot")
        .order_by(Message.created_at.desc(), Message.id)
        .limit(limit)
    )
    return [dict(t or {}) for t in (await session.execute(stmt)).scalars().all()]


async def unanswered_questions(
    session: AsyncSession, *, tenant_id: str, start: datetime, end: datetime, limit: int
) -> list[UnansweredRow]:
    """The customer message each "don't know" reply (or hand-off after repeated misses) answered, newest
    first: the message of the same conversation with the highest ``event_seq`` below the reply's. Masked
    text only (``messages.text`` never holds a clear value)."""
    bot = aliased(Message)
    user = aliased(Message)
    prior = aliased(Message)
    prior_seq = (
        select(func.max(prior.event_seq))
        .where(
            prior.conversation_id == bot.conversation_id,
            prior.role == "user",
            prior.event_seq < bot.event_seq,
        )
        .scalar_subquery()
    )
    unanswered = or_(
        and_(
            bot.decision == "dont_know",
            func.coalesce(bot.decision_reason, "").not_in(UNANSWERED_DONT_KNOW_EXCLUDED),
        ),
        and_(bot.decision == "handoff", bot.decision_reason.in_(UNANSWERED_HANDOFF_REASONS)),
    )
    stmt = (
        select(user.text, user.lang, func.coalesce(bot.decision_reason, ""), user.created_at)
        .select_from(bot)
        .join(Conversation, Conversation.id == bot.conversation_id)
        .join(user, and_(user.conversation_id == bot.conversation_id, user.event_seq == prior_seq))
        .where(_in_period(tenant_id, start, end), bot.role == "bot", unanswered)
        .order_by(bot.created_at.desc(), bot.id)
        .limit(limit)
    )
    return [UnansweredRow(*r) for r in (await session.execute(stmt)).all()]


async def bot_decisions_of(
    session: AsyncSession, *, tenant_id: str, conversation_ids: Sequence[str]
) -> list[tuple[str, str, str, int]]:
    """(conversation id, decision, reason, count) of these conversations' bot replies."""
    stmt = (
        select(Message.conversation_id, Message.decision, Message.decision_reason, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(_in_period(tenant_id, None, None, conversation_ids), Message.role == "bot")
        .group_by(Message.conversation_id, Message.decision, Message.decision_reason)
    )
    return [(c, d or "", r or "", int(n)) for c, d, r, n in (await session.execute(stmt)).all()]


async def action_outcomes_of(
    session: AsyncSession, *, tenant_id: str, conversation_ids: Sequence[str]
) -> list[tuple[str, str]]:
    """(conversation id, outcome) of these conversations' actions (as ``action_outcomes``)."""
    stmt = (
        select(DialogEventRow.conversation_id, DialogEventRow.type, DialogEventRow.payload)
        .join(Conversation, Conversation.id == DialogEventRow.conversation_id)
        .where(_in_period(tenant_id, None, None, conversation_ids))
        .where(DialogEventRow.type.in_(("action_finished", "action_cancelled")))
    )
    return [
        (c, str(p.get("outcome", "")) if t == "action_finished" else "cancelled")
        for c, t, p in (await session.execute(stmt)).all()
    ]


async def add_aggregates(
    session: AsyncSession, *, tenant_id: str, rows: Sequence[tuple[datetime, str, str, float]]
) -> int:
    """Add (hour, metric, key, value) to the tenant's kept aggregates (a row per hour, metric and key;
    an existing row grows, in one upsert, so concurrent folds add up)."""
    if not rows:
        return 0
    want: dict[tuple[datetime, str, str], float] = {}
    for hour, metric, key, value in rows:
        want[(hour, metric, key)] = want.get((hour, metric, key), 0.0) + value
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(AnalyticsAggregate).values(
        [
            {"tenant_id": tenant_id, "hour": h, "metric": m, "key": k, "value": v}
            for (h, m, k), v in sorted(want.items())
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "hour", "metric", "key"],
        set_={"value": AnalyticsAggregate.value + stmt.excluded.value},
    )
    await session.execute(stmt)
    return len(want)


async def aggregates(
    session: AsyncSession, *, tenant_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, str, str, float]]:
    """The kept aggregates of the hours in ``[start, end)``."""
    stmt = select(
        AnalyticsAggregate.hour, AnalyticsAggregate.metric, AnalyticsAggregate.key, AnalyticsAggregate.value
    ).where(
        AnalyticsAggregate.tenant_id == tenant_id,
        AnalyticsAggregate.hour >= start,
        AnalyticsAggregate.hour < end,
    )
    return [(h, m, k, float(v)) for h, m, k, v in (await session.execute(stmt)).all()]
