"""Chunking: FAQ pairs, heading paths, Chinese sentence boundaries, token-aware sizes."""

from __future__ import annotations

from retrieval.chunking import Chunker, approx_tokens
from retrieval.config import RetrievalConfig
from retrieval.loaders import document_from_text, load_document

CFG = RetrievalConfig(chunk_size_tokens=40, chunk_overlap_tokens=8)


def test_one_chunk_per_faq_pair_question_embedded_answer_cited() -> None:
    csv = "问题,答案,产品\n信用卡年费多少?,白金卡免年费。,信用卡\n如何挂失?,请拨打客服专线。,信用卡\n"
    doc = load_document(csv.encode(), "faq.csv", CFG)
    chunks = Chunker(CFG).chunk(doc, "faq-1", metadata={"collection": "cards"})
    assert [(c.chunk_id, c.embed_text, c.text) for c in chunks] == [
        ("faq-1#0", "信用卡年费多少?", "信用卡年费多少?\n白金卡免年费。"),
        ("faq-1#1", "如何挂失?", "如何挂失?\n请拨打客服专线。"),
    ]
    assert chunks[0].metadata["kind"] == "faq"
    assert chunks[0].metadata["产品"] == "信用卡"
    assert chunks[0].metadata["collection"] == "cards"
    assert chunks[0].lang == "zh"


def test_faq_context_prefixes_the_title_to_the_embedded_question() -> None:
    doc = document_from_text("h1", "", CFG, title="Grant Hotel", faq=(("Is there parking?", "Yes."),))
    plain, ctx = Chunker(CFG, faq_context=False).chunk(doc, "h1")[0], Chunker(CFG).chunk(doc, "h1")[0]
    assert plain.embed_text == "Is there parking?"
    assert ctx.embed_text == "Grant Hotel: Is there parking?"
    assert ctx.text == "Is there parking?\nYes."


def test_sections_split_at_headings_and_keep_the_heading_path() -> None:
    md = "# Cards\n\n## Fees\n\nAnnual fee is 100.\n\n## Limits\n\nDaily limit 5000.\n\n# Loans\n\nRates vary.\n"
    chunks = Chunker(CFG).chunk(load_document(md.encode(), "kb.md", CFG), "d")
    assert [(c.metadata.get("heading_path"), c.text) for c in chunks] == [
        ("Cards > Fees", "Annual fee is 100."),
        ("Cards > Limits", "Daily limit 5000."),
        ("Loans", "Rates vary."),
    ]
    # the heading path travels with the embedded text, so a short paragraph keeps its context
    assert chunks[0].embed_text == "Cards > Fees\nAnnual fee is 100."


def test_long_chinese_section_splits_at_sentence_ends_within_the_token_budget() -> None:
    sentences = [f"第{i}条规定信用卡账单日为每月五日并且需要按时缴款。" for i in range(12)]
    doc = document_from_text("p", "# 规定\n\n" + "".join(sentences), CFG)
    chunks = Chunker(CFG).chunk(doc, "p")
    assert len(chunks) > 3
    for c in chunks:
        assert approx_tokens(c.text) <= CFG.chunk_size_tokens
        assert c.text.endswith("。"), c.text  # never cut inside a sentence
    joined = "".join(c.text for c in chunks)
    for s in sentences:
        assert s in joined


def test_pdf_chunks_carry_their_page_numbers() -> None:
    from tests.unit.retrieval import files

    data = files.make_pdf([["Section one text on page one."], ["More text on page two."]])
    chunks = Chunker(RetrievalConfig()).chunk(load_document(data, "x.pdf", CFG), "x")
    assert chunks[0].metadata["page"] == "1-2"
    assert chunks[0].metadata["source"] == "x.pdf"


def test_approx_tokens_counts_han_characters_and_words() -> None:
    assert approx_tokens("信用卡") == 3
    assert approx_tokens("credit card fee") == 4  # 3 words * 1.3
