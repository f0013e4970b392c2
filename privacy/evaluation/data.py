"""Evaluation samples and the loaders that map public datasets onto our entity types.

A sample is one line of the JSONL that ``kefu eval pii --data FILE`` reads::

    {"text": "...", "lang": "zh", "spans": [{"start": 3, "end": 14, "type": "PHONE_NUMBER"}],
     "ignore": [{"start": 20, "end": 24, "type": "ORGANIZATION"}]}

``end`` is exclusive. A line with no ``spans`` (and no ``ignore``) is a negative. ``ignore`` (optional)
marks gold entities of types we do not claim: predictions on them count neither for nor against us.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# presidio-research labels -> ours (unlisted labels are ignored: types we do not claim).
PRESIDIO_RESEARCH_MAP = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "LOCATION",
    "GPE": "LOCATION",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
}
# CLUENER2020 labels -> ours (the PII-relevant ones; the rest are ignored).
CLUENER_MAP = {"name": "PERSON", "address": "LOCATION"}


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    lang: str
    spans: tuple[Span, ...]
    ignore: tuple[Span, ...] = field(default=())

    @property
    def negative(self) -> bool:
        return not self.spans and not self.ignore

    def to_json(self) -> str:
        out: dict[str, object] = {
            "text": self.text,
            "lang": self.lang,
            "spans": [{"start": s.start, "end": s.end, "type": s.type} for s in self.spans],
        }
        if self.ignore:
            out["ignore"] = [{"start": s.start, "end": s.end, "type": s.type} for s in self.ignore]
        return json.dumps(out, ensure_ascii=False)


def _spans(raw: object, text: str, where: str) -> tuple[Span, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"{where}: spans must be a list")
    out = []
    for s in raw:
        start, end, etype = int(s["start"]), int(s["end"]), str(s["type"])
        if not 0 <= start < end <= len(text):
            raise ValueError(f"{where}: span {start}..{end} outside the text")
        out.append(Span(start, end, etype))
    return tuple(sorted(out, key=lambda s: (s.start, s.end)))


def read_jsonl(path: Path) -> list[Sample]:
    """Samples from a JSONL file; a malformed line raises ``ValueError`` naming the line."""
    samples = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(line)
                text = str(row["text"])
                samples.append(
                    Sample(
                        text,
                        str(row.get("lang") or ""),
                        _spans(row.get("spans"), text, where),
                        _spans(row.get("ignore"), text, where),
                    )
                )
            except (KeyError, TypeError, json.JSONDecodeError) as exc:
                raise ValueError(f"{where}: {exc}") from exc
    return samples


def write_jsonl(samples: Iterable[Sample], path: Path) -> None:
    path.write_text("".join(s.to_json() + "\n" for s in samples), encoding="utf-8")


def load_presidio_research(path: Path) -> list[Sample]:
    """``synth_dataset_v2.json`` (1,500 English samples) with labels mapped by ``PRESIDIO_RESEARCH_MAP``."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for row in rows:
        text = row["full_text"]
        spans: list[Span] = []
        ignore: list[Span] = []
        for s in row["spans"]:
            start, end = int(s["start_position"]), int(s["end_position"])
            mapped = PRESIDIO_RESEARCH_MAP.get(s["entity_type"])
            (spans if mapped else ignore).append(Span(start, end, mapped or s["entity_type"]))
        out.append(Sample(text, "en", tuple(sorted(spans, key=_key)), tuple(sorted(ignore, key=_key))))
    return out


def load_cluener(path: Path) -> list[Sample]:
    """CLUENER2020 ``dev.jsonl`` (inclusive ends) with ``name``/``address`` mapped, the rest ignored."""
    out = []
    for row in _jsonl_rows(path):
        text = str(row["text"])
        spans: list[Span] = []
        ignore: list[Span] = []
        for label, entities in (row.get("label") or {}).items():
            mapped = CLUENER_MAP.get(label)
            for positions in entities.values():
                for start, end in positions:
                    (spans if mapped else ignore).append(Span(start, end + 1, mapped or label))
        out.append(Sample(text, "zh", tuple(sorted(spans, key=_key)), tuple(sorted(ignore, key=_key))))
    return out


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _key(s: Span) -> tuple[int, int]:
    return s.start, s.end
