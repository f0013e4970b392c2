"""Intents in the admin console, and the tracker picking them up: a new handoff intent changes what the
bot does with the next message; an edit retrains in the background while the previous tracker serves; a
set that would not train is refused; other tenants are untouched. Real local tracker (model-free
embedding), real policy, real chat turn over SQLite."""

from __future__ import annotations

import httpx
import pytest

from app.chat.tenant_trackers import TenantTrackers, revision_of
from app.container import Container
from dialog.intents import IntentSet, load_intents_yaml
from dialog.kb_profile import KB_INTENT
from dialog.testing import DEMO_INTENTS, local_tracker
from tests.unit.app.helpers import Tenant, ask_once, counting_trackers, login, publish_faq, seed_tenant

MORTGAGE = {
    "name": "mortgage_early_repayment",
    "description": "Customer wants to repay a mortgage early (regulated: advisers only)",
    "examples": [
        "I want to repay my mortgage early",
        "how do I pay off my home loan before the end",
        "提前还房贷怎么办理",
        "我想提前偿还住房贷款",
    ],
    "handoff": True,
    "topic": {"zh": "提前还房贷", "en": "early mortgage repayment"},
}


@pytest.fixture
def trackers(container: Container) -> TenantTrackers:
    t = counting_trackers(container, refresh_s=60)
    container.trackers = t
    return t


async def test_a_new_handoff_intent_reaches_the_tracker(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    admin = await login(client, tenant.admin_email)
    r = await client.post("/api/v1/admin/intents/import-default", headers=admin)
    assert r.status_code == 200
    assert {"card_lost_stolen", "human_agent"} <= {i["name"] for i in r.json()}
    # Equal to the default set: served by the default tracker, nothing trained.
    assert (await trackers.get(tenant.id)) is container.tracker
    assert trackers.builds == []  # type: ignore[attr-defined]
    before = await ask_once(client, tenant, "I want to repay my mortgage early")
    assert before["decision"] != "handoff"

    r = await client.post("/api/v1/admin/intents", headers=admin, json=MORTGAGE)
    assert r.status_code == 201, r.text
    status = await trackers.wait_ready(tenant.id)
    assert (status.source, status.ready) == ("tenant", True)
    after = await ask_once(client, tenant, "I want to repay my mortgage early")
    assert after["decision"] == "handoff"
    assert after["reason"] == "urgent_topic"
    assert after["state"]["intent"] == "mortgage_early_repayment"
    status_json = (await client.get("/api/v1/admin/intents/status", headers=admin)).json()
    assert status_json["ready"] is True
    assert status_json["revision"] == status.revision

    # Switching the flag off is an edit: retrained, and the same message is answered by the bot again.
    intent_id = r.json()["id"]
    r = await client.put(
        f"/api/v1/admin/intents/{intent_id}", headers=admin, json={**MORTGAGE, "handoff": False}
    )
    assert r.status_code == 200
    await trackers.wait_ready(tenant.id)
    assert (await ask_once(client, tenant, "I want to repay my mortgage early"))["decision"] != "handoff"
    audit = (
        await client.get("/api/v1/admin/audit", headers=admin, params={"action_prefix": "intent."})
    ).json()
    assert [e["action"] for e in audit["items"]] == [
        "intent.update",
        "intent.create",
        "intent.import_default",
    ]


async def test_the_previous_tracker_serves_while_the_new_one_trains(
    container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    from app.db import crud_kb

    async with container.sessions() as s:
        await crud_kb.upsert_intent(
            s, tenant_id=tenant.id, **{**MORTGAGE, "examples": MORTGAGE["examples"][:2]}
        )
        await crud_kb.upsert_intent(
            s, tenant_id=tenant.id, name="greeting", description="", examples=["hello", "你好"], handoff=False
        )
        await s.commit()
    first = await trackers.get(tenant.id)  # first use on this replica: waits for training
    assert first is not container.tracker
    async with container.sessions() as s:
        await crud_kb.upsert_intent(s, tenant_id=tenant.id, **MORTGAGE)
        await s.commit()
    trackers.invalidate(tenant.id)
    assert (await trackers.get(tenant.id)) is first  # still the old one while training
    status = await trackers.wait_ready(tenant.id)
    assert status.ready
    assert (await trackers.get(tenant.id)) is not first


async def test_a_change_saved_on_another_replica_is_polled_beside_the_turn(
    container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    """No ``invalidate`` here (the save happened elsewhere): once ``refresh_s`` has passed, ``get`` returns
    the serving tracker at once and re-reads the intents in a background task, which starts training."""
    from app.db import crud_kb

    async with container.sessions() as s:
        await crud_kb.upsert_intent(
            s, tenant_id=tenant.id, **{**MORTGAGE, "examples": MORTGAGE["examples"][:2]}
        )
        await s.commit()
    first = await trackers.get(tenant.id)
    async with container.sessions() as s:
        await crud_kb.upsert_intent(s, tenant_id=tenant.id, **MORTGAGE)
        await s.commit()
    assert (await trackers.get(tenant.id)) is first  # within refresh_s: not even read
    before = trackers.status(tenant.id)
    assert before.ready
    trackers._refresh_s = 0.0  # time has passed
    assert (await trackers.get(tenant.id)) is first  # served at once; the read runs beside it
    entry = trackers._entries[tenant.id]
    assert entry.poll is not None
    await entry.poll
    status = await trackers.wait_ready(tenant.id)
    assert status.ready
    assert status.revision != before.revision
    assert (await trackers.get(tenant.id)) is not first


async def test_an_intent_set_that_cannot_train_is_refused(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    admin = await login(client, tenant.admin_email)
    r = await client.post("/api/v1/admin/intents", headers=admin, json={**MORTGAGE, "name": "out_of_scope"})
    assert r.status_code == 422  # only out_of_scope: nothing to classify into
    assert "besides out_of_scope" in r.json()["detail"]
    assert (await client.get("/api/v1/admin/intents", headers=admin)).json() == []
    bad = {**MORTGAGE, "name": "Mortgage Early"}
    assert (await client.post("/api/v1/admin/intents", headers=admin, json=bad)).status_code == 422
    assert (
        await client.post("/api/v1/admin/intents", headers=admin, json={**MORTGAGE, "examples": [" "]})
    ).status_code == 422
    ok = await client.post("/api/v1/admin/intents", headers=admin, json=MORTGAGE)
    assert ok.status_code == 201
    dup = await client.post("/api/v1/admin/intents", headers=admin, json=MORTGAGE)
    assert dup.status_code == 409


async def test_a_first_intent_alone_trains_against_the_standard_out_of_scope(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    admin = await login(client, tenant.admin_email)
    assert (await client.post("/api/v1/admin/intents", headers=admin, json=MORTGAGE)).status_code == 201
    status = await trackers.wait_ready(tenant.id)
    assert (status.source, status.ready, status.error, status.intents) == ("tenant", True, None, 1)
    assert (await ask_once(client, tenant, "我想提前偿还住房贷款"))["decision"] == "handoff"
    chit_chat = await ask_once(client, tenant, "给我讲个笑话")
    assert chit_chat["decision"] != "handoff"
    assert chit_chat["state"]["intent"] != "mortgage_early_repayment"


async def test_a_single_label_is_refused_without_a_standard_out_of_scope(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    container.trackers = TenantTrackers(
        default=container.tracker, sessions=container.sessions, build=local_tracker, default_intents=None
    )
    admin = await login(client, tenant.admin_email)
    r = await client.post("/api/v1/admin/intents", headers=admin, json=MORTGAGE)
    assert r.status_code == 422
    assert "at least two labels" in r.json()["detail"]
    assert (await client.get("/api/v1/admin/intents", headers=admin)).json() == []
    standard = await client.post("/api/v1/admin/intents/import-default", headers=admin)
    assert standard.status_code == 200  # several labels, out_of_scope among them: trains
    assert {i["name"] for i in standard.json()} >= {"out_of_scope", "card_lost_stolen"}
    assert (await client.post("/api/v1/admin/intents", headers=admin, json=MORTGAGE)).status_code == 201


async def test_intents_are_per_tenant(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    other = await seed_tenant(container, "rival")
    admin = await login(client, tenant.admin_email)
    created = (await client.post("/api/v1/admin/intents", headers=admin, json=MORTGAGE)).json()
    rival = await login(client, other.admin_email)
    assert (await client.get("/api/v1/admin/intents", headers=rival)).json() == []
    assert (await client.delete(f"/api/v1/admin/intents/{created['id']}", headers=rival)).status_code == 404
    assert (await trackers.get(other.id)) is container.tracker
    await trackers.wait_ready(tenant.id)
    assert (await trackers.get(tenant.id)) is not container.tracker
    agent = await login(client, tenant.agent_email)
    assert (await client.get("/api/v1/admin/intents", headers=agent)).status_code == 403


def test_revision_ignores_order_but_not_content() -> None:
    demo = load_intents_yaml(DEMO_INTENTS)
    reversed_set = IntentSet(reversed(list(demo)))
    assert revision_of(demo) == revision_of(reversed_set)
    changed = IntentSet(
        [*list(demo)[:-1], list(demo)[-1].model_copy(update={"handoff": not list(demo)[-1].handoff})]
    )
    assert revision_of(changed) != revision_of(demo)


async def test_a_published_kb_version_teaches_the_tracker(
    container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    """A tenant on the default intents is served by the default tracker at once while one that also learnt
    the KB's questions trains; publishing a new version retrains (the new content is in scope), with no
    intent written."""
    from dialog.state import DialogState

    await publish_faq(
        container, tenant, [("信用卡分期怎么申请？", "在App办理"), ("白金卡的年费是多少？", "1200元")]
    )
    assert (await trackers.get(tenant.id)) is container.tracker  # no wait on the first turn
    status = await trackers.wait_ready(tenant.id)
    assert (status.source, status.ready) == ("default", True)
    first = await trackers.get(tenant.id)
    assert first is not container.tracker
    assert "白金卡的年费是多少？" in first.kb.examples  # type: ignore[attr-defined]

    question = "保管箱怎么租"
    assert first.track_sync(DialogState(), question).intent != KB_INTENT  # type: ignore[attr-defined]
    await publish_faq(container, tenant, [("保管箱怎么租用？", "到网点办理"), ("保管箱租金是多少？", "每年300元"),
                                       ("保管箱可以几个人共用吗？", "最多两人")])  # fmt: skip
    trackers.invalidate(tenant.id)
    assert (await trackers.get(tenant.id)) is first  # the previous one serves while the new one trains
    await trackers.wait_ready(tenant.id)
    second = await trackers.get(tenant.id)
    assert second is not first
    assert second.track_sync(DialogState(), question).intent == KB_INTENT  # type: ignore[attr-defined]
    assert len(trackers.builds) == 2  # type: ignore[attr-defined]
