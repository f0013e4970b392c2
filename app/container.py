"""The composition root: every adapter the app uses, built once (``build_container``) in the FastAPI
lifespan / the worker's start-up / a CLI command, and closed once.

Routes and services receive the ``Container`` (through ``app.deps``) and never build adapters themselves.
Tests build a ``Container`` directly from the domain packages' fakes (``tests/unit/app/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.conversations.event_writer import ConversationWriter
from app.conversations.log import ConversationLog
from app.kb.knowledge import KnowledgeBases
from app.runtime.jobs import JobQueue
from app.runtime.metrics import Metrics
from app.settings import Settings
from dialog.protocols import Decision, DialogStore, EventChannel, RetrievalSignal, Tracker, TrackResult
from dialog.state import DialogState
from llm_backend.protocols import LLMClient
from llm_backend.semantic_cache import SemanticAnswerCache
from llm_backend.tokens import TokenCounter
from privacy.protocols import PiiMasker, VaultStore
from retrieval.protocols import Embedder


class Policy(Protocol):
    """The dialog policy: a pure decision from the state, what the tracker learnt and the retrieval
    (``dialog.policy.Policy``). ``llm_available=False`` lets it hand off instead of answering."""

    def __call__(
        self, state: DialogState, track: TrackResult, signal: RetrievalSignal, *, llm_available: bool = True
    ) -> Decision: ...


Closer = Callable[[], Awaitable[None]]


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metrics: Metrics
    masker: PiiMasker
    vaults: VaultStore
    dialog_store: DialogStore
    events: EventChannel
    tracker: Tracker
    policy: Policy
    llm: LLMClient
    token_counter: TokenCounter
    knowledge: KnowledgeBases
    jobs: JobQueue
    embedder: Embedder | None = None
    answer_cache: SemanticAnswerCache | None = None  # frequent questions answered without the model
    index_store: Any = None  # retrieval's IndexStore (ingestion builds versions with it)
    redis: Any = None  # redis.asyncio.Redis when REDIS_URL is set
    # Per-tenant trackers trained on the tenant's own intents (app.chat.tenant_trackers; created on
    # first use, so tests and the CLI need not build it).
    trackers: Any = None
    # Staff SSO's IdP gateway (app.auth.sso.idp.IdpGateway; created on first use by app.deps).
    sso: Any = None
    closers: list[Closer] = field(default_factory=list)

    @property
    def conversation_log(self) -> ConversationLog:
        return ConversationLog(self.dialog_store)

    @property
    def conversation_writer(self) -> ConversationWriter:
        """Every write to a conversation: events and rows in one transaction, retried on a concurrent
        writer (``app.conversations.event_writer``)."""
        return ConversationWriter(self.sessions, self.conversation_log, self.metrics)

    async def aclose(self) -> None:
        """Close everything in reverse order of construction; one failure does not stop the rest."""
        errors: list[BaseException] = []
        for close in reversed(self.closers):
            try:
                await close()
            except Exception as exc:  # pragma: no cover - logged by the caller
                errors.append(exc)
        self.closers.clear()
        if errors:
            raise errors[0]
