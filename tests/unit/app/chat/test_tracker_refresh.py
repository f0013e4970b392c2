"""The periodic re-read of a tenant's intents is cheap when nothing changed: it reads the rows and the
active KB version and stops (no validation, no hashing of the set, no training on the event loop); a
change (an intent edited elsewhere, or a new KB version) still goes all the way to a retrained tracker,
and an idle replica reads nothing at all. Real local tracker (model-free embedding) over SQLite."""

from __future__ import annotations

import asyncio

import pytest

from app.chat.tenant_trackers import TenantTrackers
from app.container import Container
from app.db import crud_kb
from dialog.protocols import Tracker
from tests.unit.app.helpers import Tenant, counting_trackers

CARD = {
    "name": "card_upgrade",
    "description": "Customer wants a better card",
    "examples": ["upgrade my card", "I want a gold card", "升级信用卡", "换一张金卡"],
    "handoff": False,
    "topic": {"zh": "升级信用卡", "en": "card upgrade"},
}


@pytest.fixture
def trackers(container: Container) -> TenantTrackers:
    return counting_trackers(
        container, refresh_s=0.0
    )  # every get re-reads: the worst case for an idle tenant


async def _poll(trackers: TenantTrackers, tenant_id: str) -> Tracker:
    tracker = await trackers.get(tenant_id)
    entry = trackers._entries[tenant_id]
    if entry.poll is not None:
        await entry.poll
    await trackers.wait_ready(tenant_id)
    return tracker


async def test_unchanged_rows_are_read_but_not_processed(
    container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    async with container.sessions() as s:
        await crud_kb.upsert_intent(s, tenant_id=tenant.id, **CARD)
        await s.commit()
    await _poll(trackers, tenant.id)
    first = await trackers.get(tenant.id)
    reads, changes, builds = trackers.reads, trackers.changes, list(trackers.builds)  # type: ignore[attr-defined]
    assert changes >= 1
    assert builds
    for _ in range(5):
        assert (await _poll(trackers, tenant.id)) is first
    assert trackers.reads >= reads + 5  # it did look ...
    assert trackers.changes == changes  # ... and stopped at the digest
    assert trackers.builds == builds  # type: ignore[attr-defined]

    # an edit saved on another replica (no invalidate here) is still picked up and retrains
    async with container.sessions() as s:
        await crud_kb.upsert_intent(
            s, tenant_id=tenant.id, **{**CARD, "examples": [*CARD["examples"], "白金卡"]}
        )
        await s.commit()
    await _poll(trackers, tenant.id)
    assert trackers.changes == changes + 1
    assert len(trackers.builds) == len(builds) + 1  # type: ignore[attr-defined]
    assert (await trackers.get(tenant.id)) is not first
    assert trackers.status(tenant.id).ready


async def test_an_idle_replica_reads_nothing(
    container: Container, tenant: Tenant, trackers: TenantTrackers
) -> None:
    await _poll(trackers, tenant.id)
    reads = trackers.reads
    await asyncio.sleep(0.2)  # refresh_s is 0: a timer would have fired many times by now
    assert trackers.reads == reads
    assert all(e.poll is None for e in trackers._entries.values())
