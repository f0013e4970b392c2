"""Turning overlapping recognizer results into one non-overlapping set of findings.

1. Overlapping or touching results of the same type are merged into their union (``John`` from the NER
   and ``John Smith`` from a cue rule become ``John Smith``), keeping the best score.
2. Across types, the higher score wins; on equal scores the higher priority (checksummed identifiers
   before cue rules), then the longer span. A result that overlaps a winner is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    entity_type: str
    start: int
    end: int
    score: float
    priority: int = 50


def merge_same_type(candidates: Iterable[Candidate]) -> list[Candidate]:
    by_type: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_type.setdefault(c.entity_type, []).append(c)
    merged: list[Candidate] = []
    for items in by_type.values():
        items.sort(key=lambda c: (c.start, -c.end))
        cur = items[0]
        for c in items[1:]:
            if c.start < cur.end:  # overlapping (touching spans stay apart: two numbers side by side)
                cur = Candidate(
                    cur.entity_type,
                    cur.start,
                    max(cur.end, c.end),
                    max(cur.score, c.score),
                    max(cur.priority, c.priority),
                )
            else:
                merged.append(cur)
                cur = c
        merged.append(cur)
    return merged


def resolve_overlaps(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates sorted by start (see the module docstring for the rules)."""
    ranked = sorted(
        merge_same_type(candidates), key=lambda c: (-c.score, -c.priority, -(c.end - c.start), c.start)
    )
    chosen: list[Candidate] = []
    for c in ranked:
        if all(c.end <= k.start or k.end <= c.start for k in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)
