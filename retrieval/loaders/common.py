"""Helpers shared by the loaders: hashing, text decoding, zip-container checks, document assembly."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected
from retrieval.text import detect_lang
from retrieval.types import Block, ParsedDocument

_WS = re.compile(r"[ \t\u00a0\u3000]+")
_BLANKS = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    """Collapse runs of spaces, drop control characters, trim each line; keeps line breaks."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    lines = [
        _WS.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def decode_text(data: bytes) -> str:
    """Decode a text file: BOMs, then UTF-8, then the Chinese legacy encodings (GB18030, Big5).

    Raises ``DocumentRejected("type_mismatch")`` for binary content (NUL bytes or undecodable).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise DocumentRejected("type_mismatch", "the file is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # GB18030 decodes almost any byte string, Big5 text included (as nonsense): keep the decoding whose
    # characters look most like Chinese prose (common Han, ASCII, CJK punctuation).
    best: tuple[float, str] | None = None
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = sum(1 for ch in text if _plausible(ch)) / max(1, len(text))
        if best is None or score > best[0]:
            best = (score, text)
    if best is None:
        raise DocumentRejected("type_mismatch", "the file is not text in UTF-8, GB18030 or Big5")
    return best[1]


def _plausible(ch: str) -> bool:
    o = ord(ch)
    return o < 0x80 or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF


def check_zip(data: bytes, config: RetrievalConfig, *, required: str) -> zipfile.ZipFile:
    """Open an OOXML (zip) container after checking it is not a zip bomb and holds ``required``.

    Raises ``DocumentRejected``: ``corrupt_file`` (not a zip / damaged), ``type_mismatch`` (a zip, but
    not this format), ``zip_bomb`` (declared uncompressed size or ratio over the configured limits).
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentRejected("corrupt_file", f"the container is damaged: {exc}") from None
    names = {i.filename for i in infos}
    if required not in names:
        raise DocumentRejected("type_mismatch", f"the zip container holds no {required}")
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > config.max_unzipped_bytes or total / packed > config.max_zip_ratio:
        raise DocumentRejected(
            "zip_bomb",
            f"the container expands to {total} bytes ({total / packed:.0f}x its size); "
            f"limits {config.max_unzipped_bytes} bytes, {config.max_zip_ratio:.0f}x",
        )
    return zf


def build_document(
    *,
    source: str,
    media_type: str,
    blocks: Iterable[Block],
    data: bytes,
    config: RetrievalConfig,
    title: str = "",
    metadata: Mapping[str, str] | None = None,
) -> ParsedDocument:
    """Drop empty blocks, enforce the text limit, detect the language, hash; ``no_text`` if nothing is left."""
    kept = tuple(b for b in blocks if b.text.strip() or b.question.strip())
    doc_title = title.strip() or next((b.text for b in kept if b.kind == "heading"), "") or source
    probe = ParsedDocument(source, media_type, doc_title, "", kept, "")
    text = probe.text
    if not text.strip():
        raise DocumentRejected("no_text", "no extractable text (scanned images, scripts only, or empty)")
    if len(text) > config.max_text_chars:
        raise DocumentRejected(
            "file_too_large", f"{len(text)} characters of text; the limit is {config.max_text_chars}"
        )
    normalised = unicodedata.normalize("NFKC", " ".join(text.split()))
    return ParsedDocument(
        source=source,
        media_type=media_type,
        title=doc_title[:300],
        lang=detect_lang(text[:20000]),
        blocks=kept,
        content_hash=hashlib.sha256(normalised.encode("utf-8")).hexdigest(),
        file_sha256=hashlib.sha256(data).hexdigest() if data else "",
        metadata=dict(metadata or {}),
    )
