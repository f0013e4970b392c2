"""The label a reader sees for a cited chunk: FAQ question, document title › heading path, else source.

Chunks come from the real loaders and chunker where the rule depends on what they produce (a CSV FAQ has
no title, so its title is the file name; a Markdown guide's title is its first heading)."""

from __future__ import annotations

import pytest

from retrieval.chunking import Chunker
from retrieval.config import RetrievalConfig
from retrieval.labels import display_label
from retrieval.loaders import document_from_text, load_document
from retrieval.types import ChunkRecord

CFG = RetrievalConfig(chunk_size_tokens=60, chunk_overlap_tokens=8)


def _chunks(data: str, filename: str) -> list[ChunkRecord]:
    return Chunker(CFG).chunk(load_document(data.encode(), filename, CFG), "d")


def test_faq_chunk_is_labelled_by_its_question_not_the_file_name() -> None:
    csv = (
        "问题,答案\n信用卡分期怎么申请？,登录手机银行，选择账单分期。\nHow do I freeze my card?,Call 95396.\n"
    )
    chunks = _chunks(csv, "faq.csv")
    assert chunks[0].title == "faq.csv"  # what the loader gives: the reason for the rule
    assert [display_label(c) for c in chunks] == ["信用卡分期怎么申请？", "How do I freeze my card?"]
    assert {c.metadata["source"] for c in chunks} == {"faq.csv"}  # the file name is kept apart


def test_faq_in_a_titled_document_is_still_its_question() -> None:
    doc = document_from_text("h1", "", CFG, title="Grant Hotel", faq=(("Is there parking?", "Yes."),))
    assert display_label(Chunker(CFG).chunk(doc, "h1")[0]) == "Is there parking?"


def test_section_is_title_and_heading_path_without_repeating_the_title() -> None:
    md = (
        "# Credit card guide\n\nAll about cards.\n\n## Instalments\n\nSplit a bill into 3 to 24 parts.\n\n"
        "### Fees\n\n0.66% a month for 12 parts.\n"
    )
    chunks = _chunks(md, "guides/en/credit_cards.md")
    assert [display_label(c) for c in chunks] == [
        "Credit card guide",
        "Credit card guide › Instalments",
        "Credit card guide › Instalments › Fees",
    ]


def test_html_title_is_prefixed_to_a_heading_path_that_does_not_start_with_it() -> None:
    html = (
        "<html><head><title>Credit card guide</title></head><body>"
        "<h2>Instalments</h2><p>Split a bill into 3 to 24 parts in the app.</p></body></html>"
    )
    (chunk,) = _chunks(html, "cards.html")
    assert display_label(chunk) == "Credit card guide › Instalments"


def test_untitled_document_without_headings_falls_back_to_its_source() -> None:
    (chunk,) = _chunks("Branches open 9:00-17:00 Monday to Friday.\n", "notices/hours.txt")
    assert chunk.title == "notices/hours.txt"
    assert display_label(chunk) == "notices/hours.txt"


def test_untitled_document_with_headings_is_its_heading_path() -> None:
    chunk = ChunkRecord(
        "d#0",
        "d",
        "Rates vary.",
        "Rates vary.",
        title="loans.pdf",
        metadata={"source": "loans.pdf", "kind": "text", "heading_path": "Loans > Rates"},
    )
    assert display_label(chunk) == "Loans › Rates"


@pytest.mark.parametrize(
    ("chunk", "label"),
    [
        # a chunk with nothing but its title (e.g. from an index built before metadata carried the source)
        (ChunkRecord("c", "d", "t", "t", title="信用卡分期"), "信用卡分期"),
        # nothing at all: empty, the faces fall back to the chunk id
        (ChunkRecord("c", "d", "t", "t"), ""),
        # an FAQ row without a question is not labelled by it
        (
            ChunkRecord("c", "d", "t", "t", title="x.csv", metadata={"kind": "faq", "source": "x.csv"}),
            "x.csv",
        ),
        # whitespace from the source document does not reach the label
        (
            ChunkRecord("c", "d", "t", "t", metadata={"kind": "faq", "question": " How\n do I  pay? "}),
            "How do I pay?",
        ),
    ],
)
def test_edge_cases(chunk: ChunkRecord, label: str) -> None:
    assert display_label(chunk) == label


def test_long_labels_are_cut_with_an_ellipsis() -> None:
    question = "如何" + "申请信用卡分期" * 30 + "？"
    chunk = ChunkRecord("c", "d", question, question, metadata={"kind": "faq", "question": question})
    label = display_label(chunk, max_chars=40)
    assert len(label) == 40
    assert label.endswith("…")
    assert label.startswith("如何申请信用卡分期")
