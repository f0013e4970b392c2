"""``kefu bench purge``: the retention purge's speed on seeded conversations (docs/BENCHMARKS.md,
"Compliance").

A scratch database (SQLite by default, or an empty PostgreSQL database) is migrated and filled with
``n`` conversations last active 200 days ago (4 messages, 8 dialog events, a feedback row and a vault
each; 10 % under a legal hold), the vaults and hot dialog state in process or, with ``redis_url``, in
Redis under a namespace of its own (deleted afterwards). One purge then removes every expired one; the
time is the purge's own (``PurgeReport.seconds``) and the wall clock around it.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from app.compliance.purge import run_purge
from app.container import Container
from app.db import crud_compliance, crud_conversations, crud_tenancy
from app.db.base import new_id, utcnow
from app.runtime.jobs import InProcessJobQueue
from app.runtime.metrics import Metrics
from app.settings import Settings
from privacy.config import PrivacyConfig
from privacy.factory import build_vault_store
from privacy.types import VaultState

BENCH_VAULT_KEY = "bench-purge-vault-key-0123456789abcdef"


async def bench(
    *, n: int, database_url: str, data_dir: Path, redis_url: str | None = None, batch_size: int = 500
) -> dict[str, Any]:
    from app.db.engine import create_engine, session_factory

    settings = Settings(
        _env_file=None,
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        data_dir=data_dir,
        redis_namespace=f"kefu-bench-{uuid.uuid4().hex[:8]}",
    )
    settings.compliance.batch_size = batch_size
    engine = create_engine(settings.sqlalchemy_url)
    redis = None
    try:
        container = await _container(settings, engine, session_factory(engine))
        redis = container.redis
        tenant_id, held = await _seed(container, n)
        started = time.perf_counter()
        [report] = await run_purge(container, tenant_id=tenant_id)
        wall = time.perf_counter() - started
        purged = report.counts.get("conversations", 0)
        return {
            "backend": engine.dialect.name,
            "hot_stores": "redis" if redis is not None else "in-process",
            "conversations": n,
            "held": held,
            "purged": purged,
            "rows_deleted": sum(report.counts.get(k, 0) for k in ("messages", "dialog_events", "feedback")),
            "seconds": round(wall, 2),
            "conversations_per_s": round(purged / wall, 1) if wall else None,
            "batch_size": batch_size,
        }
    finally:
        if redis is not None:
            keys = [k async for k in redis.scan_iter(match=f"{settings.redis_namespace}:*", count=1000)]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
        await engine.dispose()


async def _container(settings: Settings, engine: Any, sessions: Any) -> Container:
    from dialog.stores.memory import MemoryDialogStore

    redis = None
    dialog_store: Any = MemoryDialogStore(ttl_s=30 * 24 * 3600)
    if settings.redis_url:
        from app.runtime.redis_client import command_client
        from dialog.stores.redis_store import RedisDialogStore

        redis = command_client(settings.redis_url, settings.redis)
        dialog_store = RedisDialogStore(redis, ttl_s=3600, prefix=f"{settings.redis_namespace}:dialog:")
    privacy = PrivacyConfig(vault_key_prefix=f"{settings.redis_namespace}:vault:")
    unused = cast(Any, None)  # the purge reads none of the models
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        metrics=Metrics(),
        masker=unused,
        vaults=build_vault_store(privacy, BENCH_VAULT_KEY, redis=redis),
        dialog_store=dialog_store,
        events=unused,
        tracker=unused,
        policy=unused,
        llm=unused,
        token_counter=unused,
        knowledge=unused,
        jobs=InProcessJobQueue({}, {}),
        redis=redis,
    )


async def _seed(container: Container, n: int, chunk: int = 1000) -> tuple[str, int]:
    """``n`` conversations last active 200 days ago; every tenth held. Returns (tenant id, held)."""
    from dialog.events import UserSaid

    old = utcnow() - timedelta(days=200)
    async with container.sessions() as s:
        tenant = await crud_tenancy.create_tenant(s, slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
        await s.commit()
    ids: list[str] = []
    for start in range(0, n, chunk):
        rows: list[dict[str, Any]] = []
        for _ in range(start, min(n, start + chunk)):
            cid = new_id()
            ids.append(cid)
            rows.append(
                {
                    "table": "conversations", "id": cid, "tenant_id": tenant.id, "status": "closed", "lang": "zh",
                    "channel": "widget", "event_version": 8, "created_at": old, "updated_at": old,
                    "customer_id": f"c{len(ids) % 997}",
                }
            )  # fmt: skip
            for seq in range(1, 9):
                rows.append(
                    {
                        "table": "dialog_events", "conversation_id": cid, "seq": seq, "type": "user_said",
                        "payload": {"text": "我的手机号是<PHONE_NUMBER_1>，卡丢了怎么办"}, "created_at": old,
                    }
                )  # fmt: skip
            for seq in (1, 3, 5, 7):
                rows.append(
                    {
                        "table": "messages", "id": new_id(), "conversation_id": cid, "tenant_id": tenant.id,
                        "event_seq": seq, "role": "user" if seq % 4 == 1 else "bot",
                        "text": "我的手机号是<PHONE_NUMBER_1>，卡丢了怎么办", "lang": "zh", "citations": [],
                        "timings_ms": {}, "pii_counts": {}, "created_at": old,
                    }
                )  # fmt: skip
        async with container.sessions() as s:
            await crud_compliance.seed_conversations(s, rows=rows)
            await s.commit()
    async with container.sessions() as s:
        for cid in ids[::10]:
            await crud_compliance.create_hold(
                s, tenant_id=tenant.id, conversation_id=cid, customer_id=None, reason="bench", created_by=None
            )
        for cid in ids[: n // 2]:  # feedback on half of them
            await crud_conversations.add_feedback(
                s, tenant_id=tenant.id, conversation_id=cid, message_id=None, thumbs="up", csat=None
            )
        await s.commit()
    vault = VaultState(
        by_placeholder={"<PHONE_NUMBER_1>": "13912345678"}, by_value={}, counters={"PHONE_NUMBER": 1}
    )
    for cid in ids:
        await container.vaults.save(cid, VaultState(dict(vault.by_placeholder), {}, dict(vault.counters)))
        await container.dialog_store.append(cid, [UserSaid(text="<PHONE_NUMBER_1>")], 0)
    return tenant.id, len(ids[::10])
