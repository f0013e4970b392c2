"""Loaders: what each format yields, and a stable rejection code for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.config import RetrievalConfig
from retrieval.errors import REJECTION_CODES, DocumentRejected
from retrieval.loaders import FaqColumns, document_from_text, load_document
from tests.unit.retrieval import files

CFG = RetrievalConfig(max_unzipped_bytes=1024 * 1024, max_pdf_pages=3)


def kinds(doc) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(b.kind, b.question or b.text) for b in doc.blocks]


def test_pdf_text_layer_with_pages_and_headings() -> None:
    data = files.make_pdf(
        [["1. Fees", "The annual fee is waived", "for platinum cards."], ["2. Limits", "Daily limit 50,000."]]
    )
    doc = load_document(data, "fees.pdf", CFG)
    assert doc.media_type == "pdf"
    assert doc.lang == "en"
    assert ("heading", "1. Fees") in kinds(doc)
    para = next(b for b in doc.blocks if "annual fee" in b.text)
    assert para.text == "The annual fee is waived for platinum cards."
    assert para.page == 1
    assert next(b for b in doc.blocks if "Daily limit" in b.text).page == 2


def test_pdf_encrypted_with_empty_user_password_is_readable() -> None:
    data = files.encrypt_pdf(files.make_pdf([["Open to all readers."]]), "")
    assert "Open to all readers." in load_document(data, "open.pdf", CFG).text


def test_docx_headings_paragraphs_and_table_rows_in_order() -> None:
    doc = load_document(files.make_docx(), "card.docx", CFG)
    assert doc.title == "信用卡服務"
    assert doc.lang == "zh"
    assert kinds(doc) == [
        ("heading", "信用卡服務"),
        ("heading", "帳單與繳款"),
        ("text", "信用卡帳單日為每月5日，繳款截止日為帳單日後15天。"),
        ("heading", "年費"),
        ("table_row", "卡別 | 年費"),
        ("table_row", "卡別: 白金卡; 年費: 免年費"),
        ("table_row", "卡別: 無限卡; 年費: 20000元"),
    ]


def test_html_keeps_main_text_and_drops_scripts_navigation_and_footer() -> None:
    html = """<html><head><title>Card FAQ</title><script>var x = "tracking";</script>
    <style>p {color: red}</style></head><body><nav><a href="/">Home</a> | <a>Loans</a></nav>
    <header>Bank logo</header><main><h1>Lost card</h1><p>Call us to block a lost card.</p>
    <ul><li>Hotline: 24 hours</li></ul><script>alert(1)</script></main>
    <footer>Copyright Bank</footer></body></html>"""
    doc = load_document(html.encode(), "faq.html", CFG)
    assert doc.title == "Card FAQ"
    assert kinds(doc) == [("heading", "Lost card"), ("text", "Call us to block a lost card."),
                          ("text", "Hotline: 24 hours")]  # fmt: skip
    assert "tracking" not in doc.text
    assert "Copyright" not in doc.text


def test_markdown_structure() -> None:
    md = "# Cards\n\nIntro line\nwraps here.\n\n## Fees\n\n| Card | Fee |\n|---|---|\n| Gold | 100 |\n\n- first item\n"
    doc = load_document(md.encode(), "cards.md", CFG)
    assert kinds(doc) == [("heading", "Cards"), ("text", "Intro line wraps here."), ("heading", "Fees"),
                          ("table_row", "Card | Fee"), ("table_row", "Card: Gold; Fee: 100"),
                          ("text", "first item")]  # fmt: skip


def test_txt_in_legacy_chinese_encodings() -> None:
    text = "外幣匯款手續費說明\n\n每筆收取新台幣300元。"
    for enc in ("utf-8", "big5", "gb18030"):
        doc = load_document(text.encode(enc), "fees.txt", CFG)
        assert doc.text == "外幣匯款手續費說明\n每筆收取新台幣300元。"


def test_csv_faq_columns_are_detected_and_other_columns_become_metadata() -> None:
    csv = "問題,答案,產品\n信用卡年費多少?,白金卡免年費,信用卡\n,skipped row without question,x\n"
    doc = load_document(csv.encode(), "faq.csv", CFG)
    assert [(b.kind, b.question, b.text, dict(b.metadata)) for b in doc.blocks] == [
        ("faq", "信用卡年費多少?", "白金卡免年費", {"產品": "信用卡"})
    ]


def test_csv_explicit_column_mapping_and_tab_separator() -> None:
    tsv = "Ask\tReply\nHow to reset a PIN?\tUse the app.\n"
    doc = load_document(tsv.encode(), "faq.tsv", CFG, columns=FaqColumns(question="ask", answer="reply"))
    assert kinds(doc) == [("faq", "How to reset a PIN?")]
    assert doc.blocks[0].text == "Use the app."


def test_xlsx_faq_with_a_notes_sheet() -> None:
    data = files.make_xlsx([["Question", "Answer", "Class"], ["Lost card?", "Call 24h hotline", "cards"]],
                           extra_sheet=[["Owner", "Team"], ["ops", "x"]])  # fmt: skip
    doc = load_document(data, "faq.xlsx", CFG)
    assert [(b.question, b.text, dict(b.metadata)) for b in doc.blocks] == [
        ("Lost card?", "Call 24h hotline", {"class": "cards", "sheet": "FAQ"})
    ]


def test_same_content_in_two_formats_has_one_content_hash() -> None:
    a = load_document(b"Wire transfers close at 3 pm.", "a.txt", CFG)
    b = load_document(b"Wire  transfers\nclose at 3 pm.\n", "b.md", CFG)
    assert a.content_hash == b.content_hash
    assert a.file_sha256 != b.file_sha256


def test_document_from_text_with_faq_pairs() -> None:
    doc = document_from_text("kb-1", "", CFG, title="Hotel", lang="en", faq=(("Pets allowed?", "No."),))
    assert kinds(doc) == [("faq", "Pets allowed?")]
    assert doc.title == "Hotel"


REJECTIONS = [
    ("empty.txt", b"", "empty_file"),
    ("virus.exe", b"MZ\x90\x00", "unsupported_type"),
    ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "unsupported_type"),
    ("report.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "type_mismatch"),
    ("notes.txt", b"%PDF-1.4\n" + b"\0" * 100, "type_mismatch"),
    ("letter.docx", "就是一段文字".encode(), "type_mismatch"),
    ("sheet.xlsx", files.zip_bomb("word/document.xml", 1000), "type_mismatch"),  # a DOCX named .xlsx
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "corrupt_file"),
    ("broken.docx", b"PK\x03\x04" + b"\x00" * 50, "corrupt_file"),
    ("secret.docx", files.fake_encrypted_ooxml(), "encrypted_file"),
    ("bomb.docx", files.zip_bomb(), "zip_bomb"),
    ("faq.csv", b"name,value\nfoo,bar\n", "no_question_column"),
    (
        "scripts.html",
        b"<html><body><script>" + b"x=1;" * 1000 + b"</script><nav>Home</nav></body></html>",
        "no_text",
    ),  # fmt: skip
    ("blank.pdf", files.make_pdf([[]]), "no_text"),
    ("long.pdf", files.make_pdf([["p"]] * 4), "too_many_pages"),
]


@pytest.mark.parametrize(("name", "data", "code"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_bad_input_is_rejected_with_a_stable_code(name: str, data: bytes, code: str) -> None:
    with pytest.raises(DocumentRejected) as info:
        load_document(data, name, CFG)
    assert info.value.code == code
    assert code in REJECTION_CODES
    assert info.value.detail


def test_password_protected_pdf_is_rejected() -> None:
    data = files.encrypt_pdf(files.make_pdf([["top secret"]]), "s3cret")
    with pytest.raises(DocumentRejected) as info:
        load_document(data, "locked.pdf", CFG)
    assert info.value.code == "encrypted_file"


def test_200_mb_file_is_rejected_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    with big.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: no 200 MB actually written or read
    with pytest.raises(DocumentRejected) as info:
        load_document(big, big.name, RetrievalConfig())
    assert info.value.code == "file_too_large"
