"""``kefu eval answers`` against the really served app: the embedded server (migrate, demo, serve as child
processes, real models over the demo KB) on a few cases. Slow (the demo seeding embeds the KB the first
time on a machine, about 3 minutes on the shared 2-vCPU VM at load 12; later runs reuse the cache),
hence the marker. The extractive backend keeps it free of the CPU LLM: this tests the harness, not the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import build_cli

# The server start (migrate, demo seeding, model warm-up) took over 10 min at load average 30.
pytestmark = [pytest.mark.models, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[4]


def test_eval_answers_on_the_embedded_default(tmp_path: Path) -> None:
    cases = tmp_path / "answers_smoke.jsonl"
    rows = [
        {
            "id": "s-swift",
            "lang": "en",
            "turns": ["swift code?"],
            "answerable": True,
            "facts": [["HRBKCNHG"]],
        },
        {"id": "s-joke", "lang": "en", "turns": ["tell me a joke about cats"], "answerable": False},
        {"id": "s-empty", "lang": "", "turns": [" "], "expect": "clear"},
        {"id": "s-emoji", "lang": "", "turns": ["😀😀"], "expect": "clear"},
    ]
    cases.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        build_cli(),
        ["eval", "answers", "--data", str(cases), "--env", "LLM__BACKEND=extractive", "--background-load", "1",
         "--output", str(out), "--json", "--timeout-s", "120"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["cases"] == 4
    assert report["http_errors"] == 0
    assert report["server_errors"] == 0
    assert report["clear_replies"] == 2
    assert report["turns_timed"] == 3  # the empty message gets a 422, not a reply
    assert report["final_p50_ms"] > 0
    assert report["meta"]["background_load"].startswith("1 x ")
    assert report["by_set"]["smoke"]["cases"] == 4
