"""The demo bank: a tenant, an admin and an agent with fresh passwords, a public widget key for the local
site, the demo knowledge base (``Settings.demo_kb_dir``) ingested and published, its golden questions."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path

from app.auth import service as auth
from app.auth.credentials import generate_password, new_widget_key
from app.container import Container
from app.db import crud_kb, crud_tenancy
from app.kb import ingest as kb_ingest

DEMO_SLUG = "harbor"
DEMO_NAME = "Harbor Bank 海港银行"
ADMIN_EMAIL = "admin@harbor.example"
AGENT_EMAIL = "agent@harbor.example"
# The demo bank's own published contact points and product names: never PII, so never masked (see wiring).
PUBLIC_VALUES = [
    "+86-400-699-5396",
    "complaints@harborbank.example",
    "antifraud@harborbank.example",
    "Harbor City",
    "Harbour City",
    "海港市",
    # The card tiers' names: the English NER reads "the Gold credit card" as a place.
    "Classic",
    "Gold",
    "Platinum",
]
# Files of the demo folder that describe the KB rather than belong to it.
NOT_CONTENT = {"README.md", "golden_questions.jsonl", "answer_eval.jsonl"}


@dataclass(frozen=True, slots=True)
class DemoSeed:
    tenant_id: str
    admin_password: str
    agent_password: str
    widget_key: str
    origins: list[str]
    version: str | None
    documents: int
    failed: dict[str, str]

    def credentials_text(self) -> str:
        return (
            f"kefu demo tenant {DEMO_SLUG} ({DEMO_NAME})\n"
            f"admin  {ADMIN_EMAIL}  {self.admin_password}\n"
            f"agent  {AGENT_EMAIL}  {self.agent_password}\n"
            f"widget key  {self.widget_key}  (origins: {', '.join(self.origins)})\n"
        )


def golden_queries(kb_dir: Path) -> list[str]:
    """The demo's golden questions (zh and en), in file order."""
    path = kb_dir / "golden_questions.jsonl"
    return [
        json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def demo_files(kb_dir: Path) -> list[kb_ingest.IngestFile]:
    files = kb_ingest.collect_files([kb_dir], exclude=lambda rel: rel.as_posix() in NOT_CONTENT)
    return [kb_ingest.IngestFile(name, path.read_bytes()) for name, path in files]


async def seed(
    container: Container, *, if_empty: bool, progress: kb_ingest.ProgressFn | None = None
) -> DemoSeed | None:
    """Seed the demo bank; with ``if_empty``, do nothing (None) when any tenant exists."""
    settings = container.settings
    async with container.sessions() as session:
        if if_empty and await crud_tenancy.count_tenants(session) > 0:
            return None
        if await crud_tenancy.get_tenant_by_slug(session, slug=DEMO_SLUG) is not None:
            raise ValueError(f"tenant {DEMO_SLUG!r} exists already")
        tenant = await crud_tenancy.create_tenant(session, slug=DEMO_SLUG, name=DEMO_NAME)
        tenant.settings = {"privacy_allow_list": PUBLIC_VALUES}
        passwords = {ADMIN_EMAIL: generate_password(), AGENT_EMAIL: generate_password()}
        for email, role in ((ADMIN_EMAIL, "admin"), (AGENT_EMAIL, "agent")):
            await auth.create_user(
                session,
                tenant_id=tenant.id,
                email=email,
                password=passwords[email],
                role=role,
                display_name=f"Demo {role}",
            )
        origins = [f"http://127.0.0.1:{settings.port}", f"http://localhost:{settings.port}"]
        key = await crud_tenancy.create_widget_key(
            session,
            tenant_id=tenant.id,
            public_key=new_widget_key(),
            name="demo site",
            allowed_origins=origins,
        )
        await session.commit()
        tenant_id, widget_key = tenant.id, key.public_key

    files = await asyncio.to_thread(demo_files, settings.demo_kb_dir)
    # The bank's own published documents: PII findings are flagged for review, not masked out of them
    # (masking would remove the hotline and the branch addresses customers ask for).
    job_id, _ = await kb_ingest.store_files(container, tenant_id=tenant_id, files=files, pii_policy="flag")
    result = await kb_ingest.run_ingestion_job(
        container, tenant_id=tenant_id, job_id=job_id, progress=progress
    )
    await _golden_questions(container, tenant_id, settings.demo_kb_dir)
    await _intents(container, tenant_id)
    await _actions(container, tenant_id)
    out = DemoSeed(
        tenant_id=tenant_id,
        admin_password=passwords[ADMIN_EMAIL],
        agent_password=passwords[AGENT_EMAIL],
        widget_key=widget_key,
        origins=origins,
        version=result["version"],
        documents=int(result["indexed"]),
        failed=dict(result["failed"]),
    )
    await asyncio.to_thread(
        _write_credentials, settings.data_dir / "demo_credentials.txt", out.credentials_text()
    )
    return out


async def _golden_questions(container: Container, tenant_id: str, kb_dir: Path) -> None:
    lines = (kb_dir / "golden_questions.jsonl").read_text(encoding="utf-8").splitlines()
    async with container.sessions() as session:
        by_source = {
            d.source: d.id
            for d in await crud_kb.list_documents(session, tenant_id=tenant_id, status="indexed")
        }
        for line in lines:
            if not line.strip():
                continue
            q = json.loads(line)
            expected = [by_source[s] for s in q.get("relevant", []) if s in by_source]
            await crud_kb.add_golden_question(
                session,
                tenant_id=tenant_id,
                question=q["query"],
                lang=q.get("lang", ""),
                expected_document_ids=expected,
            )
        await session.commit()


async def _intents(container: Container, tenant_id: str) -> None:
    """The demo bank's intent set (``DIALOG__INTENTS_PATH``) as the tenant's intents in the database."""
    from dialog.intents import load_intents_yaml

    intents = await asyncio.to_thread(load_intents_yaml, container.settings.dialog.intents_path)
    async with container.sessions() as session:
        for spec in intents:
            await crud_kb.upsert_intent_spec(session, tenant_id=tenant_id, spec=spec)
        await session.commit()


async def _actions(container: Container, tenant_id: str) -> None:
    """The demo bank's six actions, against ``kefu fake-bank`` (``ACTIONS__FAKE_BANK_*``)."""
    from app.actions.catalogue import seed_demo_actions

    cfg = container.settings.actions
    async with container.sessions() as session:
        await seed_demo_actions(
            session, tenant_id=tenant_id, bank_url=f"http://{cfg.fake_bank_host}:{cfg.fake_bank_port}"
        )
        await session.commit()


def _write_credentials(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
