"""Seeded conversations for the analytics tests (SQLite unit tests and the PostgreSQL integration test),
and the figures they must give, worked out by hand from the seed (not by running the code).

Period 2026-03-01..2026-03-03, UTC, resolution window 60 minutes, "now" 2026-03-03 12:00 UTC.

| conv | started (UTC)    | what happens                                                          | status     |
| ---- | ---------------- | --------------------------------------------------------------------- | ---------- |
| C1   | 03-01 10:00      | Q, answer (+2 s), thumbs up                                           | confirmed  |
| C2   | 03-01 11:00      | Q, answer (+3 s), silence                                             | assumed    |
| C3   | 03-01 12:00      | Q, dont_know; Q, handoff repeated_failure; agent joins (+180 s);      | confirmed  |
|      |                  | closed "resolved"                                                     |            |
| C4   | 03-02 09:00      | 转人工, handoff explicit_request, never taken; closed "abandoned"      | unresolved |
| C5   | 03-02 10:00      | Q, answer, thumbs up; Q, dont_know (+101 s); CSAT 2 (the latest word) | unresolved |
| C6   | 03-02 11:00      | Q, answer; CSAT 2 then re-rated 4                                     | confirmed  |
| C7   | 03-03 11:30      | Q, answer 28 min before "now"                                         | pending    |
| C8   | 03-03 08:00      | opened, nothing written                                               | (empty)    |
| C9   | 03-02 13:00      | Q, dont_know out_of_scope; Q, dont_know conversation_closed (+501 s)  | unresolved |
| C10  | 02-28 23:30      | Q, dont_know — outside the period in UTC, inside it in Asia/Shanghai   |            |
| X    | 03-01 10:00      | another tenant: Q, answer, thumbs up — never counted                  |            |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.container import Container
from app.db import crud_conversations
from tests.unit.app.helpers import Tenant, seed_tenant

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=60)
CLOSE_Q = "如何注销账户？"
CLOSE_Q2 = "怎么注销账户"
CARD_Q = "My card number is <CREDIT_CARD_1>, why was it blocked?"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


class _Conv:
    def __init__(self, s: AsyncSession, tenant_id: str, start: datetime) -> None:
        self.s, self.tenant_id, self.start, self.seq = s, tenant_id, start, 0
        self.id = ""

    async def open(self) -> _Conv:
        conv = await crud_conversations.create_conversation(
            self.s, tenant_id=self.tenant_id, widget_key_id=None
        )
        conv.created_at = self.start
        self.conv = conv
        self.id = conv.id
        await self.s.flush()
        return self

    async def say(
        self,
        role: str,
        text: str,
        after_s: float,
        *,
        decision: str | None = None,
        reason: str | None = None,
        timings: dict[str, float] | None = None,
        lang: str = "zh",
    ) -> str:
        self.seq += 1
        msg = await crud_conversations.add_message(
            self.s,
            conversation_id=self.id,
            tenant_id=self.tenant_id,
            event_seq=self.seq,
            role=role,
            text=text,
            lang=lang,
            decision=decision,
            decision_reason=reason,
            timings_ms=timings,
        )
        msg.created_at = self.start + timedelta(seconds=after_s)
        await self.s.flush()
        return msg.id

    async def feedback(self, after_s: float, *, thumbs: str | None = None, csat: int | None = None) -> None:
        row = await crud_conversations.add_feedback(
            self.s,
            tenant_id=self.tenant_id,
            conversation_id=self.id,
            message_id=None,
            thumbs=thumbs,
            csat=csat,
        )
        row.created_at = self.start + timedelta(seconds=after_s)
        await self.s.flush()

    async def handoff(self, reason: str, after_s: float, *, taken_after_s: float | None = None) -> None:
        row = await crud_conversations.create_handoff(
            self.s, tenant_id=self.tenant_id, conversation_id=self.id, reason=reason, context={}
        )
        row.created_at = self.start + timedelta(seconds=after_s)
        if taken_after_s is not None:
            row.status = "assigned"
            row.assigned_at = self.start + timedelta(seconds=taken_after_s)
        await self.s.flush()

    async def close(self, outcome: str, after_s: float) -> None:
        await crud_conversations.set_conversation_state(
            self.s, conversation=self.conv, status="closed", lang="", outcome=outcome
        )
        self.conv.closed_at = self.start + timedelta(seconds=after_s)
        await self.s.flush()


async def seed(s: AsyncSession, tenant_id: str, other_tenant_id: str) -> None:
    c1 = await _Conv(s, tenant_id, at(1, 10)).open()
    await c1.say("user", "信用卡年费多少？", 0)
    await c1.say(
        "bot",
        "年费200元 [1]",
        2,
        decision="answer",
        timings={"retrieve": 10, "generate": 100, "first_token": 40},
    )
    await c1.feedback(30, thumbs="up")

    c2 = await _Conv(s, tenant_id, at(1, 11)).open()
    await c2.say("user", "网点几点开门？", 0)
    await c2.say(
        "bot", "9:00 [1]", 3, decision="answer", timings={"retrieve": 20, "generate": 300, "first_token": 60}
    )

    c3 = await _Conv(s, tenant_id, at(1, 12)).open()
    await c3.say("user", CLOSE_Q, 0)
    await c3.say("bot", "抱歉", 1, decision="dont_know", reason="no_answer", timings={})
    await c3.say("user", CLOSE_Q2, 60)
    await c3.say("bot", "转人工", 61, decision="handoff", reason="repeated_failure")
    await c3.handoff("repeated_failure", 61, taken_after_s=120)
    await c3.say("agent", "您好，我来帮您", 180)
    await c3.close("resolved", 400)

    c4 = await _Conv(s, tenant_id, at(2, 9)).open()
    await c4.say("user", "转人工", 0)
    await c4.say("bot", "正在转接", 1, decision="handoff", reason="explicit_request")
    await c4.handoff("explicit_request", 1)
    await c4.close("abandoned", 900)

    c5 = await _Conv(s, tenant_id, at(2, 10)).open()
    await c5.say("user", "How do I raise my limit?", 0, lang="en")
    await c5.say(
        "bot",
        "In the app [1]",
        2,
        decision="answer",
        lang="en",
        timings={"retrieve": 30, "generate": 200, "first_token": 50},
    )
    await c5.feedback(10, thumbs="up")
    await c5.say("user", CARD_Q, 100, lang="en")
    await c5.say("bot", "Sorry", 101, decision="dont_know", reason="no_answer", lang="en")
    await c5.feedback(200, csat=2)

    c6 = await _Conv(s, tenant_id, at(2, 11)).open()
    await c6.say("user", "怎么开通手机银行？", 0)
    await c6.say("bot", "下载APP [1]", 2, decision="answer")
    await c6.feedback(50, csat=2)
    await c6.feedback(60, csat=4)

    c7 = await _Conv(s, tenant_id, at(3, 11, 30)).open()
    await c7.say("user", "外汇牌价？", 0)
    await c7.say("bot", "见官网 [1]", 2, decision="answer")

    await _Conv(s, tenant_id, at(3, 8)).open()  # C8: empty

    c9 = await _Conv(s, tenant_id, at(2, 13)).open()
    await c9.say("user", CLOSE_Q, 0)
    await c9.say("bot", "超出范围", 1, decision="dont_know", reason="out_of_scope")
    await c9.say("user", "还在吗", 500)
    await c9.say("bot", "会话已结束", 501, decision="dont_know", reason="conversation_closed")

    c10 = await _Conv(s, tenant_id, datetime(2026, 2, 28, 23, 30, tzinfo=UTC)).open()
    await c10.say("user", "境外取现手续费？", 0)
    await c10.say("bot", "抱歉", 1, decision="dont_know", reason="no_answer")

    x = await _Conv(s, other_tenant_id, at(1, 10)).open()
    await x.say("user", CLOSE_Q, 0)
    await x.say("bot", "抱歉", 1, decision="dont_know", reason="no_answer")
    await x.feedback(5, thumbs="up")
    await s.commit()


# The report for 2026-03-01..03, UTC, window 60 min, now = NOW (hand-computed from the table above).
EXPECTED: dict[str, Any] = {
    "conversations": 8,  # C1-C7, C9 (C8 is empty, C10 and X are out)
    "empty_conversations": 1,
    "per_day": [
        {
            "day": "2026-03-01",
            "conversations": 3,
            "handed_off": 1,
            "resolved_confirmed": 2,
            "resolved_assumed": 1,
        },
        {
            "day": "2026-03-02",
            "conversations": 4,
            "handed_off": 1,
            "resolved_confirmed": 1,
            "resolved_assumed": 0,
        },
        {
            "day": "2026-03-03",
            "conversations": 1,
            "handed_off": 0,
            "resolved_confirmed": 0,
            "resolved_assumed": 0,
        },
    ],
    "resolution": {
        "confirmed": 3,  # C1 thumbs up, C3 agent "resolved", C6 re-rated 4
        "assumed": 1,  # C2
        "unresolved": 3,  # C4, C5, C9
        "pending": 1,  # C7
        "settled": 7,
        "confirmed_rate": 0.4286,  # 3/7
        "assumed_rate": 0.1429,  # 1/7
        "rate": 0.5714,  # 4/7
        "window_minutes": 60,
    },
    "handoffs": {
        "conversations": 2,
        "rate": 0.25,  # 2/8
        "reasons": [{"key": "explicit_request", "count": 1}, {"key": "repeated_failure", "count": 1}],
    },
    "dont_know": {
        "replies": 4,  # C3, C5, C9 x2
        "bot_replies": 11,
        "rate": 0.3636,  # 4/11
        "reasons": [
            {"key": "no_answer", "count": 2},
            {"key": "conversation_closed", "count": 1},
            {"key": "out_of_scope", "count": 1},
        ],
    },
    "csat": {
        "responses": 2,  # C5 (2), C6 (latest 4)
        "average": 3.0,
        "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0},
        "thumbs_up": 2,  # C1, C5 (X is another tenant's)
        "thumbs_down": 0,
    },
    "handling_time": {
        "agent_joined": {"conversations": 1, "average_s": 180.0},  # C3
        # C1 2 + C2 3 + C4 1 + C5 101 + C6 2 + C7 2 + C9 501 = 612 / 7
        "bot_only": {"conversations": 7, "average_s": 87.4},
    },
    "latency": [  # nearest rank over C1, C2, C5's timed answers
        {"stage": "retrieve", "count": 3, "p50_ms": 20.0, "p95_ms": 30.0},
        {"stage": "generate", "count": 3, "p50_ms": 200.0, "p95_ms": 300.0},
        {"stage": "first_token", "count": 3, "p50_ms": 50.0, "p95_ms": 60.0},
        {"stage": "total", "count": 3, "p50_ms": 230.0, "p95_ms": 320.0},  # 110, 320, 230
    ],
    "unanswered": [
        {
            "text": CLOSE_Q,
            "count": 3,  # C3 twice (one reworded), C9 once; C9's "还在吗" got conversation_closed
            "langs": ["zh"],
            "reasons": {"no_answer": 1, "repeated_failure": 1, "out_of_scope": 1},
            "variants": [CLOSE_Q2],
        },
        {"text": CARD_Q, "count": 1, "langs": ["en"], "reasons": {"no_answer": 1}, "variants": []},
    ],
}


async def seed_with_other_bank(container: Container, tenant: Tenant) -> Tenant:
    """``seed`` into ``tenant`` and into a second tenant ("other-bank", created here), which is returned."""
    other = await seed_tenant(container, "other-bank")
    async with container.sessions() as s:
        await seed(s, tenant.id, other.id)
    return other


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what the seed does not fix (time stamps of generation and of questions)."""
    out = {k: v for k, v in report.items() if k in EXPECTED}
    out["unanswered"] = [{k: v for k, v in g.items() if k != "last_asked_at"} for g in report["unanswered"]]
    return out
