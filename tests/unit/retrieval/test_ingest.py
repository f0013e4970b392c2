"""Ingestion: progress, dedup, all-or-nothing, and bad input that never touches the active version."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.config import RetrievalConfig
from retrieval.errors import IngestionFailed
from retrieval.index.store import IndexStore
from retrieval.ingest import SourceFile, ingest
from retrieval.testing import HashEmbedder
from retrieval.types import IngestProgress
from tests.unit.retrieval import files, models

CFG = RetrievalConfig(max_unzipped_bytes=1024 * 1024)
FAQ_CSV = "question,answer,product\nHow do I block a lost card?,Call the hotline.,cards\nWhat is the wire fee?,25 USD.,fx\n"
POLICY_MD = "# Mortgage\n\n## Early repayment\n\nYou may repay early with a 1% fee.\n"


@pytest.fixture
def store(tmp_path: Path) -> IndexStore:
    s = IndexStore(tmp_path, HashEmbedder(), CFG, analyzer=models.analyzer())
    s.warm_up()
    return s


def good_files() -> list[SourceFile]:
    return [
        SourceFile("faq", "faq.csv", FAQ_CSV.encode(), {"collection": "retail"}),
        SourceFile("policy", "policy.md", POLICY_MD.encode()),
        SourceFile("card", "card.docx", files.make_docx()),
    ]


def test_ingest_reports_monotonic_progress_through_every_stage(store: IndexStore) -> None:
    seen: list[IngestProgress] = []
    result = ingest(store, "t1", "v1", good_files(), progress=seen.append)
    assert [d.document_id for d in result.documents] == ["faq", "policy", "card"]
    assert result.version.chunks == sum(len(d.chunks) for d in result.documents) == 2 + 1 + 2
    percents = [p.percent for p in seen]
    assert percents == sorted(percents)
    assert percents[-1] == 100.0
    assert [s for s in dict.fromkeys(p.stage for p in seen)] == ["parsing", "embedding", "indexing", "done"]
    last = seen[-1]
    assert (last.documents_done, last.documents_total, last.chunks_done, last.chunks_total) == (3, 3, 5, 5)
    faq_chunk = result.documents[0].chunks[0]
    assert faq_chunk.metadata["collection"] == "retail"
    assert faq_chunk.metadata["product"] == "cards"


BAD = [
    ("zero.txt", b"", "empty_file"),
    ("bomb.docx", files.zip_bomb(), "zip_bomb"),
    ("liar.pdf", b"PK\x03\x04 not a pdf", "type_mismatch"),
    ("nocol.csv", b"name,value\na,b\n", "no_question_column"),
    ("scripts.html", b"<html><body><script>steal()</script></body></html>", "no_text"),
    ("locked.pdf", files.encrypt_pdf(files.make_pdf([["secret"]]), "pw"), "encrypted_file"),
]


@pytest.mark.parametrize(("name", "data", "code"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_fails_the_run_and_leaves_the_active_version_unchanged(
    store: IndexStore, name: str, data: bytes, code: str
) -> None:
    ingest(store, "t1", "v1", good_files())
    before = store.open("t1", "v1").search("lost card", k=3)
    with pytest.raises(IngestionFailed) as info:
        ingest(store, "t1", "v2", [SourceFile("new", "new.md", b"# New\n\nnew text"), SourceFile("bad", name, data)],
               base_version="v1")  # fmt: skip
    assert [(d, e.code) for d, e in info.value.rejected] == [("bad", code)]
    assert not store.exists("t1", "v2")  # nothing half-indexed
    assert store.list_versions("t1") == ["v1"]
    assert store.open("t1", "v1").search("lost card", k=3) == before


def test_allow_partial_publishes_the_good_files_and_reports_the_bad(store: IndexStore) -> None:
    result = ingest(store, "t1", "v1", [*good_files(), SourceFile("bad", "x.exe", b"MZ")], allow_partial=True)
    assert [(d, e.code) for d, e in result.rejected] == [("bad", "unsupported_type")]
    assert result.version.documents == 3


def test_identical_content_is_indexed_once(store: IndexStore) -> None:
    twice = [SourceFile("a", "a.md", POLICY_MD.encode()), SourceFile("b", "copy of a.md", POLICY_MD.encode())]
    twice[1] = SourceFile("b", "b.md", POLICY_MD.encode())
    first = ingest(store, "t1", "v1", twice)
    assert first.duplicates == [("b", "a")]
    assert {c.document_id for c in store.open("t1", "v1").chunks} == {"a"}
    # a later upload of the same content, with the KB's known hashes from the database
    known = {first.documents[0].document.content_hash: "a"}
    again = ingest(store, "t1", "v2", [SourceFile("c", "c.md", POLICY_MD.encode())], base_version="v1",
                   known_hashes=known)  # fmt: skip
    assert again.duplicates == [("c", "a")]
    assert {c.document_id for c in store.open("t1", "v2").chunks} == {"a"}


def test_updating_a_document_replaces_its_chunks(store: IndexStore) -> None:
    ingest(store, "t1", "v1", good_files())
    new_policy = "# Mortgage\n\n## Early repayment\n\nEarly repayment is free since 2025.\n"
    ingest(store, "t1", "v2", [SourceFile("policy", "policy.md", new_policy.encode())], base_version="v1")
    v2 = store.open("t1", "v2")
    texts = [c.text for c in v2.chunks if c.document_id == "policy"]
    assert texts == ["Early repayment is free since 2025."]
    assert [c.text for c in store.open("t1", "v1").chunks if c.document_id == "policy"] == [
        "You may repay early with a 1% fee."
    ]


def test_full_rebuild_from_existing_chunks(store: IndexStore) -> None:
    first = ingest(store, "t1", "v1", good_files())
    kept = [c for d in first.documents for c in d.chunks]
    result = ingest(store, "t1", "v2", [], existing_chunks=kept, remove_documents=["card"])
    assert result.version.documents == 2
    with pytest.raises(IngestionFailed, match="nothing to index"):
        ingest(store, "t1", "v3", [])
