"""SQL on real PostgreSQL, each test inside a rolled-back transaction: the constraints the app relies on."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.credentials import sha256_hex
from app.auth.service import authenticate, login
from app.db import crud_conversations, crud_kb, crud_tenancy
from retrieval.types import ChunkRecord
from tests.unit.app.helpers import PASSWORD, password_hash

pytestmark = pytest.mark.integration


async def _tenant(s: AsyncSession, slug: str = "t1") -> str:
    return (await crud_tenancy.create_tenant(s, slug=slug, name=slug)).id


async def test_login_session_and_revocation(pg_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with pg_sessions() as s:
        tid = await _tenant(s)
        await crud_tenancy.create_user(
            s, tenant_id=tid, email="Ops@Bank.Example", password_hash=password_hash(), role="admin"
        )
        await s.commit()
        result = await login(s, email="ops@bank.example", password=PASSWORD, ttl_s=60)
        principal = await authenticate(s, token=result.token)
        assert principal is not None
        assert (principal.tenant_id, principal.role) == (tid, "admin")
        await crud_tenancy.revoke_auth_session(s, token_hash=sha256_hex(result.token))
        assert await authenticate(s, token=result.token) is None


async def test_email_is_unique_within_a_tenant(pg_sessions: async_sessionmaker[AsyncSession]) -> None:
    """Per tenant only (issue 12: a 409 for another tenant's address was an enumeration oracle)."""
    async with pg_sessions() as s:
        a, b = await _tenant(s, "a"), await _tenant(s, "b")
        await crud_tenancy.create_user(s, tenant_id=a, email="x@y.example", password_hash="h", role="agent")
        await crud_tenancy.create_user(s, tenant_id=b, email="X@y.example", password_hash="h", role="agent")
        with pytest.raises(IntegrityError):
            await crud_tenancy.create_user(
                s, tenant_id=b, email="x@Y.example", password_hash="h", role="agent"
            )


async def test_event_seq_is_unique_per_conversation(pg_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with pg_sessions() as s:
        tid = await _tenant(s)
        conv = await crud_conversations.create_conversation(s, tenant_id=tid, widget_key_id=None)
        await crud_conversations.insert_events(
            s, conversation_id=conv.id, first_seq=1, events=[("user_said", {"text": "a"})]
        )
        assert await crud_conversations.bump_event_version(s, conversation_id=conv.id, expected=0, new=1)
        assert not await crud_conversations.bump_event_version(s, conversation_id=conv.id, expected=0, new=1)
        with pytest.raises(IntegrityError):
            await crud_conversations.insert_events(
                s, conversation_id=conv.id, first_seq=1, events=[("user_said", {"text": "b"})]
            )


async def test_one_active_kb_version_per_tenant(pg_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with pg_sessions() as s:
        tid = await _tenant(s)
        coll = await crud_kb.get_or_create_collection(s, tenant_id=tid, name="default")
        doc = await crud_kb.create_document(
            s,
            tenant_id=tid,
            collection_id=coll.id,
            job_id=None,
            source="faq.csv",
            mime_type="text/csv",
            content_hash="h" * 64,
            raw=b"q,a",
        )
        await crud_kb.add_chunks(
            s,
            tenant_id=tid,
            document_id=doc.id,
            chunks=[
                ChunkRecord(
                    chunk_id="c1", document_id=doc.id, text="t", embed_text="e", metadata={"product": "card"}
                )
            ],
        )
        v1 = await crud_kb.create_version(
            s, tenant_id=tid, document_ids=[doc.id], embedder="e5", chunk_count=1
        )
        v2 = await crud_kb.create_version(
            s, tenant_id=tid, document_ids=[doc.id], embedder="e5", chunk_count=1
        )
        assert (v1.number, v2.number) == (1, 2)
        await crud_kb.activate_version(s, tenant_id=tid, version_id=v1.id)
        await crud_kb.activate_version(s, tenant_id=tid, version_id=v2.id)
        active = await crud_kb.get_active_version(s, tenant_id=tid)
        assert active is not None
        assert active.id == v2.id
        await s.refresh(v1)
        assert v1.status == "archived"
        chunks = await crud_kb.chunks_of_version(s, tenant_id=tid, version_id=v1.id)
        assert [(c.chunk_id, dict(c.metadata)) for c in chunks] == [("c1", {"product": "card"})]
        v1.is_active = True  # the partial unique index refuses a second active version
        with pytest.raises(IntegrityError):
            await s.flush()
