"""A website source synced twice on real PostgreSQL: the report, the incremental second run (conditional
requests answered 304), and the one-open-run-per-source index. The sync's sessions commit for real (its
heartbeat and progress writes run beside the work, so it cannot share one connection's savepoints): the
rows stay in this session's scratch database, under a tenant of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.connectors import sources
from app.connectors import sync as sync_service
from app.connectors.demo_site import HelpCentre
from app.connectors.sync import SyncOutcome
from app.db import crud_sources
from app.db.engine import session_factory
from app.db.models import KbSourceSync
from app.errors import AppError
from app.kb.versions import SYSTEM
from app.settings import Settings
from retrieval.index.store import IndexStore
from retrieval.testing import HashEmbedder
from retrieval.text import KeywordAnalyzer
from tests.unit.app.connectors.conftest import page, sitemap
from tests.unit.app.helpers import fake_container, seed_tenant

pytestmark = pytest.mark.integration


async def test_sync_on_postgres(pg_engine: AsyncEngine, tmp_path: Path) -> None:
    pg_sessions = session_factory(pg_engine)
    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path, log_json=False)  # type: ignore[call-arg]
    c = fake_container(settings, pg_engine, pg_sessions)
    analyzer = KeywordAnalyzer()
    c.embedder = HashEmbedder()
    c.index_store = IndexStore(tmp_path / "indexes", c.embedder, settings.retrieval, analyzer=analyzer)
    c.index_store.warm_up()
    tenant = await seed_tenant(c, f"pgsync-{tmp_path.name[-6:]}".lower())
    root = tmp_path / "site"
    root.mkdir()
    for i in range(3):
        (root / f"p{i}.html").write_text(page(f"Topic {i}", f"The zorblax{i} fact number {i}."))
    (root / "sitemap.xml").write_text(sitemap([f"p{i}.html" for i in range(3)]))
    with HelpCentre(root) as site:
        spec = sources.WebSourceSpec(sitemap=site.base_url + "/sitemap.xml", allow_private=True, delay_s=0)
        row = await sources.add_source(c, tenant_id=tenant.id, kind="web", actor=SYSTEM,
                                       config=sources.web_config(spec, settings.connectors))  # fmt: skip

        async def once() -> tuple[SyncOutcome, KbSourceSync]:
            sid = await sync_service.start_sync(
                c, tenant_id=tenant.id, source_id=row.id, actor=SYSTEM, enqueue=False
            )
            out = await sync_service.run_sync(c, tenant_id=tenant.id, sync_id=sid)
            async with pg_sessions() as s:
                got = await crud_sources.get_sync(s, tenant_id=tenant.id, sync_id=sid)
                assert got is not None
                return out, got

        out, run = await once()
        assert out.active
        assert run.counts["added"] == 3
        (root / "p1.html").write_text(page("Topic 1", "The zorblax1 fact changed."))
        site.gone.add("/p2.html")
        site.reset_counts()
        out, run = await once()
        counts = run.counts
        assert (counts["changed"], counts["removed"], counts["unchanged"]) == (1, 1, 1)
        assert site.full_bodies["/p0.html"] == 0
        assert site.hits["/p0.html"] == 1
        assert out.active

        async with pg_sessions() as s:
            await crud_sources.create_sync(
                s, tenant_id=tenant.id, source_id=row.id, trigger="manual", created_by=None
            )
            await s.commit()
        with pytest.raises(AppError) as err:
            await sync_service.start_sync(
                c, tenant_id=tenant.id, source_id=row.id, actor=SYSTEM, enqueue=False
            )
        assert err.value.code.code == "sync_in_progress"
        async with pg_sessions() as s:
            with pytest.raises(IntegrityError):
                await crud_sources.create_sync(
                    s, tenant_id=tenant.id, source_id=row.id, trigger="x", created_by=None
                )
