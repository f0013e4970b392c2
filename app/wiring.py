"""``build_container(settings)``: the real adapters, built and warmed once per process.

Embedded default (no ``DATABASE_URL`` / ``REDIS_URL``): SQLite under ``data_dir``, in-process dialog store,
vault, event channel and job runner. With ``REDIS_URL``: Redis for all four (keys under
``REDIS_NAMESPACE``), so any number of app replicas share state. Heavy models load here, in threads,
never at import.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Literal

from app.chat.query_memo import QueryMemoEmbedder
from app.container import Container, Policy
from app.db.engine import create_engine, session_factory
from app.kb.knowledge import IndexedKnowledgeBases
from app.runtime.jobs import ArqJobQueue, InProcessJobQueue, JobQueue, queue_name
from app.runtime.metrics import Metrics
from app.settings import Settings
from dialog.protocols import DialogStore, EventChannel, Tracker
from retrieval.protocols import Embedder

if TYPE_CHECKING:
    from retrieval.index.store import IndexStore as FaissIndexStore

logger = logging.getLogger(__name__)

Role = Literal["app", "worker", "cli"]


async def build_container(settings: Settings, *, role: Role = "app") -> Container:
    """Everything the process needs. ``role="worker"``/``"cli"`` skips the LLM (only ingestion runs there).

    On failure, whatever was already opened is closed again before the error propagates.
    """
    closers: list[Any] = []
    try:
        return await _build(settings, role, closers)
    except BaseException:
        for close in reversed(closers):
            try:
                await close()
            except Exception:  # pragma: no cover - best effort while failing anyway
                logger.exception("closing a half-built container")
        raise


async def _build(settings: Settings, role: Role, closers: list[Any]) -> Container:
    engine = create_engine(settings.sqlalchemy_url)
    closers.append(engine.dispose)
    sessions = session_factory(engine)
    metrics = Metrics(multiprocess_dir=settings.prometheus_multiproc_dir)

    redis = await _redis(settings)
    redis_events = None
    if redis is not None:
        closers.append(redis.aclose)
        from app.runtime.redis_client import events_client

        assert settings.redis_url is not None
        redis_events = events_client(settings.redis_url, settings.redis)
        closers.append(redis_events.aclose)

    dialog_store, events = _dialog_stores(settings, redis, redis_events)
    masker, vaults = await _privacy(settings, redis, await _public_values(sessions))
    embedder = await _embedder(settings)
    index_store = _index_store(settings, embedder)
    await asyncio.to_thread(index_store.warm_up)  # the keyword analyzer (jieba, OpenCC)
    tracker, policy = await _dialog_logic(settings, embedder)

    if role == "app":
        from llm_backend import build_llm_client

        llm = build_llm_client(settings.llm, settings.data_dir, on_breaker_change=metrics.set_breaker)
        await llm.warm_up()
        closers.append(llm.aclose)
    else:
        from llm_backend import build_llm_client
        from llm_backend.config import LLMConfig

        llm = build_llm_client(LLMConfig(backend="extractive"), settings.data_dir)
    token_counter = getattr(llm, "token_counter", None)
    if token_counter is None:
        from llm_backend.tokens import EstimatingCounter

        token_counter = EstimatingCounter()

    answer_cache = None
    if role == "app":
        from llm_backend.factory import build_answer_cache

        answer_cache = build_answer_cache(
            settings.llm,
            embedder.embed_queries,
            on_lookup=lambda outcome: metrics.answer_cache.labels(outcome=outcome).inc(),
        )

    container = Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        metrics=metrics,
        masker=masker,
        vaults=vaults,
        dialog_store=dialog_store,
        events=events,
        tracker=tracker,
        policy=policy,
        llm=llm,
        token_counter=token_counter,
        knowledge=IndexedKnowledgeBases(sessions, index_store),
        jobs=InProcessJobQueue({}, {}),  # replaced below: the jobs need the container itself
        embedder=embedder,
        answer_cache=answer_cache,
        index_store=index_store,
        redis=redis,
        closers=closers,
    )
    container.jobs = await _jobs(settings, container, role)
    closers.append(container.jobs.aclose)
    await start_recovery(container, role=role)
    from app.connectors.schedule import start_scheduler

    start_scheduler(container, role=role)
    from app.compliance.schedule import start_purge_scheduler

    start_purge_scheduler(container, role=role)
    if role == "app":
        from app.chat.tenant_trackers import start_warm_up

        start_warm_up(container)
    if role == "app" and settings.actions.demo_bank_in_process:
        from app.actions.embedded import start_demo_bank

        stop_bank = await start_demo_bank(settings.actions)
        if stop_bank is not None:
            closers.append(stop_bank)
    return container


async def start_recovery(container: Container, *, role: Role) -> None:
    """Jobs whose process died (killed mid-ingestion) are marked failed, not left "running" forever: now,
    and (app and worker) every ``JOBS_SWEEP_INTERVAL_S`` until the container closes
    (``app.kb.job_recovery``)."""
    from app.kb.job_recovery import recover_interrupted_jobs, sweep_forever

    in_process = isinstance(container.jobs, InProcessJobQueue)
    await recover_interrupted_jobs(container, in_process_queue=in_process)
    if role == "cli":
        return
    sweeper = asyncio.create_task(sweep_forever(container, in_process_queue=in_process), name="job-sweep")

    async def stop_sweeper() -> None:
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)

    container.closers.append(stop_sweeper)


async def _redis(settings: Settings) -> Any:
    if not settings.redis_url:
        return None
    from app.runtime.redis_client import command_client

    client = command_client(settings.redis_url, settings.redis)  # timeouts + retries from REDIS__*
    try:
        await client.ping()  # fail at start-up, loudly, rather than on the first turn
    except BaseException:
        await client.aclose()
        raise
    return client


def _dialog_stores(
    settings: Settings, redis: Any, redis_events: Any = None
) -> tuple[DialogStore, EventChannel]:
    ns = settings.redis_namespace
    if redis is None:
        from dialog.channels.memory import MemoryEventChannel
        from dialog.stores.memory import MemoryDialogStore

        return MemoryDialogStore(ttl_s=settings.dialog.state_ttl_s), MemoryEventChannel()
    from app.runtime.redis_client import BoundedRedisEventChannel
    from dialog.stores.redis_store import RedisDialogStore

    return (
        RedisDialogStore(redis, ttl_s=settings.dialog.state_ttl_s, prefix=f"{ns}:dialog:"),
        # Subscriptions block until an event comes: their own client, without a read deadline.
        BoundedRedisEventChannel(
            redis_events or redis, prefix=f"{ns}:events:", publish_timeout_s=settings.redis.publish_timeout_s
        ),
    )


async def _public_values(sessions: Any) -> list[str]:
    """Every tenant's published contact points (``tenants.settings.privacy_allow_list``): the bank's own
    hotline, e-mail and addresses are not PII, so the output check must not mask them in answers. Read
    at start-up; a tenant's change needs a restart."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.db import crud_tenancy

    try:
        async with sessions() as session:
            values = await crud_tenancy.all_privacy_allow_lists(session)
    except SQLAlchemyError:  # no schema yet (before `kefu migrate`): nothing to allow
        return []
    return values


async def _privacy(settings: Settings, redis: Any, public_values: list[str]) -> tuple[Any, Any]:
    from privacy.factory import build_masker, build_vault_store

    config = settings.privacy.model_copy(
        update={
            "vault_key_prefix": f"{settings.redis_namespace}:vault:",
            "allow_list": [*settings.privacy.allow_list, *public_values],
        }
    )
    masker = build_masker(config, settings.data_dir)
    await asyncio.to_thread(masker.warm_up)
    vaults = build_vault_store(config, settings.vault_key.get_secret_value(), redis=redis)
    return masker, vaults


async def _embedder(settings: Settings) -> Embedder:
    from retrieval.embedders import build_embedder

    embedder = QueryMemoEmbedder(
        build_embedder(
            settings.retrieval.embedder,
            cache_dir=settings.data_dir / "embeddings",
            query_engine=settings.retrieval.query_engine,
            models_dir=settings.data_dir / "models",
        )
    )
    await asyncio.to_thread(embedder.warm_up)
    return embedder


async def _jobs(settings: Settings, container: Container, role: Role) -> JobQueue:
    from app.worker import JOB_FUNCTIONS

    use_arq = settings.jobs_backend == "arq" or (settings.jobs_backend == "auto" and bool(settings.redis_url))
    if use_arq and role != "worker":
        if not settings.redis_url:
            raise ValueError("JOBS_BACKEND=arq needs REDIS_URL")
        return await ArqJobQueue.create(
            settings.redis_url, queue_name(settings.redis_namespace), JOB_FUNCTIONS
        )
    return InProcessJobQueue(JOB_FUNCTIONS, {"container": container})


def _index_store(settings: Settings, embedder: Embedder) -> FaissIndexStore:
    from retrieval.index.store import IndexStore

    return IndexStore(settings.data_dir / "indexes", embedder, settings.retrieval)


async def _dialog_logic(settings: Settings, embedder: Embedder) -> tuple[Tracker, Policy]:
    from dialog.factory import build_policy, build_tracker

    # The local tracker trains its intent classifier here (it embeds the intent examples).
    tracker = await asyncio.to_thread(build_tracker, settings.dialog, embed=embedder.embed_queries)
    return tracker, build_policy(settings.dialog)
