"""``kefu eval intents|clinc|dialogs`` end to end on slices of the real data (``EVAL_DATA_DIR``), small
enough for CI; the full runs (``make eval-dialog``) and their figures are in docs/BENCHMARKS.md (Dialog)."""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import build_cli

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("EVAL_DATA_DIR", ROOT / ".." / "shared" / "data"))

pytestmark = [pytest.mark.eval, pytest.mark.models]


def _run(args: list[str], tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("DATA_DIR", str(tmp / "var"))
    result = CliRunner().invoke(build_cli(), ["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def _slice_csv(src: Path, dest: Path, categories: set[str], per_category: int) -> int:
    taken: dict[str, int] = defaultdict(int)
    with src.open(encoding="utf-8") as fh, dest.open("w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(["text", "category"])
        for row in csv.DictReader(fh):
            if row["category"] in categories and taken[row["category"]] < per_category:
                taken[row["category"]] += 1
                w.writerow([row["text"], row["category"]])
    return sum(taken.values())


@pytest.mark.skipif(not (DATA / "banking77" / "train.csv").is_file(), reason=f"no BANKING77 in {DATA}")
def test_eval_intents_on_a_banking77_slice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight BANKING77 intents (some close: card_arrival / card_delivery_estimate / card_linking ...),
    25 training sentences each, scored on 15 of their test sentences each."""
    with (DATA / "banking77" / "train.csv").open(encoding="utf-8") as fh:
        cats = sorted({r["category"] for r in csv.DictReader(fh)})[:8]
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    _slice_csv(DATA / "banking77" / "train.csv", train, set(cats), 25)
    n_test = _slice_csv(DATA / "banking77" / "test.csv", test, set(cats), 15)
    out = _run(["intents", "--train", str(train), "--test", str(test), "--embedder", "all-minilm-l6-v2"],
               tmp_path, monkeypatch)  # fmt: skip
    assert out["n"] == n_test == 120
    assert out["accuracy"] >= 0.85
    assert out["macro_f1"] >= 0.85


@pytest.mark.skipif(not (DATA / "clinc150" / "data_full.json").is_file(), reason=f"no CLINC150 in {DATA}")
def test_eval_clinc_on_a_slice_keeps_out_of_scope_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten CLINC150 intents and out-of-scope examples in each split, the threshold chosen on val."""
    raw = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    intents = sorted({label for _, label in raw["train"]})[:10]

    def pick(split: str, per: int) -> list[list[str]]:
        taken: dict[str, int] = defaultdict(int)
        rows = []
        for text, label in raw[split]:
            if label in intents and taken[label] < per:
                taken[label] += 1
                rows.append([text, label])
        return rows

    sliced = {"train": pick("train", 25), "val": pick("val", 10), "test": pick("test", 10),
              "oos_train": raw["oos_train"], "oos_val": raw["oos_val"][:50], "oos_test": raw["oos_test"][:100]}  # fmt: skip
    path = tmp_path / "clinc.json"
    path.write_text(json.dumps(sliced), encoding="utf-8")
    out = _run(["clinc", "--data", str(path), "--embedder", "all-minilm-l6-v2"], tmp_path, monkeypatch)
    assert (out["n"], out["n_oos"]) == (200, 100)
    assert out["in_scope_accuracy"] >= 0.85
    assert out["oos_recall"] >= 0.7


def test_eval_dialogs_on_the_shipped_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped multi-turn cases through the demo tenant's tracker, policy and demo-KB retrieval with the
    default multilingual embedder."""
    monkeypatch.chdir(ROOT)
    out = _run(["dialogs", "--data", "data/dialog_eval.jsonl"], tmp_path, monkeypatch)
    for key in ("decision_accuracy", "handoff_precision", "handoff_recall", "n"):
        assert key in out
    assert out["n"] >= 30
    assert out["decision_accuracy"] >= 0.9
    assert out["handoff_recall"] >= 0.9
