"""Syncing a website source and a folder source into gated KB versions, end to end on a real SQLite
database, the real loaders, chunker, index store and gate, against a real loopback HTTP server (ours,
which honours ETag / If-None-Match and answers 410 and redirects, and Python's ``http.server``)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.connectors import sources
from app.connectors import sync as sync_service
from app.connectors.demo_site import HelpCentre
from app.container import Container
from app.db import crud_kb, crud_sources
from app.db.models import Document, IngestionJob
from app.kb.versions import SYSTEM
from retrieval.embedders.cache import CachedEmbedder
from tests.unit.app.connectors.conftest import page, sitemap
from tests.unit.app.helpers import Tenant


async def add_web(c: Container, tenant: Tenant, **kw: object) -> str:
    auto = bool(kw.pop("auto_publish", True))
    spec = sources.WebSourceSpec(allow_private=True, delay_s=0.0, **kw)  # type: ignore[arg-type]
    config = sources.web_config(spec, c.settings.connectors)
    row = await sources.add_source(c, tenant_id=tenant.id, kind="web", config=config, actor=SYSTEM,
                                   auto_publish=auto)  # fmt: skip
    return row.id


async def sync(c: Container, tenant: Tenant, source_id: str):
    sync_id = await sync_service.start_sync(c, tenant_id=tenant.id, source_id=source_id, actor=SYSTEM)
    run = await sync_service.wait(c, tenant_id=tenant.id, sync_id=sync_id, poll_s=0.05)
    outcome = await sync_service.outcome_of(c, tenant_id=tenant.id, sync_id=sync_id)
    return run, outcome


async def top_source(c: Container, tenant: Tenant, query: str) -> str:
    kb = await c.knowledge.active(tenant.id)
    assert kb is not None
    hits = kb.retriever.search(query, k=1).hits
    return hits[0].chunk.metadata["source"] if hits else ""


async def job_documents(c: Container, job_id: str | None) -> int:
    async with c.sessions() as s:
        job = await s.get(IngestionJob, job_id)
        return job.documents_total if job else 0


async def test_website_sync_is_incremental(kb: Container, bank: Tenant, site: HelpCentre) -> None:
    base = site.base_url
    sid = await add_web(kb, bank, sitemap=base + "/sitemap.xml")
    embedder = kb.embedder
    assert isinstance(embedder, CachedEmbedder)

    run, outcome = await sync(kb, bank, sid)
    assert run.status == "succeeded", run.error_detail
    assert {k: run.counts[k] for k in ("added", "changed", "removed", "unchanged", "failed")} == {
        "added": 6, "changed": 0, "removed": 0, "unchanged": 0, "failed": 1}  # fmt: skip
    assert run.items[0] == {"key": base + "/internal/secret.html", "outcome": "failed", "code": "robots_disallowed",
                            "detail": "robots.txt disallows it"}  # fmt: skip
    assert site.hits["/internal/secret.html"] == 0
    assert outcome.active
    assert run.published
    assert run.version == "v1"
    assert run.gate["allowed"] is True
    assert await top_source(kb, bank, "zorblax3 lost card") == base + "/page-3.html"  # the citation's source
    async with kb.sessions() as s:
        doc = (await s.execute(select(Document).where(Document.source == base + "/page-3.html"))).scalar_one()
        assert doc.title == "Lost cards"
        assert doc.status == "indexed"

    # Nothing changed: every page answers 304 to its ETag, nothing is stored, parsed or embedded.
    site.reset_counts()
    misses = embedder.misses
    run, outcome = await sync(kb, bank, sid)
    assert (run.counts["unchanged"], run.counts["added"], run.counts["changed"]) == (6, 0, 0)
    assert sum(site.hits[f"/page-{i}.html"] for i in range(1, 7)) == 6
    assert sum(site.full_bodies[f"/page-{i}.html"] for i in range(1, 7)) == 0
    assert run.job_id is None
    assert run.version == "v1"
    assert outcome.active
    assert embedder.misses == misses

    # One page changed, one only in its footer, one gone (410), one dropped from the sitemap, one new.
    (site.root / "page-1.html").write_text(
        page("Card fees", "The zorblax1 annual fee is now waived after three purchases.")
    )
    (site.root / "page-2.html").write_text(
        page(
            "Branch hours",
            "Branches open at nine; the zorblax2 counter closes at four on Fridays.",
            footer="New footer",
        )
    )
    (site.root / "page-7.html").write_text(page("Savings", "The zorblax7 savings account pays 1.5 percent."))
    site.gone.add("/page-3.html")
    (site.root / "sitemap.xml").write_text(
        sitemap(["page-1.html", "page-2.html", "page-3.html", "page-5.html", "page-6.html", "page-7.html"])
    )
    site.reset_counts()
    misses = embedder.misses
    run, outcome = await sync(kb, bank, sid)
    counts = {k: run.counts[k] for k in ("added", "changed", "removed", "unchanged", "failed")}
    assert counts == {"added": 1, "changed": 1, "removed": 2, "unchanged": 3, "failed": 0}
    by_key = {i["key"]: (i["outcome"], i["code"]) for i in run.items}
    assert by_key[base + "/page-3.html"] == ("removed", "http_410")
    assert by_key[base + "/page-4.html"] == ("removed", "dropped")
    assert by_key[base + "/page-1.html"][0] == "changed"
    assert by_key[base + "/page-7.html"][0] == "added"
    assert await job_documents(kb, run.job_id) == 2  # only the changed and the new page were parsed
    assert 0 < embedder.misses - misses <= 4  # only their chunks were embedded
    assert outcome.active
    assert run.version == "v2"
    assert run.published
    assert await top_source(kb, bank, "zorblax7 savings") == base + "/page-7.html"
    assert await top_source(kb, bank, "zorblax3 lost card") != base + "/page-3.html"
    kbv = await kb.knowledge.active(bank.id)
    assert "three purchases" in kbv.retriever.search("zorblax1 annual fee", k=1).hits[0].chunk.text


async def test_a_sync_that_breaks_a_golden_question_stays_a_draft(
    kb: Container, bank: Tenant, site: HelpCentre
) -> None:
    base = site.base_url
    sid = await add_web(kb, bank, sitemap=base + "/sitemap.xml")
    run, outcome = await sync(kb, bank, sid)
    assert outcome.active
    async with kb.sessions() as s:
        doc = (await s.execute(select(Document).where(Document.source == base + "/page-5.html"))).scalar_one()
        await crud_kb.add_golden_question(s, tenant_id=bank.id, question="zorblax5 foreign exchange",
                                          lang="en", expected_document_ids=[doc.id])  # fmt: skip
        await s.commit()
    site.gone.add("/page-5.html")
    run, outcome = await sync(kb, bank, sid)
    assert run.status == "succeeded"
    assert run.counts["removed"] == 1
    assert run.published is False
    assert outcome.active is False
    assert run.version == "v2"
    assert run.gate["allowed"] is False
    assert run.gate["recall_at_5"] < run.gate["active_recall_at_5"]
    assert await top_source(kb, bank, "zorblax5 foreign exchange") == base + "/page-5.html"  # still served


async def test_without_auto_publish_the_draft_waits_with_its_report(
    kb: Container, bank: Tenant, site: HelpCentre
) -> None:
    sid = await add_web(kb, bank, sitemap=site.base_url + "/sitemap.xml", auto_publish=False)
    run, outcome = await sync(kb, bank, sid)
    assert run.status == "succeeded"
    assert run.version == "v1"
    assert run.published is False
    assert outcome.active is False
    assert run.gate["allowed"] is True
    assert run.gate["candidate"] == "v1"


async def test_crawl_follows_links_and_moves(kb: Container, bank: Tenant, site: HelpCentre) -> None:
    index = "".join(f"<li><a href='/page-{i}.html'>p{i}</a></li>" for i in (1, 2, 3))
    (site.root / "index.html").write_text(
        f"<html><body><main><h1>Help</h1><ul>{index}</ul><p>Start here.</p></main></body></html>"
    )
    sid = await add_web(kb, bank, url=site.base_url + "/", include=("/page-*",))
    run, _ = await sync(kb, bank, sid)
    assert run.counts["added"] == 3  # the start page is a hub: fetched for its links, not indexed
    assert run.counts["failed"] == 0  # /contact.html (linked from every page) is not included
    site.redirects["/page-2.html"] = "/page-2b.html"
    (site.root / "page-2b.html").write_text(page("Branch hours", "Moved: zorblax2 hours."))
    run, outcome = await sync(kb, bank, sid)
    by_key = {i["key"]: (i["outcome"], i["code"]) for i in run.items}
    assert by_key[site.base_url + "/page-2.html"] == ("removed", "moved")
    assert by_key[site.base_url + "/page-2b.html"] == ("added", "")
    assert outcome.active


async def test_site_down_changes_nothing(kb: Container, bank: Tenant, site: HelpCentre) -> None:
    sid = await add_web(kb, bank, sitemap=site.base_url + "/sitemap.xml")
    await sync(kb, bank, sid)
    site.stop()
    run, outcome = await sync(kb, bank, sid)
    assert run.status == "failed"
    assert run.error_code == "nothing_fetched"
    assert run.counts["removed"] == 0
    assert outcome.active is False
    assert await top_source(kb, bank, "zorblax3 lost card") == site.base_url + "/page-3.html"


async def test_folder_source(kb: Container, bank: Tenant, tmp_path: Path) -> None:
    share = tmp_path / "share"
    (share / "guides").mkdir(parents=True)
    (share / "fees.md").write_text("# Fees\n\nThe zorblaxfee transfer fee is 2 CNY.\n")
    (share / "faq.csv").write_text(
        "question,answer\nHow do I open zorblaxacct?,Visit a branch with your ID.\n"
    )
    (share / "guides" / "hours.txt").write_text("Branches open zorblaxhours 9 to 5.\n")
    (share / ".draft.md").write_text("# hidden\n\nnot synced\n")
    (share / "tool.exe").write_bytes(b"MZ\x00\x00binary")
    config = sources.folder_config(str(share), "**/*", kb.settings.connectors, operator=True)
    row = await sources.add_source(
        kb, tenant_id=bank.id, kind="folder", config=config, actor=SYSTEM, name="share"
    )
    run, outcome = await sync(kb, bank, row.id)
    assert (run.counts["added"], run.counts["failed"]) == (3, 1)
    assert run.items[0]["key"] == "tool.exe"
    assert run.items[0]["code"] == "unsupported_type"
    assert outcome.active
    assert await top_source(kb, bank, "zorblaxhours") == "share/guides/hours.txt"

    os.utime(share / "fees.md", (time.time() + 5, time.time() + 5))  # touched, same bytes
    (share / "faq.csv").write_text("question,answer\nHow do I open zorblaxacct?,Apply in the app.\n")
    (share / "guides" / "hours.txt").unlink()
    run, outcome = await sync(kb, bank, row.id)
    counts = {k: run.counts[k] for k in ("added", "changed", "removed", "unchanged")}
    assert counts == {"added": 0, "changed": 1, "removed": 1, "unchanged": 1}
    assert outcome.active
    assert await job_documents(kb, run.job_id) == 1

    (share / "fees.md").rename(tmp_path / "elsewhere.md")
    share.rename(tmp_path / "unmounted")
    run, outcome = await sync(kb, bank, row.id)
    assert run.status == "failed"
    assert run.error_code == "folder_missing"
    async with kb.sessions() as s:
        assert len(await crud_sources.list_items(s, tenant_id=bank.id, source_id=row.id)) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """Python's own ``python -m http.server`` over a folder, on a free loopback port."""
    root = tmp_path / "plain"
    root.mkdir()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "http.server did not start"
                time.sleep(0.1)
        yield root, port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_against_python_http_server(
    kb: Container, bank: Tenant, plain_server: tuple[Path, int]
) -> None:
    """Python's own ``http.server``: no ETag, so the second sync asks with If-Modified-Since (304)."""
    root, port = plain_server
    (root / "index.html").write_text(
        "<html><body><main><h1>Help</h1><a href='a.html'>a</a> <a href='b.html'>b</a>"
        "<p>Start here for help.</p></main></body></html>"
    )
    (root / "a.html").write_text(page("Alpha", "The zorblaxalpha service."))
    (root / "b.html").write_text(page("Beta", "The zorblaxbeta service."))
    for f in root.iterdir():
        os.utime(f, (time.time() - 60, time.time() - 60))
    sid = await add_web(kb, bank, url=f"http://127.0.0.1:{port}/")
    run, outcome = await sync(kb, bank, sid)
    assert run.counts["added"] == 3  # robots.txt is missing (404): everything allowed
    assert outcome.active
    run, outcome = await sync(kb, bank, sid)
    assert (run.counts["unchanged"], run.counts["added"]) == (3, 0)
    assert run.job_id is None


async def test_schedule_starts_due_sources_once(kb: Container, bank: Tenant, site: HelpCentre) -> None:
    from app.connectors import schedule

    sid = await add_web(kb, bank, sitemap=site.base_url + "/sitemap.xml")
    assert await schedule.start_due(kb) == []  # no schedule: only by hand
    await sources.update_source(
        kb, tenant_id=bank.id, source_id=sid, actor=SYSTEM, values={"schedule_minutes": 60}
    )
    started = await schedule.start_due(kb)
    assert len(started) == 1
    assert await schedule.start_due(kb) == []  # started a moment ago: due again in an hour
    run = await sync_service.wait(kb, tenant_id=bank.id, sync_id=started[0], poll_s=0.05)
    assert run.status == "succeeded"
    assert run.trigger == "schedule"


async def test_cli_sync_exit_status(kb: Container, bank: Tenant, site: HelpCentre) -> None:
    """``kefu source sync``: true (exit 0) only when the sync finished and its version is active."""
    from app.cli.cmd_source import _sync

    await add_web(kb, bank, sitemap=site.base_url + "/sitemap.xml")
    assert await _sync(kb, bank.id, None, True, False) is True
    site.stop()
    assert await _sync(kb, bank.id, None, True, False) is False  # the site is down: the sync failed


async def test_removing_a_source_can_take_its_documents_out_of_the_kb(
    kb: Container, bank: Tenant, site: HelpCentre
) -> None:
    from app.db import crud_kb_admin

    async def add(name: str, pages: str) -> str:
        spec = sources.WebSourceSpec(sitemap=site.base_url + "/sitemap.xml", include=(f"/page-[{pages}].html",),
                                     allow_private=True, delay_s=0.0)  # fmt: skip
        config = sources.web_config(spec, kb.settings.connectors)
        row = await sources.add_source(
            kb, tenant_id=bank.id, kind="web", config=config, actor=SYSTEM, name=name
        )
        return row.id

    first, second = await add("first", "123"), await add("second", "456")
    for sid in (first, second):
        run, outcome = await sync(kb, bank, sid)
        assert run.status == "succeeded"
        assert outcome.active
    async with kb.sessions() as s:
        items = await crud_sources.list_items(s, tenant_id=bank.id, source_id=first)
    first_docs = {i.document_id for i in items}
    assert len(first_docs) == 3
    assert None not in first_docs

    job_id = await sources.remove_source(kb, tenant_id=bank.id, source_id=first, actor=SYSTEM, documents=True)
    assert job_id is not None
    for _ in range(400):
        async with kb.sessions() as s:
            job = await s.get(IngestionJob, job_id)
            if job is not None and job.status in ("succeeded", "failed"):
                break
        await asyncio.sleep(0.05)
    assert job is not None
    assert job.status == "succeeded", job.error_code
    async with kb.sessions() as s:
        assert await crud_sources.get_source(s, tenant_id=bank.id, source_id=first) is None
        statuses = {d.id: d.status for d in (await s.execute(select(Document))).scalars()}
        draft = await crud_kb_admin.get_open_draft(s, tenant_id=bank.id)
        assert draft is not None
        in_draft = set(await crud_kb.document_ids_of_version(s, version_id=draft.id))
    assert all(statuses[d] == "deleted" for d in first_docs)
    assert not in_draft & first_docs
    assert len(in_draft) == 3  # the second source's pages stay
    assert (
        await top_source(kb, bank, "zorblax1 card fees") == site.base_url + "/page-1.html"
    )  # live until published

    # the last source's pages are all the KB holds: refused, nothing written
    from app.errors import AppError, ErrorCode

    with pytest.raises(AppError) as refused:
        await sources.remove_source(kb, tenant_id=bank.id, source_id=second, actor=SYSTEM, documents=True)
    assert refused.value.code == ErrorCode.CONFLICT
    async with kb.sessions() as s:
        assert await crud_sources.get_source(s, tenant_id=bank.id, source_id=second) is not None
        assert all(
            d.status != "deleted" for d in (await s.execute(select(Document))).scalars() if d.id in in_draft
        )
    # kept (the default): the source goes, its documents stay
    assert await sources.remove_source(kb, tenant_id=bank.id, source_id=second, actor=SYSTEM) is None
    async with kb.sessions() as s:
        assert all(
            d.status != "deleted" for d in (await s.execute(select(Document))).scalars() if d.id in in_draft
        )
