"""Helpers of the admin-console tests: sample files, upload and wait for the job, publish."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Sequence

import httpx

FAQ_CSV = (
    "question,answer,lang\n"
    "如何申请信用卡分期？,登录手机银行选择账单分期，可分3、6、12期，手续费每期0.6%。,zh\n"
    "How do I report a lost card?,Call 95396 at any time to freeze the card and order a new one.,en\n"
)
GUIDE_MD = (
    "# Branch opening hours\n\nBranches open 9:00-17:00 on weekdays.\n\n"
    "## Holidays\n\nBranches are closed on public holidays.\n"
)


def make_docx(paragraphs: Sequence[str], heading: str = "") -> bytes:
    import docx

    d = docx.Document()
    if heading:
        d.add_heading(heading, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def zip_bomb_docx() -> bytes:
    """A ``.docx`` (a zip) whose one member inflates 50 MB of zeros from a few kilobytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return buf.getvalue()


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], files: Sequence[tuple[str, bytes]], **params: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/admin/kb/uploads",
        headers=headers,
        params=params,
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


async def wait_job(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str, limit_s: float = 60
) -> dict:
    """Poll the job until it is done; returns its last JSON."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        r = await client.get(f"/api/v1/admin/kb/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert asyncio.get_running_loop().time() < deadline, f"job still {job['status']}: {job}"
        await asyncio.sleep(0.05)


async def upload_and_wait(
    client: httpx.AsyncClient, headers: dict[str, str], files: Sequence[tuple[str, bytes]]
) -> dict:
    r = await upload(client, headers, files)
    assert r.status_code == 202, r.text
    return await wait_job(client, headers, r.json()["job_id"])


async def publish(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/api/v1/admin/kb/versions/publish", headers=headers)
