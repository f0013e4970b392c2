"""``kefu eval pii --data FILE [--json]`` on a small JSONL, with the real masker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import build_cli
from privacy.evaluation.data import Sample, Span, write_jsonl
from privacy.masker import PresidioMasker

pytestmark = pytest.mark.models


@pytest.fixture
def data(tmp_path: Path) -> Path:
    samples = [
        Sample("我的手机13800138000", "zh", (Span(4, 15, "PHONE_NUMBER"),)),
        Sample("身份证110101199003074514", "zh", (Span(3, 21, "CN_ID_CARD"),)),
        Sample("My name is John Smith", "en", (Span(11, 21, "PERSON"),)),
        Sample("信用卡怎么分期", "zh", ()),
        Sample("订单号13800138000的快递", "zh", ()),
    ]
    path = tmp_path / "d.jsonl"
    write_jsonl(samples, path)
    return path


@pytest.fixture(autouse=True)
def _shared_masker(masker: PresidioMasker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.evals.cli.cmd_eval_pii._masker", lambda: masker)


def test_json_output_has_the_promised_keys(data: Path) -> None:
    result = CliRunner().invoke(build_cli(), ["eval", "pii", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {"coverage", "negatives_untouched", "precision", "recall", "per_type"} <= out.keys()
    assert (out["precision"], out["recall"], out["coverage"], out["negatives_untouched"]) == (
        1.0,
        1.0,
        1.0,
        1.0,
    )
    assert out["per_type"]["CN_ID_CARD"] == {**out["per_type"]["CN_ID_CARD"], "precision": 1.0, "recall": 1.0}


def test_table_output(data: Path) -> None:
    result = CliRunner().invoke(build_cli(), ["eval", "pii", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "| PHONE_NUMBER | 1 | 1 |" in result.output
    assert "negatives untouched 1.000 (2 negatives)" in result.output


def test_a_malformed_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "spans": [{"start": 0, "end": 5, "type": "X"}]}\n', encoding="utf-8")
    result = CliRunner().invoke(build_cli(), ["eval", "pii", "--data", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:1" in result.output
