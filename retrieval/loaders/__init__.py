"""Document loaders: bytes + file name -> ``ParsedDocument``, or ``DocumentRejected(code, detail)``.

Rejection codes (stable, shown to admins in the job status): ``empty_file``, ``file_too_large``,
``unsupported_type``, ``type_mismatch`` (the bytes are not what the name says), ``corrupt_file``,
``encrypted_file``, ``too_many_pages``, ``zip_bomb``, ``no_question_column``, ``no_text``.
The type comes from the extension and is then checked against the content's magic bytes; nothing is
guessed from content alone except for files without an extension.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from pathlib import Path, PurePath

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected
from retrieval.loaders.common import build_document
from retrieval.loaders.docx import load_docx
from retrieval.loaders.html import load_html
from retrieval.loaders.markdown import load_markdown, load_text, markdown_blocks
from retrieval.loaders.pdf import load_pdf
from retrieval.loaders.table import FaqColumns, load_csv, load_xlsx
from retrieval.text import detect_lang
from retrieval.types import Block, ParsedDocument

EXTENSIONS: Mapping[str, str] = {
    ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "markdown",
    ".markdown": "markdown", ".txt": "text", ".text": "text", ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx",
}  # fmt: skip
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
_BINARY_MAGIC = (b"%PDF-", b"PK\x03\x04", _OLE, b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x7fELF", b"MZ",
                 b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")  # fmt: skip


def sniff(data: bytes) -> str:
    """Best guess of the container from the first bytes: pdf, zip, ole, binary, html or text."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    if (
        any(head.startswith(m) for m in _BINARY_MAGIC)
        or b"\x00" in head[:512]
        and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
    ):
        return "binary"
    low = head.lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html")) or b"<body" in data[:4096].lower():
        return "html"
    return "text"


def load_document(
    source: bytes | Path,
    filename: str,
    config: RetrievalConfig,
    *,
    columns: FaqColumns | None = None,
) -> ParsedDocument:
    """Parse one uploaded file. ``source`` is its bytes or a path (the size is checked before reading).

    Raises ``DocumentRejected`` (see the module docstring for codes). Pure: nothing is stored or indexed.
    """
    if isinstance(source, Path):
        size = source.stat().st_size
        _check_size(size, config)
        data = source.read_bytes()
    else:
        data = source
    _check_size(len(data), config)
    ext = PurePath(filename).suffix.lower()
    kind = sniff(data)
    media = EXTENSIONS.get(ext)
    if media is None:
        if ext:
            raise DocumentRejected(
                "unsupported_type", f"{ext} files are not supported; use {', '.join(sorted(EXTENSIONS))}"
            )
        media = {"pdf": "pdf", "html": "html", "text": "text"}.get(kind)
        if media is None:
            raise DocumentRejected("unsupported_type", "cannot tell the type of a file without an extension")
    _check_content(media, kind, data, ext)
    if media == "pdf":
        return load_pdf(data, filename, config)
    if media == "docx":
        return load_docx(data, filename, config)
    if media == "xlsx":
        return load_xlsx(data, filename, config, columns)
    if media == "csv":
        return load_csv(data, filename, config, columns)
    if media == "html":
        return load_html(data, filename, config)
    if media == "markdown":
        return load_markdown(data, filename, config)
    return load_text(data, filename, config)


def _check_size(size: int, config: RetrievalConfig) -> None:
    if size == 0:
        raise DocumentRejected("empty_file", "the file is empty (0 bytes)")
    if size > config.max_file_bytes:
        raise DocumentRejected("file_too_large", f"{size} bytes; the limit is {config.max_file_bytes}")


def _check_content(media: str, kind: str, data: bytes, ext: str) -> None:
    if media in ("docx", "xlsx"):
        if kind == "ole" and _ENCRYPTED_OOXML in data[:1_000_000]:
            raise DocumentRejected("encrypted_file", f"the {ext} file is password-protected")
        if kind == "ole":
            raise DocumentRejected(
                "unsupported_type", f"this is a legacy binary Office file named {ext}; save it as {ext}"
            )
        if kind != "zip":
            raise DocumentRejected("type_mismatch", f"the file is named {ext} but is not an Office document")
    elif media == "pdf":
        if kind != "pdf":
            raise DocumentRejected("type_mismatch", f"the file is named {ext} but is not a PDF")
    elif kind in ("pdf", "zip", "ole", "binary"):
        raise DocumentRejected("type_mismatch", f"the file is named {ext} but holds binary ({kind}) data")


def document_from_text(
    doc_id: str,
    text: str,
    config: RetrievalConfig,
    *,
    title: str = "",
    lang: str = "",
    faq: tuple[tuple[str, str], ...] = (),
    metadata: Mapping[str, str] | None = None,
) -> ParsedDocument:
    """A document given as text (JSONL knowledge bases, DB rows): Markdown structure is honoured;
    ``faq`` pairs (question, answer) become one ``faq`` block each, after the text."""
    blocks: list[Block] = markdown_blocks(text) if text.strip() else []
    blocks.extend(Block("faq", a, question=q) for q, a in faq)
    if not blocks:
        raise DocumentRejected("no_text", f"document {doc_id!r} has no text")
    doc = build_document(
        source=doc_id, media_type="text", blocks=blocks, data=b"", config=config, title=title,
        metadata=metadata,
    )  # fmt: skip
    if lang and lang != doc.lang:
        return ParsedDocument(doc.source, doc.media_type, doc.title, lang, doc.blocks, doc.content_hash,
                              doc.file_sha256, doc.metadata)  # fmt: skip
    return doc


def content_hash(text: str) -> str:
    """The dedup hash ``ParsedDocument.content_hash`` uses (sha256 of NFKC, whitespace-collapsed text)."""
    return hashlib.sha256(unicodedata.normalize("NFKC", " ".join(text.split())).encode("utf-8")).hexdigest()


__all__ = [
    "EXTENSIONS",
    "FaqColumns",
    "content_hash",
    "detect_lang",
    "document_from_text",
    "load_document",
    "sniff",
]
