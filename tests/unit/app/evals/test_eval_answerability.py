"""``kefu eval answerability`` on the demo KB with the real models (e5, the trained tracker, the hybrid
retriever and its floor, the policy): the bar of answered golden questions and refused unanswerable ones.
Figures and their history: docs/BENCHMARKS.md, "Answerability"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import build_cli

pytestmark = pytest.mark.models

# Passage vectors cached per machine (by content and model), outside the throw-away DATA_DIR.
EMBEDDING_CACHE = Path.home() / ".cache" / "kefu" / "answerability" / "embeddings"
CHIT_CHAT = {f"ua-{lang}-0{i}" for lang in ("en", "zh") for i in range(1, 5)}  # weather, jokes, sport, code


def test_the_demo_kb_answers_its_golden_questions_and_refuses_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    EMBEDDING_CACHE.mkdir(parents=True, exist_ok=True)
    (data_dir / "embeddings").symlink_to(EMBEDDING_CACHE, target_is_directory=True)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    result = CliRunner().invoke(build_cli(), ["eval", "answerability", "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["answerable"]["n"] == 34
    assert out["golden_unanswerable"]["n"] == 6
    assert out["unanswerable"]["n"] == 30
    # measured 33/34 (2026-11-28); at most two answerable questions may get "don't know"
    assert out["answerable"]["answered"] >= 32, out["wrong"]
    # measured 22/36 refused (0.61): the floor's margin rule lets some near-topic questions through
    assert out["refusal_rate"] >= 0.55, out["wrong"]
    wrongly_answered = {w["id"] for w in out["wrong"] if w["outcome"] == "answered"}
    assert not wrongly_answered & CHIT_CHAT
