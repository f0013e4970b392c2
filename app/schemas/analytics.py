"""Schemas of the admin analytics report (``GET /api/v1/admin/analytics``); definitions of every figure in
``app.analytics.report``. Rates are fractions (0..1), ``null`` when their denominator is zero."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DayFiguresPublic(_Public):
    day: date
    conversations: int
    handed_off: int
    resolved_confirmed: int
    resolved_assumed: int


class ResolutionPublic(_Public):
    confirmed: int
    assumed: int
    unresolved: int
    pending: int
    settled: int
    confirmed_rate: float | None
    assumed_rate: float | None
    rate: float | None
    window_minutes: int


class CountPublic(_Public):
    key: str
    count: int


class HandoffsPublic(_Public):
    conversations: int
    rate: float | None
    reasons: list[CountPublic]


class DontKnowPublic(_Public):
    replies: int
    bot_replies: int
    rate: float | None
    reasons: list[CountPublic]


class CsatPublic(_Public):
    responses: int
    average: float | None
    distribution: dict[str, int]
    thumbs_up: int
    thumbs_down: int


class HandlingGroupPublic(_Public):
    conversations: int
    average_s: float | None


class HandlingTimePublic(_Public):
    bot_only: HandlingGroupPublic
    agent_joined: HandlingGroupPublic


class StageLatencyPublic(_Public):
    stage: str
    count: int
    p50_ms: float
    p95_ms: float


class QuestionGroupPublic(_Public):
    text: str  # masked: placeholders such as <PHONE_NUMBER_1>, never a clear value
    count: int
    last_asked_at: datetime
    langs: list[str]
    reasons: dict[str, int]
    variants: list[str]


class AnalyticsPublic(_Public):
    start: date
    end: date
    tz: str
    generated_at: datetime
    conversations: int
    empty_conversations: int
    per_day: list[DayFiguresPublic]
    resolution: ResolutionPublic
    handoffs: HandoffsPublic
    dont_know: DontKnowPublic
    csat: CsatPublic
    handling_time: HandlingTimePublic
    latency: list[StageLatencyPublic]
    latency_sample: int
    unanswered: list[QuestionGroupPublic]
    # Actions done for customers in the period's conversations: completed, failed, cancelled,
    # refused_unverified, refused_locked.
    actions: dict[str, int] = Field(default_factory=dict)
