"""Helpers of the agent console and widget tests: the fake KB's chunks written to SQL too (as ingestion
would), so the routes that read passages back from the database find them."""

from __future__ import annotations

import hashlib

from app.container import Container
from app.db import crud_kb
from tests.unit.app.helpers import KB, Tenant


async def store_kb_chunks(container: Container, tenant: Tenant) -> None:
    async with container.sessions() as s:
        coll = await crud_kb.get_or_create_collection(s, tenant_id=tenant.id, name="default")
        raw = "\n".join(c.text for c in KB).encode()
        doc = await crud_kb.create_document(
            s,
            tenant_id=tenant.id,
            collection_id=coll.id,
            job_id=None,
            source="faq.csv",
            mime_type="text/csv",
            content_hash=hashlib.sha256(raw).hexdigest(),
            raw=raw,
        )
        await crud_kb.add_chunks(s, tenant_id=tenant.id, document_id=doc.id, chunks=KB)
        await s.commit()
