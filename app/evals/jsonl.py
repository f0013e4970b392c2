"""Evaluation sets stored as JSON Lines: one item per non-blank line, each with an id of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ItemT = TypeVar("ItemT")


def read_items(
    path: Path,
    parse: Callable[[str], ItemT],
    id_of: Callable[[ItemT], str],
    *,
    error: type[ValueError] = ValueError,
) -> list[ItemT]:
    """The items of ``path`` in file order. ``parse`` turns one line into an item and raises ``ValueError``
    / ``TypeError`` for one it cannot use; that, and an id seen before, are raised as ``error`` with a
    message that starts ``<path>:<line>:``."""
    out: list[ItemT] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = parse(line)
        except (ValueError, TypeError) as exc:
            raise error(f"{path}:{n}: {exc}") from exc
        if id_of(item) in seen:
            raise error(f"{path}:{n}: duplicate id {id_of(item)!r}")
        seen.add(id_of(item))
        out.append(item)
    return out
