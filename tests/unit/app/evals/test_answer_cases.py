"""The answer evaluation's case files: they parse, they are the size the issue asks for, and every gold
fact and allowed figure is really in the demo KB (so a case never asks for what the bank does not say)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.demo import NOT_CONTENT
from app.evals.answer_cases import CaseError, parse_case, read_all, read_cases
from app.evals.answer_grading import _contains as contains
from app.evals.answer_grading import figures, normalise

ROOT = Path(__file__).resolve().parents[4]
DATA = ROOT / "data" / "answers"
KB = ROOT / "data" / "demo_kb"
OWN = [DATA / "answers_dev.jsonl", DATA / "answers_heldout.jsonl", DATA / "answers_heldout_b.jsonl"]


def _kb_text() -> str:
    parts = []
    for path in sorted(KB.rglob("*")):
        if path.is_file() and path.name not in NOT_CONTENT:
            text = path.read_text(encoding="utf-8")
            parts.append(re.sub(r"<[^>]+>", " ", text) if path.suffix == ".html" else text)
    return "\n".join(parts)


def test_own_set_size_and_split() -> None:
    cases = read_all([*OWN, DATA / "bad_input.jsonl"])
    own = [c for c in cases if c.set in ("dev", "heldout")]
    assert sum(c.answerable for c in own) >= 200
    assert sum(c.expect == "refuse" for c in own) >= 60
    assert {c.lang for c in own} == {"zh", "en"}
    held = [c for c in own if c.set == "heldout"]
    assert 0.2 <= len(held) / len(own) <= 0.3
    assert sum(len(c.turns) > 1 for c in own) >= 20  # follow-ups that lean on the previous turn
    assert all(c.expect == "clear" for c in cases if c.set == "bad_input")


def test_every_gold_fact_and_allowed_figure_is_in_the_kb() -> None:
    text = _kb_text()
    norm, stated = normalise(text), set(figures(text))

    def in_kb(spelling: str) -> bool:
        own = figures(spelling)
        return contains(norm, normalise(spelling)) or (bool(own) and all(f in stated for f in own))

    missing = []
    for case in read_all(OWN):
        missing += [(case.id, fact) for fact in case.facts if not any(in_kb(s) for s in fact)]
        missing += [(case.id, [s]) for s in case.allow if not in_kb(s)]
    assert missing == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"id": "a", "turns": ["q"], "answerable": True}, "needs 'facts'"),
        ({"id": "a", "turns": ["q"], "answerable": True, "facts": [[]]}, "needs 'facts'"),
        ({"id": "a", "turns": ["q"], "answerable": False, "facts": [["x"]]}, "only answerable"),
        ({"id": "a", "answerable": True, "facts": [["x"]]}, "give 'turns'"),
        ({"id": "a", "turns": ["q"]}, "give 'answerable'"),
        ({"id": "a", "turns": ["q"], "expect": "maybe"}, "'expect' must be"),
        ({"id": "a", "turns": "q", "answerable": False}, "'turns' must be a list"),
        (
            {"id": "a", "turns": ["q"], "answerable": True, "facts": [["x"]], "kinds": ["size"]},
            "'kinds' must be",
        ),
        ({"id": "a", "turns": ["q"], "answerable": False, "gold": 1}, "unknown keys"),
        ({"turns": ["q"], "answerable": False}, "'id'"),
    ],
)
def test_bad_cases_are_refused_with_the_reason(raw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_case(raw, set_name="x")


def test_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "answers_x.jsonl"
    good = {"id": "a", "question": "q", "answerable": False}
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(CaseError, match=r"answers_x.jsonl:3: duplicate id 'a'"):
        read_cases(path)
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    [case] = read_cases(path)
    assert case.set == "x"
    assert case.turns == ("q",)
    assert case.expect == "refuse"


def test_banking77_gold_facts_are_in_the_kb() -> None:
    from app.evals.banking77_answers import load_map

    text = _kb_text()
    norm = normalise(text)
    mapping = load_map(DATA / "banking77_map.json")
    assert sum(not spec.get("answerable", True) for spec in mapping.values()) >= 3
    missing = [
        (intent, fact)
        for intent, spec in mapping.items()
        for fact in spec.get("facts", [])
        if not any(contains(norm, normalise(s)) for s in fact)
    ]
    assert missing == []


def test_banking77_sample_is_bounded_spread_and_seeded() -> None:
    from app.evals.banking77_answers import build_cases

    utterances = {"lost": [f"lost {i}" for i in range(10)], "atm": ["atm 1", "atm 2"], "other": ["x"]}
    mapping = {"lost": {"facts": [["95396"]]}, "atm": {"facts": [["RMB 2"]]}, "topup": {"answerable": False}}
    with pytest.raises(CaseError, match="topup"):
        build_cases(utterances, mapping, sample=5)
    utterances["topup"] = ["auto top up?"]
    cases = build_cases(utterances, mapping, sample=5)
    assert len(cases) == 5
    assert [c.tags[1] for c in cases[:3]] == ["atm", "lost", "topup"]  # every intent before a repeat
    assert [c.expect for c in cases[:3]] == ["answer", "answer", "refuse"]
    assert all(c.set == "banking77" and c.kinds == () for c in cases if c.answerable)
    assert [c.turns for c in build_cases(utterances, mapping, sample=5)] == [c.turns for c in cases]
    assert len(build_cases(utterances, mapping, sample=100)) == 13  # all there is
