"""What a customer or an agent reads as the name of a cited chunk (the citation's label).

One rule for every face (widget, agent console, transcripts) and for the passage titles the model sees:

- an FAQ chunk: its question ("如何申请信用卡分期？");
- a section of a document: the document's title and the section's heading path, joined by " › "
  ("Credit card guide › Instalments"); a heading path that starts with the title does not repeat it;
- a document with neither a title nor headings: its source (the file name or URL), the last resort.

The file name is kept apart, in ``metadata["source"]``, for whoever needs to find the document.
"""

from __future__ import annotations

from retrieval.types import ChunkRecord

SEPARATOR = " › "
MAX_LABEL_CHARS = 120
_PATH_SEPARATOR = " > "  # how chunking joins metadata["heading_path"]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def display_label(chunk: ChunkRecord, *, max_chars: int = MAX_LABEL_CHARS) -> str:
    """The chunk's label (see the module docstring), whitespace collapsed, at most ``max_chars``
    characters (cut with "…"). Empty only when the chunk has no question, title, heading or source."""
    meta = chunk.metadata
    question = _clean(meta.get("question", ""))
    if meta.get("kind") == "faq" and question:
        return _clip(question, max_chars)
    source = _clean(meta.get("source", ""))
    title = _clean(chunk.title)
    if title == source:  # a loader found no title and fell back to the file name
        title = ""
    path = [_clean(h) for h in meta.get("heading_path", "").split(_PATH_SEPARATOR) if h.strip()]
    if title and path and path[0] == title:
        path = path[1:]
    parts = [title, *path] if title else path
    return _clip(SEPARATOR.join(parts) if parts else source, max_chars)
