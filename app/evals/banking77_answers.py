"""Real customer wording for the answer evaluation: BANKING77 test utterances whose intent the demo KB
answers, with that intent's gold facts (``data/answers/banking77_map.json``), plus a few intents it does
not answer as refusals. Built at run time from ``EVAL_DATA_DIR/banking77/test.csv`` (the dataset is not
copied into the repository): a bounded sample, spread evenly over the mapped intents, the same for the
same seed."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.evals.answer_cases import Case, CaseError, parse_case

MAP_PATH = Path("data/answers/banking77_map.json")
SET_NAME = "banking77"


def load_map(path: Path = MAP_PATH) -> dict[str, dict[str, Any]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def read_utterances(csv_path: Path) -> dict[str, list[str]]:
    """BANKING77's ``text,category`` CSV -> utterances per intent, in file order."""
    out: dict[str, list[str]] = {}
    with csv_path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["category"], []).append(row["text"].strip())
    return out


def build_cases(
    utterances: dict[str, list[str]], mapping: dict[str, dict[str, Any]], *, sample: int, seed: int = 77
) -> list[Case]:
    """At most ``sample`` cases, taken round-robin over the mapped intents (each intent's utterances in a
    seeded random order), so every intent is represented before any is repeated."""
    rng = random.Random(seed)
    pools: dict[str, list[str]] = {}
    for intent in sorted(mapping):
        texts = [t for t in utterances.get(intent, []) if t]
        if not texts:
            raise CaseError(f"BANKING77 has no utterance of the mapped intent {intent!r}")
        rng.shuffle(texts)
        pools[intent] = texts
    cases: list[Case] = []
    depth = 0
    while len(cases) < sample and any(depth < len(p) for p in pools.values()):
        for intent, texts in pools.items():
            if len(cases) >= sample or depth >= len(texts):
                continue
            spec = mapping[intent]
            answerable = bool(spec.get("answerable", True))
            raw: dict[str, Any] = {"id": f"b77-{intent}-{depth + 1:02d}", "lang": "en", "turns": [texts[depth]],
                                   "answerable": answerable, "tags": ["banking77", intent]}  # fmt: skip
            if answerable:
                raw.update(facts=spec["facts"], kinds=spec.get("kinds", []))
            try:
                cases.append(parse_case(raw, set_name=SET_NAME))
            except ValueError as exc:
                raise CaseError(f"{MAP_PATH}: intent {intent!r}: {exc}") from exc
        depth += 1
    return cases


def banking77_cases(
    eval_data_dir: Path, *, sample: int, seed: int = 77, map_path: Path = MAP_PATH
) -> list[Case]:
    csv_path = eval_data_dir / "banking77" / "test.csv"
    if not csv_path.is_file():
        raise CaseError(f"{csv_path} not found (set EVAL_DATA_DIR)")
    return build_cases(read_utterances(csv_path), load_map(map_path), sample=sample, seed=seed)


def to_jsonl(cases: Sequence[Case]) -> str:
    rows = []
    for c in cases:
        row: dict[str, Any] = {"id": c.id, "lang": c.lang, "turns": list(c.turns), "answerable": c.answerable}
        if c.answerable:
            row.update(facts=[list(f) for f in c.facts], kinds=list(c.kinds or []))
        row["tags"] = list(c.tags)
        rows.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(rows) + "\n"
