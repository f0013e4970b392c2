"""A knowledge-base version's ``KBProfile`` (``dialog.kb_profile``) from its chunks: the labels a reader
sees (FAQ questions, ``title › headings``) as in-scope examples, the passages' text (with their label, which
carries the section's heading) for the slots a product name implies."""

from __future__ import annotations

from collections.abc import Sequence

from dialog.kb_profile import KBProfile
from retrieval.labels import display_label
from retrieval.types import ChunkRecord


def kb_profile_of(chunks: Sequence[ChunkRecord]) -> KBProfile:
    """CPU work over every chunk (milliseconds per thousand): call it in a worker thread."""
    labels = [display_label(c) for c in chunks]
    return KBProfile.from_kb(labels, (f"{label}\n{c.text}" for label, c in zip(labels, chunks, strict=True)))
