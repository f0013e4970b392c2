"""Plain data crossing the privacy seam."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity. ``start``/``end`` are character offsets into the analysed text."""

    entity_type: str  # PERSON, PHONE_NUMBER, EMAIL_ADDRESS, CREDIT_CARD, CN_ID_CARD, ...
    start: int
    end: int
    score: float
    placeholder: str | None = None  # set when the finding was masked, e.g. "<PHONE_NUMBER_1>"


@dataclass(slots=True)
class VaultState:
    """The placeholder <-> original mapping of one conversation. Clear values live only here.

    It is persisted encrypted by a ``VaultStore``; it is never logged, stored in SQL or sent to a model.
    """

    by_placeholder: dict[str, str] = field(default_factory=dict)
    by_value: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print values
        return f"VaultState(<{len(self.by_placeholder)} entries>)"


@dataclass(frozen=True, slots=True)
class MaskResult:
    text: str  # masked text: what every other layer sees
    findings: list[Finding]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.entity_type] = out.get(f.entity_type, 0) + 1
        return out


@dataclass(frozen=True, slots=True)
class OutputCheck:
    """Result of checking a model output.

    ``masked`` is what is stored and shown to agents (this conversation's placeholders kept, any other PII
    masked); ``restored`` is what the customer sees (this conversation's placeholders restored);
    ``leaked`` counts PII found in the output that was not this conversation's, by type.
    """

    masked: str
    restored: str
    leaked: dict[str, int]
