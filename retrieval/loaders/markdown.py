"""Markdown and plain-text loaders (also used for the ``text`` field of JSONL knowledge bases)."""

from __future__ import annotations

import re

from retrieval.config import RetrievalConfig
from retrieval.loaders.common import build_document, clean, decode_text
from retrieval.loaders.docx import rows_to_blocks
from retrieval.types import Block, ParsedDocument

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_INLINE = re.compile(r"(\*\*|__|`|!\[[^\]]*\]\([^)]*\))")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def markdown_blocks(text: str) -> list[Block]:
    """ATX/setext headings, paragraphs (blank-line separated), list items, fenced code, pipe tables."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    para: list[str] = []
    table: list[list[str]] = []
    in_fence = False

    def flush() -> None:
        if para:
            blocks.append(Block("text", _inline(" ".join(para) if _latin(para) else "".join(para))))
            para.clear()
        if table:
            blocks.extend(rows_to_blocks([r for r in table if r]))
            table.clear()

    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if _FENCE.match(line.strip()):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            para.append(line)
            continue
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        m = _ATX.match(stripped)
        if m:
            flush()
            blocks.append(Block("heading", _inline(m.group(2)), level=len(m.group(1))))
            continue
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if _SETEXT.match(nxt) and para == [] and not stripped.startswith(("-", "*", "|")):
            flush()
            blocks.append(Block("heading", _inline(stripped), level=1 if nxt.startswith("=") else 2))
            continue
        if _SETEXT.match(stripped) and blocks and blocks[-1].kind == "heading" and not para:
            continue  # underline of a setext heading
        if stripped.startswith("|") or (table and "|" in stripped):
            if para:
                flush()
            if not _TABLE_SEP.match(stripped):
                table.append([c.strip() for c in stripped.strip("|").split("|")])
            continue
        if re.match(r"^([-*+]|\d+[.)])\s+", stripped):
            flush()
            blocks.append(Block("text", _inline(re.sub(r"^([-*+]|\d+[.)])\s+", "", stripped))))
            continue
        if table:
            flush()
        para.append(stripped)
    flush()
    return blocks


def _latin(lines: list[str]) -> bool:
    return all(ord(ln[-1]) < 0x2E80 for ln in lines if ln)


def _inline(text: str) -> str:
    return clean(_MD_INLINE.sub("", _LINK.sub(r"\1", text)))


def load_markdown(data: bytes, source: str, config: RetrievalConfig) -> ParsedDocument:
    return build_document(
        source=source,
        media_type="markdown",
        blocks=markdown_blocks(decode_text(data)),
        data=data,
        config=config,
    )


def load_text(data: bytes, source: str, config: RetrievalConfig) -> ParsedDocument:
    text = clean(decode_text(data))
    blocks = [Block("text", p.replace("\n", " ") if _latin(p.split("\n")) else p.replace("\n", ""))
              for p in text.split("\n\n")]  # fmt: skip
    return build_document(source=source, media_type="text", blocks=blocks, data=data, config=config)
