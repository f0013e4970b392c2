"""Converters of the evaluation datasets (``EVAL_DATA_DIR/<name>/``, formats in each README) into an
``EvalDocument`` KB and ``EvalQuery`` list. Deterministic; subsampling, where used, is seeded.

- ``esun_aicup2024_faq``: 617 FAQ documents (1,624 Q/A pairs, Traditional Chinese); the 50 ``faq``
  questions with their gold pid. The 100 ``insurance``/``finance`` questions point to PDFs that are not in
  this KB: they are the no-answer queries (relevant = []).
- ``bq_corpus`` / ``afqmc``: every distinct ``sentence2`` is a KB "standard question"; each positive pair
  queries with ``sentence1`` for its ``sentence2``.
- ``dstc10_track2_task2``: ~12k FAQ snippets (title = entity name); each knowledge-seeking turn queries
  with the last ``turns`` turns of the spoken dialogue (the entity is usually named a turn or two earlier).
- ``dstc11_track5``: 2,869 FAQs and 8,013 review sentences (one document each); each knowledge-seeking
  turn has several gold snippets (nDCG).
- ``bank_faqs_hdfc``: an English retail-bank FAQ CSV (1,764 rows, one document each, id ``hdfc-<row>``)
  that has no queries of its own; the queries are ours (``data/retrieval_eval/hdfc_queries.jsonl``):
  customer-style paraphrases of FAQ rows (relevant: that row and every row with the same question), and
  no-answer questions of two kinds: ``held_out`` (about topics whose rows are removed from the KB here:
  ISIC and Times Points cards, lockers, tractor and Credila loans, gold and silver bars, ``HDFC_HELD_OUT``)
  and ``off_topic`` (chit-chat, other services).
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval.evaluation.data import EvalDocument, EvalQuery

DATASETS = (
    "esun_aicup2024_faq",
    "bq_corpus",
    "afqmc",
    "dstc10_track2_task2",
    "dstc11_track5",
    "bank_faqs_hdfc",
)
HDFC_QUERIES = Path(__file__).resolve().parents[2] / "data" / "retrieval_eval" / "hdfc_queries.jsonl"
# Rows (question or answer) on these topics are left out of the HDFC KB: their questions have no answer.
HDFC_HELD_OUT = re.compile(r"ISIC|Times Point|locker|Credila|tractor|Mudra|gold bar|silver", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    documents: list[EvalDocument]
    queries: list[EvalQuery]
    note: str = ""


def load_dataset(name: str, data_dir: Path, *, max_queries: int | None = None, seed: int = 13,
                 turns: int = 5) -> Dataset:  # fmt: skip
    """Raises ``FileNotFoundError`` (with the path) when the data is absent, ``KeyError`` for a bad name."""
    root = data_dir / name
    if not root.is_dir():
        raise FileNotFoundError(f"evaluation data {root} not found (set EVAL_DATA_DIR)")
    converters: dict[str, Callable[[Path], Dataset]] = {
        "esun_aicup2024_faq": _esun,
        "bq_corpus": lambda r: _pairs(r, "bq_corpus", _read_tsv(r / "dev.tsv")),
        "afqmc": lambda r: _pairs(r, "afqmc", _read_afqmc(r / "dev.json")),
        "dstc10_track2_task2": lambda r: _dstc10(r, turns),
        "dstc11_track5": lambda r: _dstc11(r, turns),
        "bank_faqs_hdfc": lambda r: _hdfc(r, HDFC_QUERIES),
    }
    ds = converters[name](root)
    if max_queries is not None and len(ds.queries) > max_queries:
        rng = random.Random(seed)
        picked = sorted(rng.sample(range(len(ds.queries)), max_queries))
        note = f"{ds.note}; queries subsampled {max_queries}/{len(ds.queries)} (seed {seed})".lstrip("; ")
        ds = Dataset(ds.name, ds.documents, [ds.queries[i] for i in picked], note)
    return ds


def _esun(root: Path) -> Dataset:
    kb = json.loads((root / "reference/faq/pid_map_content.json").read_text(encoding="utf-8"))
    docs = [
        EvalDocument(str(pid), "", "", "zh", tuple((e["question"], "\n".join(e["answers"])) for e in entries))
        for pid, entries in kb.items()
    ]
    qs = json.loads((root / "dataset/preliminary/questions_example.json").read_text(encoding="utf-8"))
    gts = json.loads((root / "dataset/preliminary/ground_truths_example.json").read_text(encoding="utf-8"))
    gold = {g["qid"]: str(g["retrieve"]) for g in gts["ground_truths"]}
    queries = [
        EvalQuery(str(q["qid"]), q["query"], (gold[q["qid"]],) if q["category"] == "faq" else (), "zh")
        for q in qs["questions"]
    ]
    return Dataset("esun_aicup2024_faq", docs, queries,
                   "50 faq questions over all 617 documents; 100 insurance/finance questions as no-answer")  # fmt: skip


def _read_tsv(path: Path) -> list[tuple[str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [
            (r[0], r[1], r[2]) for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 3
        ]


def _read_afqmc(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            rows.append((o["sentence1"], o["sentence2"], str(o["label"])))
    return rows


def _pairs(root: Path, name: str, rows: Sequence[tuple[str, str, str]]) -> Dataset:
    ids: dict[str, str] = {}
    for _, s2, _ in rows:
        ids.setdefault(s2.strip(), f"q{len(ids)}")
    docs = [EvalDocument(i, "", "", "zh", ((s2, ""),)) for s2, i in ids.items()]
    # one query per distinct sentence1; every sentence2 labelled a paraphrase of it is relevant
    relevant: dict[str, dict[str, None]] = {}
    for s1, s2, label in rows:
        if label.strip() == "1" and s1.strip():
            relevant.setdefault(s1.strip(), {})[ids[s2.strip()]] = None
    queries = [EvalQuery(f"p{n}", s1, tuple(rel), "zh") for n, (s1, rel) in enumerate(relevant.items())]
    return Dataset(name, docs, queries,
                   f"{len(docs)} distinct sentence2 as the KB; each distinct sentence1 of a positive pair queries "
                   "for all its positive sentence2")  # fmt: skip


def _dialogue(turns: Sequence[dict[str, object]], n: int) -> str:
    """The last ``n`` turns (all of them when ``n`` <= 0), oldest first."""
    return " ".join(str(t["text"]) for t in (turns[-n:] if n > 0 else turns))


def _dstc10(root: Path, turns: int) -> Dataset:
    kb = json.loads((root / "knowledge.json").read_text(encoding="utf-8"))
    docs = []
    for domain, entities in kb.items():
        for eid, ent in entities.items():
            title = ent.get("name") or domain
            for did, d in ent["docs"].items():
                docs.append(EvalDocument(f"{domain}/{eid}/{did}", "", title, "en", ((d["title"], d["body"]),),
                                         {"domain": domain}))  # fmt: skip
    logs = json.loads((root / "val/logs.json").read_text(encoding="utf-8"))
    labels = json.loads((root / "val/labels.json").read_text(encoding="utf-8"))
    queries = []
    for n, (log, lab) in enumerate(zip(logs, labels, strict=True)):
        if lab.get("target"):
            rel = tuple(f"{k['domain']}/{k['entity_id']}/{k['doc_id']}" for k in lab["knowledge"])
            queries.append(EvalQuery(f"t{n}", _dialogue(log, turns), rel, "en"))
    return Dataset("dstc10_track2_task2", docs, queries,
                   f"knowledge-seeking turns only; query = last {turns} turns")  # fmt: skip


def _dstc11(root: Path, turns: int) -> Dataset:
    kb = json.loads((root / "knowledge.json").read_text(encoding="utf-8"))
    docs = []
    for domain, entities in kb.items():
        for eid, ent in entities.items():
            title = ent.get("name") or domain
            for fid, f in (ent.get("faqs") or {}).items():
                docs.append(EvalDocument(f"{domain}/{eid}/faq/{fid}", "", title, "en",
                                         ((f["question"], f["answer"]),), {"domain": domain}))  # fmt: skip
            for rid, r in (ent.get("reviews") or {}).items():
                for sid, sent in r["sentences"].items():
                    docs.append(EvalDocument(f"{domain}/{eid}/review/{rid}/{sid}", sent, title, "en",
                                             (), {"domain": domain}))  # fmt: skip
    logs = json.loads((root / "val/logs.json").read_text(encoding="utf-8"))
    labels = json.loads((root / "val/labels.json").read_text(encoding="utf-8"))
    queries = []
    for n, (log, lab) in enumerate(zip(logs, labels, strict=True)):
        if lab.get("target"):
            rel = []
            for k in lab["knowledge"]:
                base = f"{k['domain']}/{k['entity_id']}"
                if k["doc_type"] == "faq":
                    rel.append(f"{base}/faq/{k['doc_id']}")
                else:
                    rel.append(f"{base}/review/{k['doc_id']}/{k['sent_id']}")
            queries.append(EvalQuery(f"t{n}", _dialogue(log, turns), tuple(dict.fromkeys(rel)), "en"))
    return Dataset("dstc11_track5", docs, queries,
                   f"knowledge-seeking turns; FAQs and review sentences as documents; query = last {turns} turns")  # fmt: skip


def _hdfc(root: Path, queries_path: Path) -> Dataset:
    with (root / "BankFAQs.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    def norm(text: str) -> str:
        return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())

    same_question: dict[str, list[str]] = {}
    for n, r in enumerate(rows):
        same_question.setdefault(norm(r["Question"]), []).append(f"hdfc-{n}")
    docs = [
        EvalDocument(
            f"hdfc-{n}", "", "", "en", ((r["Question"].strip(), r["Answer"].strip()),), {"class": r["Class"]}
        )  # fmt: skip
        for n, r in enumerate(rows)
        if not HDFC_HELD_OUT.search(f"{r['Question']} {r['Answer']}")
    ]
    kept = {d.id for d in docs}
    queries = []
    for line in queries_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        relevant: dict[str, None] = {}
        for doc_id in q["relevant"]:
            row = rows[int(str(doc_id).removeprefix("hdfc-"))]
            relevant.update(dict.fromkeys(d for d in same_question[norm(row["Question"])] if d in kept))
        if q["relevant"] and not relevant:
            raise ValueError(f"{queries_path}: query {q['id']} points only at held-out rows")
        queries.append(EvalQuery(str(q["id"]), q["query"], tuple(relevant), "en"))
    answerable = sum(1 for q in queries if q.relevant)
    return Dataset("bank_faqs_hdfc", docs, queries,
                   f"{len(docs)} of {len(rows)} rows ({len(rows) - len(docs)} held out); {answerable} paraphrases, "
                   f"{len(queries) - answerable} no-answer (held-out topics, off-topic)")  # fmt: skip
