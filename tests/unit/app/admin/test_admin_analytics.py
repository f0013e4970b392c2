"""Admin analytics on a real SQLite database: seeded conversations (``analytics_seed``) give exactly the
figures worked out by hand; the period's time zone moves conversations between days; other tenants never
count; bad periods get ``validation_error``; agents are refused."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analytics import report as analytics
from app.analytics.report import Period, percentile, stage_latency
from app.analytics.unanswered import Asked, group_questions, question_key, similarity
from app.container import Container
from app.schemas.analytics import AnalyticsPublic
from tests.unit.app import analytics_seed
from tests.unit.app.analytics_seed import EXPECTED, NOW, WINDOW, comparable
from tests.unit.app.helpers import Tenant, login

UTC_PERIOD = Period(date(2026, 3, 1), date(2026, 3, 3), ZoneInfo("UTC"))


async def _seeded(container: Container, tenant: Tenant) -> str:
    return (await analytics_seed.seed_with_other_bank(container, tenant)).id


async def _report(container: Container, tenant_id: str, period: Period = UTC_PERIOD, **kw: object) -> dict:
    args: dict = {"window": WINDOW, "latency_sample": 1000, "now": NOW, **kw}
    async with container.sessions() as s:
        r = await analytics.report(s, tenant_id=tenant_id, period=period, **args)
    return AnalyticsPublic.model_validate(r, from_attributes=True).model_dump(mode="json")


async def test_seeded_conversations_give_the_hand_computed_figures(
    container: Container, tenant: Tenant
) -> None:
    await _seeded(container, tenant)
    got = await _report(container, tenant.id)
    assert comparable(got) == EXPECTED
    assert got["tz"] == "UTC"
    assert [g["last_asked_at"][:16] for g in got["unanswered"]] == ["2026-03-02T13:00", "2026-03-02T10:01"]


async def test_the_window_decides_between_assumed_and_pending(container: Container, tenant: Tenant) -> None:
    await _seeded(container, tenant)
    # C7 was answered 28 minutes before "now": inside a 60-minute window it is pending, past a 20-minute
    # one it is assumed resolved (and the denominator grows by one).
    short = (await _report(container, tenant.id, window=timedelta(minutes=20)))["resolution"]
    assert (short["assumed"], short["pending"], short["settled"]) == (2, 0, 8)
    assert short["rate"] == round(5 / 8, 4)
    # A day-long window: C2 (answered 03-01 11:00, two days before) stays assumed, C7 is pending.
    day = (await _report(container, tenant.id, window=timedelta(days=1)))["resolution"]
    assert (day["assumed"], day["pending"]) == (1, 1)


async def test_the_time_zone_moves_conversations_between_days(container: Container, tenant: Tenant) -> None:
    await _seeded(container, tenant)
    shanghai = Period(date(2026, 3, 1), date(2026, 3, 3), ZoneInfo("Asia/Shanghai"))
    got = await _report(container, tenant.id, shanghai)
    # C10 started 02-28 23:30 UTC = 03-01 07:30 in Shanghai: now in the period, on its first day.
    assert got["conversations"] == 9
    assert [d["conversations"] for d in got["per_day"]] == [4, 4, 1]
    assert got["dont_know"]["replies"] == 5
    # Equal counts: the more recently asked first.
    assert [g["text"] for g in got["unanswered"]] == [
        analytics_seed.CLOSE_Q,
        analytics_seed.CARD_Q,
        "境外取现手续费？",
    ]


async def test_other_tenants_and_other_periods_are_empty(container: Container, tenant: Tenant) -> None:
    other_id = await _seeded(container, tenant)
    other = await _report(container, other_id)
    assert other["conversations"] == 1
    assert other["csat"]["thumbs_up"] == 1
    assert other["unanswered"][0]["count"] == 1  # its own question only
    before = await _report(container, tenant.id, Period(date(2026, 2, 1), date(2026, 2, 27), ZoneInfo("UTC")))
    assert before["conversations"] == 0
    assert before["resolution"]["rate"] is None
    assert before["handoffs"]["rate"] is None
    assert before["csat"]["average"] is None
    assert before["latency"] == []
    assert before["unanswered"] == []
    assert len(before["per_day"]) == 27


async def test_the_api_serves_the_report_to_admins_only(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    await _seeded(container, tenant)
    admin = await login(client, tenant.admin_email)
    r = await client.get(
        "/api/v1/admin/analytics",
        params={"start": "2026-03-01", "end": "2026-03-03", "tz": "UTC", "window_minutes": 60},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    # Seeded in the past, so every window has passed: C7 counts as assumed instead of pending.
    assert body["conversations"] == EXPECTED["conversations"]
    assert body["resolution"]["pending"] == 0
    assert body["resolution"]["assumed"] == 2
    assert body["handoffs"] == EXPECTED["handoffs"]
    assert body["csat"] == EXPECTED["csat"]
    assert body["latency"] == EXPECTED["latency"]
    # The default period: the 30 days up to today.
    default = (await client.get("/api/v1/admin/analytics", headers=admin)).json()
    assert len(default["per_day"]) == 30
    assert default["resolution"]["window_minutes"] == container.settings.admin.resolution_window_minutes
    agent = await login(client, tenant.agent_email)
    denied = await client.get("/api/v1/admin/analytics", headers=agent)
    assert (denied.status_code, denied.json()["error_code"]) == (403, "forbidden")


async def test_bad_periods_are_refused_with_validation_error(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = await login(client, tenant.admin_email)
    for params in (
        {"start": "2026-03-05", "end": "2026-03-01"},
        {"start": "2025-01-01", "end": "2026-03-01"},
        {"tz": "Mars/Olympus"},
        {"tz": "../../etc/passwd"},
        {"start": "yesterday"},
        {"window_minutes": "0"},
    ):
        r = await client.get("/api/v1/admin/analytics", params=params, headers=admin)
        assert (r.status_code, r.json()["error_code"]) == (422, "validation_error"), (params, r.text)


def test_nearest_rank_percentiles_and_stage_order() -> None:
    assert percentile([1.0], 95) == 1.0
    assert percentile([float(i) for i in range(1, 101)], 50) == 50.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    rows = stage_latency([{"generate": 5, "mask": 1, "zz_extra": 7, "bad": "x"}, {}])
    assert [(s.stage, s.count) for s in rows] == [("mask", 1), ("generate", 1), ("total", 1), ("zz_extra", 1)]
    assert rows[2].p50_ms == 6.0  # total = the stages only (not the extra key)


def test_near_duplicate_questions_group_and_different_ones_do_not() -> None:
    assert question_key("How do I close my account?") == question_key("how do i  close my ACCOUNT")
    assert question_key("call <PHONE_NUMBER_2>") == question_key("call <PHONE_NUMBER_1>!")
    assert similarity(question_key("如何注销账户"), question_key("怎么注销账户")) >= 0.6
    assert similarity(question_key("信用卡年费多少"), question_key("信用卡额度多少")) < 0.6
    t = NOW
    asked = [Asked(q, "zh", "no_answer", t) for q in ("信用卡年费多少", "信用卡年费多少？", "信用卡额度多少")]
    groups = group_questions(asked)
    assert [(g.text, g.count) for g in groups] == [("信用卡年费多少", 2), ("信用卡额度多少", 1)]
    assert groups[0].variants == ["信用卡年费多少？"]
    assert group_questions([Asked("？！", "zh", "no_answer", t)]) == []  # nothing left to compare


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="abcde信用卡", min_size=1, max_size=8), min_size=1, max_size=40, unique=True)
)
def test_the_indexed_clustering_is_the_plain_rule(keys: list[str]) -> None:
    from app.analytics.unanswered import _cluster
    from app.evals.analytics_bench import plain_cluster

    assert _cluster(keys) == plain_cluster(keys)
