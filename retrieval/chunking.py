"""Structure-aware chunking: ``ParsedDocument`` -> ``ChunkRecord``s.

- One chunk per FAQ pair: the question is embedded and keyword-indexed (``embed_text``), question and
  answer are cited (``text``). A customer's question is matched against questions, not against answers.
- Other text is grouped by section (split at headings, heading path kept in ``metadata["heading_path"]``
  and prefixed to ``embed_text`` so a short paragraph keeps its context), then split to
  ``chunk_size_tokens`` with LangChain's ``RecursiveCharacterTextSplitter`` on paragraph, line and
  sentence boundaries, Chinese ones (。！？；) included, with ``chunk_overlap_tokens`` of overlap.
- Sizes are in model tokens, estimated without loading a tokenizer (``approx_tokens``): one per Han
  character, 1.3 per Latin word; close to XLM-R's and MiniLM's counts for bank text, on the safe side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from retrieval.config import RetrievalConfig
from retrieval.text import detect_lang
from retrieval.types import Block, ChunkRecord, ParsedDocument

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]+")
SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", ". ", "! ", "? ", "; ", "，", ", ", " ", ""]


def approx_tokens(text: str) -> int:
    return len(_HAN.findall(text)) + int(len(_WORD.findall(text)) * 1.3 + 0.5)


@dataclass
class _Section:
    path: tuple[str, ...]
    lines: list[str] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)


class Chunker:
    """Splits documents into chunks. Stateless apart from its settings; safe to share across threads."""

    def __init__(
        self,
        config: RetrievalConfig,
        *,
        token_len: Callable[[str], int] = approx_tokens,
        faq_context: bool | None = None,
    ) -> None:
        """``faq_context``: prefix the document title / heading path to the embedded FAQ question
        (helps when many documents ask the same question about different products or places);
        default: ``config.faq_context``."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        if config.chunk_overlap_tokens >= config.chunk_size_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_size_tokens")
        self._size = config.chunk_size_tokens
        self._faq_context = config.faq_context if faq_context is None else faq_context
        self._token_len = token_len
        self._splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=config.chunk_size_tokens,
            chunk_overlap=config.chunk_overlap_tokens,
            length_function=token_len,
            strip_whitespace=True,
        )

    def chunk(
        self, doc: ParsedDocument, document_id: str, *, metadata: Mapping[str, str] | None = None
    ) -> list[ChunkRecord]:
        """Chunks in reading order, ids ``f"{document_id}#{n}"``. ``metadata`` (e.g. collection, product)
        is copied onto every chunk; per-row FAQ columns are added for FAQ chunks."""
        base = {"source": doc.source, "media_type": doc.media_type, **doc.metadata, **(metadata or {})}
        title = doc.title if doc.title != doc.source else ""
        out: list[ChunkRecord] = []
        headings: list[tuple[int, str]] = []
        section = _Section(())

        def emit(text: str, embed: str, meta: dict[str, str]) -> None:
            out.append(
                ChunkRecord(
                    chunk_id=f"{document_id}#{len(out)}",
                    document_id=document_id,
                    text=text,
                    embed_text=embed,
                    title=doc.title,
                    lang=detect_lang(text) or doc.lang,
                    metadata={**base, **meta},
                )
            )

        def flush() -> None:
            if section.lines:
                self._emit_section(section, title, emit)
            section.lines.clear()
            section.pages.clear()

        for block in doc.blocks:
            if block.kind == "heading":
                flush()
                while headings and headings[-1][0] >= block.level:
                    headings.pop()
                headings.append((block.level, block.text))
                section.path = tuple(h for _, h in headings)
            elif block.kind == "faq":
                flush()
                emit(*_faq(block, section.path, title, self._faq_context))
            else:
                section.lines.append(block.text)
                if block.page is not None:
                    section.pages.append(block.page)
        flush()
        return out

    def _emit_section(
        self, section: _Section, title: str, emit: Callable[[str, str, dict[str, str]], None]
    ) -> None:
        body = "\n".join(section.lines)
        pieces = [body] if self._token_len(body) <= self._size else self._splitter.split_text(body)
        context = _context(title, section.path)
        meta: dict[str, str] = {"kind": "text"}
        if context:
            meta["context"] = context
        if section.path:
            meta["heading_path"] = " > ".join(section.path)
        if section.pages:
            lo, hi = min(section.pages), max(section.pages)
            meta["page"] = str(lo) if lo == hi else f"{lo}-{hi}"
        for piece in pieces:
            if piece.strip():
                emit(piece, f"{context}\n{piece}" if context else piece, dict(meta))


def _context(title: str, path: tuple[str, ...]) -> str:
    parts = [title] if title and (not path or path[0] != title) else []
    return " > ".join([*parts, *path])


def _faq(
    block: Block, path: tuple[str, ...], title: str, with_context: bool
) -> tuple[str, str, dict[str, str]]:
    meta = {"kind": "faq", "question": block.question, **block.metadata}
    if path:
        meta["heading_path"] = " > ".join(path)
    text = f"{block.question}\n{block.text}" if block.text else block.question
    if _context(title, path):
        meta["context"] = _context(title, path)
    context = _context(title, path) if with_context else ""
    return text, f"{context}: {block.question}" if context else block.question, meta
