"""Span metrics and dataset loaders on hand-made data whose scores are known."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from privacy.evaluation.data import (
    Sample,
    Span,
    load_cluener,
    load_presidio_research,
    read_jsonl,
    write_jsonl,
)
from privacy.evaluation.metrics import evaluate, f_beta


def test_scores_of_a_known_case() -> None:
    samples = [
        Sample("call 13800138000 now", "en", (Span(5, 16, "PHONE_NUMBER"),)),
        Sample("I am John Smith", "en", (Span(5, 15, "PERSON"),)),
        Sample("nothing here", "en", ()),
        Sample("also nothing", "en", ()),
        Sample("Acme Corp rocks", "en", (), (Span(0, 9, "ORGANIZATION"),)),
    ]
    predictions = [
        [Span(5, 16, "PHONE_NUMBER")],  # exact
        [Span(5, 9, "PERSON")],  # partial: overlap hit, not exact, not fully covered
        [],
        [Span(0, 4, "PERSON")],  # false positive on a negative
        [Span(0, 4, "PERSON")],  # on an ignored span: neither right nor wrong
    ]
    r = evaluate(samples, predictions)
    assert r.per_type["PHONE_NUMBER"].precision == 1.0
    assert r.per_type["PHONE_NUMBER"].recall == 1.0
    person = r.per_type["PERSON"]
    assert (person.precision, person.recall, person.exact_recall) == (0.5, 1.0, 0.0)
    assert r.overall.precision == pytest.approx(2 / 3, abs=1e-4)
    assert r.coverage == 0.5  # "Smith" was not masked
    assert (r.negatives, r.negatives_untouched) == (2, 0.5)
    d = r.as_dict()
    assert {"coverage", "negatives_untouched", "precision", "recall", "per_type"} <= d.keys()
    assert d["per_type"]["PERSON"]["precision"] == 0.5  # type: ignore[index]


def test_restricting_types_drops_unclaimed_predictions_and_gold() -> None:
    samples = [Sample("x 2024-01-01 y", "en", (Span(2, 12, "DATE_TIME"),))]
    r = evaluate(samples, [[Span(2, 12, "DATE_TIME")]], types=["PERSON"])
    assert r.overall.gold == 0
    assert r.overall.predicted == 0


def test_f2_weights_recall() -> None:
    assert f_beta(0.5, 1.0) == pytest.approx(0.8333, abs=1e-4)
    assert f_beta(1.0, 0.5) == pytest.approx(0.5556, abs=1e-4)
    assert f_beta(None, 1.0) is None


def test_jsonl_round_trip_and_errors(tmp_path: Path) -> None:
    samples = [Sample("手机13800138000", "zh", (Span(2, 13, "PHONE_NUMBER"),)), Sample("你好", "zh", ())]
    path = tmp_path / "d.jsonl"
    write_jsonl(samples, path)
    assert read_jsonl(path) == samples
    path.write_text('{"text": "ab", "spans": [{"start": 0, "end": 9, "type": "X"}]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="d.jsonl:1"):
        read_jsonl(path)


def test_loaders_map_labels(tmp_path: Path) -> None:
    pr = tmp_path / "pr.json"
    pr.write_text(
        json.dumps(
            [
                {
                    "full_text": "Dan lives in Paris, works at Acme",
                    "spans": [
                        {
                            "entity_type": "PERSON",
                            "entity_value": "Dan",
                            "start_position": 0,
                            "end_position": 3,
                        },
                        {
                            "entity_type": "GPE",
                            "entity_value": "Paris",
                            "start_position": 13,
                            "end_position": 18,
                        },
                        {
                            "entity_type": "ORGANIZATION",
                            "entity_value": "Acme",
                            "start_position": 29,
                            "end_position": 33,
                        },
                    ],
                }
            ]
        ),
        encoding="utf-8",
    )
    [s] = load_presidio_research(pr)
    assert s.spans == (Span(0, 3, "PERSON"), Span(13, 18, "LOCATION"))
    assert s.ignore == (Span(29, 33, "ORGANIZATION"),)
    cl = tmp_path / "c.jsonl"
    cl.write_text(
        json.dumps(
            {"text": "彭小军认为台湾", "label": {"name": {"彭小军": [[0, 2]]}, "address": {"台湾": [[5, 6]]}}}
        )
        + "\n",
        encoding="utf-8",
    )
    [c] = load_cluener(cl)
    assert c.spans == (Span(0, 3, "PERSON"), Span(5, 7, "LOCATION"))


EVAL_DIR = Path(
    os.environ.get("EVAL_DATA_DIR", Path(__file__).resolve().parents[3] / ".." / "shared" / "data")
)


@pytest.mark.eval
@pytest.mark.skipif(
    not (EVAL_DIR / "presidio_research").is_dir(), reason="EVAL_DATA_DIR has no presidio_research"
)
def test_the_real_datasets_load_with_every_span_inside_its_text() -> None:
    pr = load_presidio_research(EVAL_DIR / "presidio_research" / "synth_dataset_v2.json")
    cl = load_cluener(EVAL_DIR / "cluener2020" / "dev.jsonl")
    assert len(pr) == 1500
    assert len(cl) == 1343
    assert sum(len(s.spans) for s in cl) == 465 + 373  # name + address, as the dataset README counts
    for s in pr + cl:
        for span in s.spans + s.ignore:
            assert 0 <= span.start < span.end <= len(s.text)
