"""Passages for LLM benchmarks: the demo KB and the E.SUN FAQ split into passages, and a lexical ranker.

Not the platform's retriever (that is ``retrieval``): a deterministic stand-in with no model, good enough
to put realistic, partly relevant passages in front of the model. Chinese is scored on character bigrams,
English on lower-cased words, with idf weights.
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llm_backend.types import Passage

_TAG = re.compile(r"<[^>]+>")
_MAIN = re.compile(r"<main\b.*?>(.*?)</main>", re.DOTALL | re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9][a-z0-9.,%]*")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class KbPassage:
    passage: Passage
    doc_id: str
    lang: str


def terms(text: str) -> list[str]:
    low = text.lower()
    han = "".join(ch if _HAN.match(ch) else " " for ch in low)
    grams = [a + b for part in han.split() for a, b in zip(part, part[1:], strict=False)]
    singles = [ch for ch in low if _HAN.match(ch)]
    return grams + singles + _WORD.findall(low)


def _sections(doc_id: str, text: str, lang: str) -> list[KbPassage]:
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), doc_id)
    out: list[KbPassage] = []
    for i, block in enumerate(re.split(r"\n(?=## )", text)):
        body = block.strip()
        if not body or (body.startswith("# ") and "\n" not in body):
            continue
        head = body.splitlines()[0].lstrip("# ").strip()
        out.append(KbPassage(Passage(f"{doc_id}#{i}", body[:1500], f"{title} - {head}"), doc_id, lang))
    return out


def load_demo_kb(root: Path) -> list[KbPassage]:
    """FAQ rows, guide sections, notice paragraphs and help-page text of ``data/demo_kb``."""
    out: list[KbPassage] = []
    with (root / "faq.csv").open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            text = f"{row['question']}\n{row['answer']}"
            out.append(KbPassage(Passage(f"faq.csv#{i}", text, "FAQ"), "faq.csv", row["lang"]))
    for path in sorted((root / "guides").rglob("*.md")):
        doc_id = path.relative_to(root).as_posix()
        out += _sections(doc_id, path.read_text(encoding="utf-8"), path.parent.name)
    for path in sorted((root / "notices").glob("*.txt")):
        doc_id = path.relative_to(root).as_posix()
        lang = "zh" if ".zh." in path.name else "en"
        paras = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        for i in range(0, len(paras), 3):
            out.append(
                KbPassage(Passage(f"{doc_id}#{i}", "\n".join(paras[i : i + 3]), paras[0][:60]), doc_id, lang)
            )
    for path in sorted((root / "help").glob("*.html")):
        doc_id = path.relative_to(root).as_posix()
        lang = "zh" if ".zh." in path.name else "en"
        raw = path.read_text(encoding="utf-8")
        main = _MAIN.search(raw)
        text = html.unescape(_TAG.sub("\n", main.group(1) if main else raw))
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for i in range(0, len(lines), 8):
            out.append(KbPassage(Passage(f"{doc_id}#{i}", "\n".join(lines[i : i + 8]), "Help"), doc_id, lang))
    return out


def load_esun_faq(root: Path) -> dict[str, list[tuple[str, str]]]:
    """``{pid: [(question, answer), ...]}`` of the E.SUN FAQ (Traditional Chinese)."""
    raw = json.loads((root / "reference" / "faq" / "pid_map_content.json").read_text(encoding="utf-8"))
    return {
        str(pid): [(e["question"], "".join(e["answers"])) for e in entries] for pid, entries in raw.items()
    }


class LexicalRanker:
    """BM25 over ``terms``; ``top(query, k, lang)`` returns the best passages, best first."""

    def __init__(self, passages: Sequence[KbPassage]) -> None:
        self.passages = list(passages)
        self._bags = [Counter(terms(p.passage.title + " " + p.passage.text)) for p in self.passages]
        df: Counter[str] = Counter()
        for bag in self._bags:
            df.update(bag.keys())
        n = len(self._bags)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._len = [sum(bag.values()) for bag in self._bags]
        self._avg = sum(self._len) / max(n, 1)

    def top(self, query: str, k: int = 4, lang: str | None = None) -> list[KbPassage]:
        q = Counter(terms(query))
        scored = []
        for i, bag in enumerate(self._bags):
            if lang and self.passages[i].lang != lang:
                continue
            norm = 1.2 * (0.25 + 0.75 * self._len[i] / self._avg)
            score = sum(self._idf[t] * bag[t] * 2.2 / (bag[t] + norm) for t in q if t in bag)
            scored.append((score, -i, i))
        scored.sort(reverse=True)
        return [self.passages[i] for score, _, i in scored[:k] if score > 0]
