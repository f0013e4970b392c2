"""Every source path the docs cite (``app/...``, ``tests/...``, a library's file) exists: a moved or
renamed module must take its mentions along."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("app", "retrieval", "dialog", "llm_backend", "privacy", "tests", "migrations")
PATH = re.compile(r"(?<![\w/.-])((?:" + "|".join(TOP) + r")/[\w./-]*[\w/])")
TEMPLATE = "<*{"  # app/web/admin/pages/<id>.js, crud_*.py, help/card_services.{en,zh}.html


def cited_paths(text: str) -> list[tuple[int, str]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        for m in PATH.finditer(line):
            if line[m.end() : m.end() + 1] and line[m.end()] in TEMPLATE:
                continue
            out.append((n, m.group(1).rstrip("./")))
    return out


def test_every_cited_path_exists() -> None:
    missing = []
    for doc in [ROOT / "README.md", ROOT / "tests" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for n, path in cited_paths(doc.read_text(encoding="utf-8")):
            if not (ROOT / path).exists():
                missing.append(f"{doc.relative_to(ROOT)}:{n}: {path}")
    assert not missing, "docs cite paths that do not exist:\n" + "\n".join(missing)


def test_finds_paths_and_skips_templates() -> None:
    text = "see `app/chat/turn.py`, app/db/crud_*.py and app/web/admin/pages/<id>.js; not myapp/x.py\n"
    assert cited_paths(text) == [(1, "app/chat/turn.py")]
