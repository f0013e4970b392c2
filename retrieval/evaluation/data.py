"""Evaluation inputs: knowledge bases (a folder of files or a JSONL of documents) and query files.

KB JSONL lines: ``{"id", "title", "text", "lang"}``; optional ``"faq": [[question, answer], ...]`` (kept
as FAQ pairs, one chunk each) and ``"metadata": {str: str}``. A folder KB: every supported file below it,
document id = path relative to the folder (POSIX separators). Query JSONL lines:
``{"id", "lang", "query", "relevant": [document ids]}``; an empty ``relevant`` means "no answer in the KB".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected
from retrieval.loaders import EXTENSIONS, document_from_text, load_document
from retrieval.types import ParsedDocument


@dataclass(frozen=True, slots=True)
class EvalDocument:
    id: str
    text: str
    title: str = ""
    lang: str = ""
    faq: tuple[tuple[str, str], ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "title": self.title, "text": self.text, "lang": self.lang}
        if self.faq:
            out["faq"] = [list(p) for p in self.faq]
        if self.metadata:
            out["metadata"] = self.metadata
        return out


@dataclass(frozen=True, slots=True)
class EvalQuery:
    id: str
    query: str
    relevant: tuple[str, ...]
    lang: str = ""

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "lang": self.lang, "query": self.query, "relevant": list(self.relevant)}


@dataclass(frozen=True, slots=True)
class LoadedKB:
    documents: list[tuple[str, ParsedDocument]]  # (document id, parsed)
    rejected: list[tuple[str, DocumentRejected]]
    raw: list[EvalDocument]  # the documents as text (for the LangChain baseline)


def read_queries(path: Path) -> list[EvalQuery]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if "query" not in obj or "relevant" not in obj:
            raise ValueError(f"{path}:{n}: a query needs 'query' and 'relevant'")
        out.append(
            EvalQuery(
                str(obj.get("id", n)),
                str(obj["query"]),
                tuple(map(str, obj["relevant"])),
                str(obj.get("lang", "")),
            )  # fmt: skip
        )
    return out


def read_jsonl_kb(path: Path) -> list[EvalDocument]:
    docs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if "id" not in obj or "text" not in obj:
            raise ValueError(f"{path}:{n}: a document needs 'id' and 'text'")
        faq = tuple((str(q), str(a)) for q, a in obj.get("faq", []))
        meta = {str(k): str(v) for k, v in (obj.get("metadata") or {}).items()}
        docs.append(EvalDocument(str(obj["id"]), str(obj["text"]), str(obj.get("title", "")),
                                 str(obj.get("lang", "")), faq, meta))  # fmt: skip
    return docs


def write_jsonl(path: Path, rows: Iterable[EvalDocument | EvalQuery]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")


def parse_documents(docs: Sequence[EvalDocument], config: RetrievalConfig) -> LoadedKB:
    parsed, rejected = [], []
    for d in docs:
        try:
            parsed.append((d.id, document_from_text(d.id, d.text, config, title=d.title, lang=d.lang,
                                                    faq=d.faq, metadata=d.metadata)))  # fmt: skip
        except DocumentRejected as exc:
            rejected.append((d.id, exc))
    return LoadedKB(parsed, rejected, list(docs))


def load_kb(path: Path, config: RetrievalConfig) -> LoadedKB:
    """A folder of files or a JSONL file. Rejected files are reported, not fatal."""
    if path.is_file():
        return parse_documents(read_jsonl_kb(path), config)
    if not path.is_dir():
        raise FileNotFoundError(f"knowledge base {path} is neither a JSONL file nor a folder")
    parsed, rejected, raw = [], [], []
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        if f.suffix.lower() not in EXTENSIONS:
            continue
        doc_id = f.relative_to(path).as_posix()
        try:
            doc = load_document(f, f.name, config)
        except DocumentRejected as exc:
            rejected.append((doc_id, exc))
            continue
        parsed.append((doc_id, doc))
        raw.append(EvalDocument(doc_id, doc.text, doc.title, doc.lang))
    return LoadedKB(parsed, rejected, raw)
