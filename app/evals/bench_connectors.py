"""``kefu bench connectors``: a synthetic help centre on loopback, synced twice.

1. N short pages (one heading, two sentences: the embedder is the slow part on a CPU box, and it is
   what both sides of the ratio pay) and a sitemap, served by ``demo_site.HelpCentre`` (ETag, 304, 410).
2. The raw throughput, same process, same pages: main-content extraction, our HTML loader, the PII scan
   (the ingestion policy), the chunker and the embedder (uncached, through the index build's own
   ``embed_chunks``; warmed up first on other pages), no HTTP, no database, no index: pages/s. Times are
   wall and CPU (``time.process_time``: every thread of this process, the loopback server's included on
   the sync side): on a shared, loaded box the CPU time is what still compares.
3. The first sync into an empty tenant (fresh database and embedding cache): time, pages/s, the ratio
   to the raw throughput.
4. The site changes: ``changed`` pages get a new figure, ``removed`` answer 410, ``added`` new pages
   appear in the sitemap. The second sync: time as a share of the first, what it stored and parsed
   (the ingestion job's documents), and what it embedded (the embedding cache's misses).
5. Retrieval on one question per changed page, answerable only from its new text (the new figure):
   whether the top-k passages of the active version hold it, before and after the second sync.

Everything runs in this process on a temporary data folder (SQLite); nothing of the real database is
touched. Figures come from this run only.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PRODUCTS = ["debit card", "credit card", "savings account", "time deposit", "mobile app", "online banking",
            "ATM service", "branch counter", "wire transfer", "currency exchange"]  # fmt: skip
ASPECTS = ["monthly fee", "daily limit", "processing time", "minimum balance", "replacement fee"]


@dataclass
class BenchResult:
    pages: int
    embedder: str
    raw_seconds: float
    raw_cpu_seconds: (
        float  # CPU time of this process (every thread): what a shared, loaded box still compares
    )
    raw_pages_per_s: float
    raw_pages_per_cpu_s: float
    raw_chunks: int
    first_sync_seconds: float
    first_sync_cpu_seconds: float
    first_sync_pages_per_s: float
    first_sync_pages_per_cpu_s: float
    ratio_to_raw: float  # first sync's pages/s over the raw pages/s (wall)
    ratio_to_raw_cpu: float  # the same on CPU time
    first_counts: dict[str, int]
    first_embedded: int
    second_sync_seconds: float
    second_sync_cpu_seconds: float
    second_share_of_first: float
    second_share_of_first_cpu: float
    second_counts: dict[str, int]
    second_documents_parsed: int
    second_embedded: int
    second_requests_with_body: int
    second_requests_without_body: int
    retrieval_k: int
    questions: int
    answered_before: int
    answered_after: int
    changed_page_top1_before: int
    changed_page_top1_after: int
    versions: list[str] = field(default_factory=list)


def _plan(i: int) -> str:
    return f"Plan H-{1000 + i}"


def _figure(i: int, version: int) -> str:
    return f"CNY {((i * 37 + version * 11) % 89) + 10}"


def page_html(i: int, version: int = 1) -> str:
    product, aspect = PRODUCTS[i % len(PRODUCTS)], ASPECTS[(i // len(PRODUCTS)) % len(ASPECTS)]
    title = f"{_plan(i)} {product}: {aspect}"
    return (
        f"<!doctype html><html><head><title>{title} | Bench Bank</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/contact.html'>Contact</a> <a href='/privacy.html'>Privacy</a></nav>"
        f"<main><h1>{title}</h1><p>The {aspect} of the {product} under {_plan(i)} is {_figure(i, version)}.</p>"
        f"<p>Customers on {_plan(i)} can ask at any branch or in the app about the {product}.</p></main>"
        "<footer><p>Bench Bank, a fictional bank. Cookie settings.</p></footer></body></html>"
    )


def write_site(root: Path, ids: list[int], versions: dict[int, int]) -> None:
    for i in ids:
        (root / f"p{i:04d}.html").write_text(page_html(i, versions.get(i, 1)), encoding="utf-8")
    urls = "".join(f"<url><loc>{{{{BASE}}}}/p{i:04d}.html</loc></url>" for i in ids)
    (root / "sitemap.xml").write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


def _cached(embedder: Any) -> Any:
    from retrieval.embedders.cache import CachedEmbedder

    e = embedder
    for _ in range(4):
        if isinstance(e, CachedEmbedder):
            return e
        e = getattr(e, "_inner", None) or getattr(e, "inner", None)
    raise RuntimeError("the embedder has no embedding cache")


def _raw(container: Any, root: Path, ids: list[int]) -> tuple[float, float, int]:
    """Extract, parse, PII-scan, chunk and embed every page, uncached. Returns (wall seconds, CPU seconds
    of this process, chunks)."""
    from app.connectors.extract import main_content
    from app.kb.ingest import _scan
    from retrieval.chunking import Chunker
    from retrieval.index.build import embed_chunks
    from retrieval.loaders import load_document
    from retrieval.types import ChunkRecord

    config = container.settings.retrieval
    inner = _cached(container.embedder).inner
    chunker = Chunker(config)

    def pipeline(pages: list[bytes]) -> int:
        chunks: list[ChunkRecord] = []
        for html in pages:
            _, doc = main_content(html)
            parsed = load_document(doc, "page.html", config)
            parsed, _ = _scan(container, parsed, container.settings.privacy.ingestion_policy)
            chunks += chunker.chunk(parsed, hashlib.sha1(doc).hexdigest())
        embed_chunks(chunks, inner, config)  # the index build's own batching (shortest texts first)
        return len(chunks)

    # Warm-up: one untimed pass over the same pages (lazy imports, the PII engine's first call, torch's
    # first batch of each shape), so neither side pays first-use costs. It did not move the raw CPU time
    # (45.8 s with an 8-page warm-up, 45.9 s with this one): the spread between runs is the loaded box.
    data = [(root / f"p{i:04d}.html").read_bytes() for i in ids]
    pipeline(data)
    t0, c0 = time.perf_counter(), time.process_time()
    chunks = pipeline(data)
    return time.perf_counter() - t0, time.process_time() - c0, chunks


async def _answered(
    container: Any, tenant_id: str, changed: list[int], version: int, k: int
) -> tuple[int, int]:
    """(questions whose top-k passages hold the page's figure of ``version``, questions whose top hit is
    the page)."""
    kb = await container.knowledge.active(tenant_id)
    answered = top1 = 0
    for i in changed:
        product, aspect = PRODUCTS[i % len(PRODUCTS)], ASPECTS[(i // len(PRODUCTS)) % len(ASPECTS)]
        hits = await asyncio.to_thread(
            kb.retriever.search, f"What is the {aspect} of the {product} under {_plan(i)}?", k=k
        )
        answered += any(_figure(i, version) in h.chunk.text and _plan(i) in h.chunk.text for h in hits.hits)
        top1 += bool(hits.hits) and hits.hits[0].chunk.metadata.get("source", "").endswith(f"/p{i:04d}.html")
    return answered, top1


async def run(*, pages: int, changed: int, removed: int, added: int, k: int, seed: int = 7,
              progress: Any = print) -> BenchResult:  # fmt: skip
    from app.connectors import sources
    from app.connectors import sync as sync_service
    from app.connectors.demo_site import HelpCentre
    from app.db import crud_kb, crud_tenancy
    from app.db.migrate import upgrade
    from app.db.models import IngestionJob
    from app.kb.versions import SYSTEM
    from app.settings import get_settings
    from app.wiring import build_container

    tmp = Path(tempfile.mkdtemp(prefix="kefu-bench-connectors-"))
    try:
        site_root = tmp / "site"
        site_root.mkdir()
        ids = list(range(pages))
        write_site(site_root, ids, {})
        base = get_settings()
        settings = base.model_copy(update={
            "database_url": f"sqlite+aiosqlite:///{tmp / 'bench.db'}", "redis_url": None, "data_dir": tmp / "data",
            "jobs_backend": "inprocess",
        })  # fmt: skip
        await asyncio.to_thread(upgrade, settings.sqlalchemy_url)
        container = await build_container(settings, role="cli")
        try:
            progress("raw parse+embed of the pages (no HTTP, database or index) ...")
            raw_s, raw_cpu, raw_chunks = await asyncio.to_thread(_raw, container, site_root, ids)
            async with container.sessions() as s:
                tenant = await crud_tenancy.create_tenant(s, slug="bench", name="Bench Bank")
                await s.commit()
                tenant_id = tenant.id
            cache = _cached(container.embedder)
            with HelpCentre(site_root) as site:
                spec = sources.WebSourceSpec(sitemap=site.base_url + "/sitemap.xml", allow_private=True,
                                             delay_s=0.0, max_pages=pages * 2)  # fmt: skip
                row = await sources.add_source(
                    container, tenant_id=tenant_id, kind="web", actor=SYSTEM,
                    config=sources.web_config(spec, settings.connectors),
                )  # fmt: skip

                async def one_sync() -> tuple[Any, float, float, int]:
                    misses = cache.misses
                    t0, c0 = time.perf_counter(), time.process_time()
                    sid = await sync_service.start_sync(container, tenant_id=tenant_id, source_id=row.id,
                                                        actor=SYSTEM, enqueue=False)  # fmt: skip
                    await sync_service.run_sync(container, tenant_id=tenant_id, sync_id=sid)
                    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
                    async with container.sessions() as s:
                        from app.db import crud_sources

                        done = await crud_sources.get_sync(s, tenant_id=tenant_id, sync_id=sid)
                    assert done is not None
                    if done.status != "succeeded":
                        raise RuntimeError(f"sync failed: {done.error_code} {done.error_detail}")
                    return done, elapsed, cpu, cache.misses - misses

                progress(f"first sync of {pages} pages ...")
                first, first_s, first_cpu, first_embedded = await one_sync()
                rng = random.Random(seed)
                picked = rng.sample(ids, changed + removed)
                changed_ids, removed_ids = picked[:changed], picked[changed:]
                added_ids = list(range(pages, pages + added))
                before = await _answered(container, tenant_id, changed_ids, 2, k)
                write_site(
                    site_root,
                    [i for i in ids if i not in removed_ids] + added_ids,
                    {i: 2 for i in changed_ids},
                )
                for i in removed_ids:
                    site.gone.add(f"/p{i:04d}.html")
                site.reset_counts()
                progress(f"second sync: {changed} changed, {removed} removed, {added} added ...")
                second, second_s, second_cpu, second_embedded = await one_sync()
                bodies = sum(site.full_bodies.values())
                without_body = sum(site.hits.values()) - bodies
                after = await _answered(container, tenant_id, changed_ids, 2, k)
                async with container.sessions() as s:
                    job = await s.get(IngestionJob, second.job_id) if second.job_id else None
                    versions = [v.label for v in await crud_kb.list_versions(s, tenant_id=tenant_id)]
            return BenchResult(
                pages=pages, embedder=settings.retrieval.embedder,
                raw_seconds=round(raw_s, 2), raw_cpu_seconds=round(raw_cpu, 2),
                raw_pages_per_s=round(pages / raw_s, 2), raw_pages_per_cpu_s=round(pages / raw_cpu, 2),
                raw_chunks=raw_chunks,
                first_sync_seconds=round(first_s, 2), first_sync_cpu_seconds=round(first_cpu, 2),
                first_sync_pages_per_s=round(pages / first_s, 2),
                first_sync_pages_per_cpu_s=round(pages / first_cpu, 2),
                ratio_to_raw=round(raw_s / first_s, 3), ratio_to_raw_cpu=round(raw_cpu / first_cpu, 3),
                first_counts=_counts(first), first_embedded=first_embedded,
                second_sync_seconds=round(second_s, 2), second_sync_cpu_seconds=round(second_cpu, 2),
                second_share_of_first=round(second_s / first_s, 3),
                second_share_of_first_cpu=round(second_cpu / first_cpu, 3),
                second_counts=_counts(second), second_documents_parsed=job.documents_total if job else 0,
                second_embedded=second_embedded, second_requests_with_body=bodies, second_requests_without_body=without_body,
                retrieval_k=k, questions=len(changed_ids), answered_before=before[0], answered_after=after[0],
                changed_page_top1_before=before[1], changed_page_top1_after=after[1], versions=versions,
            )  # fmt: skip
        finally:
            await container.aclose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _counts(run: Any) -> dict[str, int]:
    return {
        key: int(run.counts.get(key, 0)) for key in ("added", "changed", "removed", "unchanged", "failed")
    }


def as_dict(result: BenchResult) -> dict[str, Any]:
    return asdict(result)
