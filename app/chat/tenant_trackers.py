"""Which tracker reads a tenant's messages: one trained on the tenant's own intents (the ``intents`` table,
edited in the admin console), or the configured default set (``DIALOG__INTENTS_PATH``) for a tenant that
has none -- and, either way, on the tenant's active knowledge-base version: its FAQ questions and headings
are in-scope examples, and the product names it gives one card type imply that type
(``dialog.kb_profile``; ``app.kb.kb_profiles``). Publishing or rolling back a version retrains.

Training embeds every example, so trackers are cached per tenant and rebuilt only when the intents change.
Each replica notices a change by re-reading the tenant's intents at most every ``refresh_s`` seconds,
in a background task beside the turn, only when a turn asks (an idle replica reads nothing). A re-read
that finds the same rows (a digest of them, computed in a worker thread) and the same KB version stops
there: no validation, hashing or training data is built on the event loop (the replica where the admin
saved re-reads at once, and its next turn reads them before answering). The first turn
of a tenant with its own intents on a replica waits for its tracker to be trained (a tenant on the default
set is served by the default tracker meanwhile); after a change (intents or KB version) the previous
tracker keeps serving while the new one trains in a worker thread, then replaces it. An intent set that does not
validate (e.g. only ``out_of_scope`` left) keeps the last good tracker and reports the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import crud_kb
from app.db.models import Intent
from app.kb.kb_profiles import kb_profile_of
from dialog.errors import IntentConfigError
from dialog.intents import OUT_OF_SCOPE, IntentSet, load_intents_yaml, parse_intents
from dialog.kb_profile import KBProfile
from dialog.protocols import Tracker

logger = logging.getLogger(__name__)

Build = Callable[[IntentSet, KBProfile | None], Tracker]
DEFAULT_REVISION = "default"


@dataclass
class _Entry:
    checked: float = float("-inf")  # monotonic time of the last read of the tenant's intents
    wanted: str = ""  # revision of the rows as last read
    built: str = ""  # revision the tracker was trained on
    tracker: Tracker | None = None
    task: asyncio.Task[None] | None = None
    poll: asyncio.Task[None] | None = None  # a periodic re-read in flight
    error: str | None = None
    intents: int = 0
    own: bool = False  # the tenant has intents of its own (else the default set)
    kb_version: str = ""  # id of the active KB version the profile was read from ("" none)
    kb: KBProfile | None = None
    spare: set[asyncio.Task[None]] = field(default_factory=set)
    seen: tuple[str, str] | None = None  # (digest of the rows, KB version id) the last read acted on


@dataclass(frozen=True, slots=True)
class TrackerStatus:
    source: str  # tenant | default
    revision: str
    intents: int
    ready: bool  # the tracker in use was trained on the current rows
    error: str | None


def revision_of(intents: IntentSet) -> str:
    """A stable hash of what training depends on."""
    data = sorted(
        json.dumps(spec.model_dump(mode="json"), ensure_ascii=False, sort_keys=True) for spec in intents
    )
    return hashlib.sha256("\n".join(data).encode()).hexdigest()[:16]


def _raw(row: Intent) -> tuple[Any, ...]:
    return (row.name, row.description, row.examples, row.handoff, row.required_slots, row.topic)


def _digest(raw: list[tuple[Any, ...]]) -> str:
    """A hash of the rows exactly as read (before validation): equal rows, equal digest."""
    return hashlib.sha256(json.dumps(raw, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def intent_set_of(rows: Sequence[Intent]) -> IntentSet:
    """The rows as a validated ``IntentSet``; raises ``IntentConfigError`` naming what is wrong."""
    return parse_intents(
        [
            {
                "name": r.name,
                "description": r.description,
                "examples": list(r.examples),
                "handoff": r.handoff,
                "required_slots": list(r.required_slots),
                "topic": dict(r.topic),
            }
            for r in rows
        ]
    )


class TenantTrackers:
    """``await get(tenant_id)``: the tracker for the tenant's current intents. ``build`` trains a tracker for
    an intent set (sync, CPU-bound: run in a worker thread); None serves ``default`` to every tenant."""

    def __init__(
        self,
        *,
        default: Tracker,
        sessions: async_sessionmaker[AsyncSession],
        build: Build | None,
        default_intents: Callable[[], IntentSet] | None = None,
        refresh_s: float = 5.0,
    ) -> None:
        """``default_intents`` loads the set ``default`` was trained on: a tenant whose intents equal it
        (the demo tenant, seeded from it) shares ``default`` instead of training a copy."""
        self.default = default
        self._sessions = sessions
        self._build = build
        self._default_intents = default_intents
        self._default: IntentSet | None = None
        self._default_loaded = False
        self._default_revision: str | None = None
        self._refresh_s = refresh_s
        self._entries: dict[str, _Entry] = {}
        self.reads = 0  # reads of a tenant's intents (periodic or forced)
        self.changes = 0  # reads that found rows or a KB version other than the last read's
        self._warming: asyncio.Task[None] | None = None
        self._warm_deadline = float("inf")

    def warm_up(self, tenant_ids: Callable[[], Awaitable[list[str]]], *, limit_s: float) -> None:
        """Train the trackers of the tenants ``tenant_ids()`` names now, one after another, in the
        background (server start-up: the first customer after a restart gets the answer of the hundredth).
        ``warmed`` is False until that is done or ``limit_s`` has passed; turns meanwhile are answered as
        ``get`` always answers them (the default tracker serves a tenant on the default set)."""
        if self._build is None or self._warming is not None:
            return
        self._warm_deadline = time.monotonic() + limit_s
        self._warming = asyncio.create_task(self._warm(tenant_ids))

    def warmed(self) -> bool:
        """The start-up warm-up is over (finished, failed or out of time), or none was started."""
        if self._warming is None or self._warming.done():
            return True
        return time.monotonic() >= self._warm_deadline

    async def _warm(self, tenant_ids: Callable[[], Awaitable[list[str]]]) -> None:
        t0 = time.perf_counter()
        try:
            tenants = await tenant_ids()
        except Exception:
            logger.exception("tracker warm-up: listing the tenants failed")
            return
        for tenant_id in tenants:
            try:
                await self.get(tenant_id)
                await self.wait_ready(tenant_id)
            except Exception:  # that tenant trains on its first turn instead
                logger.exception("tenant %s: tracker warm-up failed", tenant_id)
        logger.info("tracker warm-up: %d tenants in %.1f s", len(tenants), time.perf_counter() - t0)

    async def get(self, tenant_id: str) -> Tracker:
        if self._build is None:
            return self.default
        entry = self._entries.setdefault(tenant_id, _Entry())
        if entry.checked == float("-inf"):  # never read on this replica, or saved here: read now
            await self._refresh(tenant_id, entry)
        elif time.monotonic() - entry.checked >= self._refresh_s and entry.poll is None:
            # The periodic re-read (another replica may have saved) runs beside the turn, not in it.
            entry.checked = time.monotonic()
            entry.poll = asyncio.create_task(self._poll(tenant_id, entry))
        if entry.tracker is None and entry.task is not None:  # first use on this replica: wait once
            await asyncio.shield(entry.task)
        return entry.tracker or self.default

    def invalidate(self, tenant_id: str) -> None:
        """Re-read the tenant's intents on the next ``get`` (call after saving them)."""
        entry = self._entries.get(tenant_id)
        if entry is not None:
            entry.checked = float("-inf")

    async def refresh(self, tenant_id: str) -> TrackerStatus:
        """Re-read now and start training if the intents changed (does not wait for it)."""
        self.invalidate(tenant_id)
        entry = self._entries.setdefault(tenant_id, _Entry())
        if self._build is not None:
            await self._refresh(tenant_id, entry)
        return self.status(tenant_id)

    async def wait_ready(self, tenant_id: str) -> TrackerStatus:
        entry = self._entries.get(tenant_id)
        while entry is not None and entry.task is not None:
            await asyncio.shield(entry.task)
        return self.status(tenant_id)

    def status(self, tenant_id: str) -> TrackerStatus:
        entry = self._entries.get(tenant_id)
        if self._build is None or entry is None or entry.wanted in ("", DEFAULT_REVISION):
            return TrackerStatus("default", DEFAULT_REVISION, 0, True, entry.error if entry else None)
        return TrackerStatus(
            "tenant" if entry.own else "default",
            entry.wanted,
            entry.intents,
            entry.built == entry.wanted and entry.task is None,
            entry.error,
        )

    async def _poll(self, tenant_id: str, entry: _Entry) -> None:
        try:
            await self._refresh(tenant_id, entry)
        except Exception:  # the current tracker keeps serving; the next poll tries again
            logger.exception("tenant %s: re-reading the intents failed", tenant_id)
        finally:
            entry.poll = None

    async def _read_kb(self, session: AsyncSession, tenant_id: str, entry: _Entry) -> None:
        """The active KB version's profile, read again only when the active version changed."""
        active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        version_id = active.id if active is not None else ""
        if version_id == entry.kb_version:
            return
        chunks = (
            await crud_kb.chunks_of_version(session, tenant_id=tenant_id, version_id=version_id)
            if version_id
            else []
        )
        profile = await asyncio.to_thread(kb_profile_of, chunks) if chunks else None
        entry.kb_version, entry.kb = version_id, profile

    async def _refresh(self, tenant_id: str, entry: _Entry) -> None:
        async with self._sessions() as session:
            rows = list(await crud_kb.list_intents(session, tenant_id=tenant_id))
            await self._read_kb(session, tenant_id, entry)
        entry.checked = time.monotonic()
        self.reads += 1
        # The periodic re-read almost always finds what it found last time: a digest of the raw rows
        # (hashed in a worker thread) and the KB version id end it there, so a replica whose intents and
        # KB do not change pays one small SELECT per ``refresh_s``, with no validation or hashing of the
        # set on the event loop.
        raw = [_raw(r) for r in rows]
        seen = (await asyncio.to_thread(_digest, raw), entry.kb_version)
        if seen == entry.seen:
            return
        await self._apply(tenant_id, entry, rows)
        entry.seen = seen

    async def _apply(self, tenant_id: str, entry: _Entry, rows: list[Intent]) -> None:
        """Act on rows that differ from the last read: validate, hash, and train if the revision changed."""
        self.changes += 1
        kb = entry.kb if entry.kb is not None and entry.kb.examples else None
        default = await self._default_set()
        if not rows and (kb is None or default is None):
            entry.wanted = entry.built = DEFAULT_REVISION
            entry.tracker, entry.intents, entry.error, entry.own = None, 0, None, False
            return
        try:
            # Validating and hashing a few hundred examples is CPU work: off the event loop.
            intents = await asyncio.to_thread(intent_set_of, rows) if rows else default
            assert intents is not None
            training = await self.trainable(intents)
        except IntentConfigError as exc:
            entry.error = str(exc)[:500]
            logger.warning("tenant %s: intents do not validate; keeping the previous tracker", tenant_id)
            return
        intents_rev = await asyncio.to_thread(revision_of, intents)
        wanted = intents_rev if kb is None else f"{intents_rev}+kb{kb.revision}"
        entry.error = None
        if wanted == entry.wanted:
            return
        entry.wanted, entry.intents, entry.own = wanted, len(intents), bool(rows)
        on_default = intents_rev == await self._default_rev()
        if on_default and kb is None:
            entry.tracker, entry.built = self.default, wanted
            return
        if on_default and entry.tracker is None:
            entry.tracker = self.default  # the default set's tracker serves while the KB-aware one trains
        if entry.task is not None:  # a newer revision supersedes the one in training
            entry.spare.add(entry.task)
            entry.task.add_done_callback(entry.spare.discard)
        entry.task = asyncio.create_task(self._train(tenant_id, entry, training, kb, wanted))

    async def _default_set(self) -> IntentSet | None:
        if not self._default_loaded:
            self._default = await asyncio.to_thread(self._default_intents) if self._default_intents else None
            self._default_loaded = True
        return self._default

    async def _default_rev(self) -> str:
        if self._default_revision is None:
            default = await self._default_set()
            self._default_revision = (
                await asyncio.to_thread(revision_of, default) if default is not None else DEFAULT_REVISION
            )
        return self._default_revision

    async def trainable(self, intents: IntentSet) -> IntentSet:
        """What the tenant's tracker trains on: its intents, plus the default set's ``out_of_scope``
        examples when it has none of its own (the classifier needs a second label, and a tenant's first
        intent must still be told apart from chit-chat). Raises ``IntentConfigError`` when that still
        leaves a single label."""
        if OUT_OF_SCOPE not in intents:
            default = await self._default_set()
            fallback = default.get(OUT_OF_SCOPE) if default is not None else None
            if fallback is not None:
                intents = IntentSet([*intents, fallback])
        if len(set(intents.training_data()[1])) < 2:
            raise IntentConfigError(
                "the intents need examples of at least two labels: add a second intent or out_of_scope"
            )
        return intents

    async def _train(
        self, tenant_id: str, entry: _Entry, intents: IntentSet, kb: KBProfile | None, revision: str
    ) -> None:
        assert self._build is not None
        t0 = time.perf_counter()
        try:
            tracker = await asyncio.to_thread(self._build, intents, kb)
        except Exception as exc:
            entry.error = f"training failed: {type(exc).__name__}"
            logger.exception("tenant %s: training the tracker failed", tenant_id)
        else:
            if entry.wanted == revision:  # not superseded meanwhile
                entry.tracker, entry.built = tracker, revision
                logger.info(
                    "tenant %s: tracker trained on %d intents and %d KB examples in %.1f s",
                    tenant_id,
                    len(intents),
                    len(kb.examples) if kb is not None else 0,
                    time.perf_counter() - t0,
                )
        finally:
            if entry.task is asyncio.current_task():
                entry.task = None

    async def aclose(self) -> None:
        tasks = [t for e in self._entries.values() for t in (e.task, e.poll, *e.spare) if t is not None]
        if self._warming is not None:
            tasks.append(self._warming)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t


def for_container(container: Any) -> TenantTrackers:
    """The container's ``TenantTrackers``, created on first use: local trackers trained with the
    container's embedder and dialog settings (the recipe of the default tracker). Without an embedder, or
    with ``DIALOG__TRACKER=llm`` (whose LLM adapter the app does not wire per tenant), every tenant gets
    the default tracker."""
    trackers: TenantTrackers | None = getattr(container, "trackers", None)
    if trackers is None:
        build: Build | None = None
        embedder = container.embedder
        config = container.settings.dialog
        if embedder is not None and config.tracker == "local":
            from dialog.factory import build_local_tracker

            def build(intents: IntentSet, kb: KBProfile | None) -> Tracker:
                return build_local_tracker(config, embed=embedder.embed_queries, intents=intents, kb=kb)

        trackers = TenantTrackers(
            default=container.tracker,
            sessions=container.sessions,
            build=build,
            default_intents=functools.partial(load_intents_yaml, config.intents_path),
        )
        container.trackers = trackers
        container.closers.append(trackers.aclose)
    return trackers


def start_warm_up(container: Any) -> None:
    """At server start-up: train, in the background, the tracker of every tenant with an active
    knowledge-base version (``SERVER__TRACKER_WARM_UP_S`` bounds how long readiness waits for it)."""
    from app.db import crud_ops

    async def tenants() -> list[str]:
        async with container.sessions() as session:
            return sorted({tenant_id for tenant_id, _ in await crud_ops.active_versions(session)})

    for_container(container).warm_up(tenants, limit_s=container.settings.server.tracker_warm_up_s)
