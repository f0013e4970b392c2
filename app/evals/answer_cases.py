"""Cases of the answer evaluation (``data/answers/*.jsonl``; the format is documented in
``data/answers/README.md``): one JSON object a line, read and checked here with errors that name the line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from app.evals.answer_grading import KINDS
from app.evals.jsonl import read_items

Expect = Literal["answer", "refuse", "clear"]
EXPECTS: tuple[Expect, ...] = ("answer", "refuse", "clear")


class CaseError(ValueError):
    """A case file that cannot be used (the message names the file and line)."""


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    set: str  # the file's stem ("dev", "heldout", "bad_input", "banking77" ...)
    lang: str
    turns: tuple[str, ...]  # the customer's messages; the last reply is graded
    expect: Expect
    facts: tuple[tuple[str, ...], ...] = ()  # each gold fact: its acceptable spellings
    kinds: tuple[str, ...] | None = None  # kinds checked for contradictions (None: the facts' kinds)
    allow: tuple[str, ...] = ()  # figures a correct answer may state beside the gold ones
    forbid: tuple[str, ...] = ()  # strings a refusal must not contain
    accept: tuple[str, ...] = ()  # further decisions that count as a refusal for this case
    tags: tuple[str, ...] = field(default=())

    @property
    def answerable(self) -> bool:
        return self.expect == "answer"


def _strings(raw: Any, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str) or not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(raw)


def parse_case(raw: dict[str, Any], *, set_name: str) -> Case:
    if not isinstance(raw, dict):
        raise ValueError("a case is a JSON object")
    unknown = set(raw) - {"id", "lang", "turns", "question", "answerable", "expect", "facts", "kinds",
                          "allow", "forbid", "accept", "tags", "source", "note", "intent"}  # fmt: skip
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    case_id = raw.get("id")
    if not isinstance(case_id, str) or not case_id:
        raise ValueError("'id' must be a non-empty string")
    if "turns" in raw:
        turns = _strings(raw["turns"], "'turns'")
    elif isinstance(raw.get("question"), str):
        turns = (raw["question"],)
    else:
        raise ValueError("give 'turns' (a list of customer messages) or 'question'")
    if not turns:
        raise ValueError("'turns' is empty")
    expect = raw.get("expect")
    if expect is None:
        if not isinstance(raw.get("answerable"), bool):
            raise ValueError("give 'answerable' (true/false) or 'expect'")
        expect = "answer" if raw["answerable"] else "refuse"
    if expect not in EXPECTS:
        raise ValueError(f"'expect' must be one of {EXPECTS}")
    facts_raw = raw.get("facts") or []
    if not isinstance(facts_raw, list):
        raise ValueError("'facts' must be a list")
    facts = tuple(_strings([f] if isinstance(f, str) else f, "each fact") for f in facts_raw)
    if expect == "answer" and (not facts or any(not f for f in facts)):
        raise ValueError("an answerable case needs 'facts', each with at least one spelling")
    if expect != "answer" and facts:
        raise ValueError("only answerable cases have 'facts'")
    kinds = None if raw.get("kinds") is None else _strings(raw["kinds"], "'kinds'")
    if kinds is not None and set(kinds) - set(KINDS):
        raise ValueError(f"'kinds' must be among {KINDS}")
    return Case(
        id=case_id,
        set=set_name,
        lang=str(raw.get("lang", "")),
        turns=turns,
        expect=expect,
        facts=facts,
        kinds=kinds,
        allow=_strings(raw.get("allow"), "'allow'"),
        forbid=_strings(raw.get("forbid"), "'forbid'"),
        accept=_strings(raw.get("accept"), "'accept'"),
        tags=_strings(raw.get("tags"), "'tags'"),
    )


def read_cases(path: Path, *, set_name: str | None = None) -> list[Case]:
    """The cases of one JSONL file; the set is named after the file (``answers_dev.jsonl`` -> ``dev``)."""
    name = set_name or path.stem.removeprefix("answers_")
    return read_items(
        path, lambda line: parse_case(json.loads(line), set_name=name), lambda c: c.id, error=CaseError
    )


def read_all(paths: Sequence[Path]) -> list[Case]:
    cases: list[Case] = []
    ids: set[str] = set()
    for path in paths:
        for case in read_cases(path):
            if case.id in ids:
                raise CaseError(f"{path}: id {case.id!r} is in another file too")
            ids.add(case.id)
            cases.append(case)
    return cases
