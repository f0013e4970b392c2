"""Plain data crossing the privacy seam."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

IngestionPolicy = Literal["flag", "mask", "reject"]


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
    # canonical value (see ``privacy.placeholders.canonical``) -> placeholder
    by_value: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    # Set by the store on load and checked on save (optimistic concurrency); 0 for a new vault.
    version: int = 0

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
    ``leaked`` counts PII found in the output that was not this conversation's, by type;
    ``restored_counts`` counts this conversation's placeholders that were restored, by type.
    """

    masked: str
    restored: str = field(repr=False)  # holds the customer's clear values: never in a repr / log line
    leaked: dict[str, int]
    restored_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PiiLocation:
    """Where a finding sits in a scanned document: never the value itself."""

    entity_type: str
    start: int  # character offsets into the section's text
    end: int
    line: int  # 1-based line of ``start``
    section: str = ""  # the caller's label: "page 3", "sheet Rates", ...


@dataclass(frozen=True, slots=True)
class ScanReport:
    """Result of scanning an uploaded document under a tenant's ingestion policy.

    ``decision``: ``clean`` (nothing found), ``flagged`` (found, indexed as is, shown to the admin),
    ``masked`` (found and replaced by ``<TYPE>`` markers before indexing), ``rejected`` (not indexed).
    ``texts`` are the section texts to index, in order: the originals (clean, flagged), the masked
    texts (masked), or empty (rejected).
    """

    policy: IngestionPolicy
    decision: Literal["clean", "flagged", "masked", "rejected"]
    counts: dict[str, int]
    locations: list[PiiLocation]
    texts: list[str] = field(repr=False)  # under "flag" these are the originals, values included

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class TurnAudit:
    """What the privacy layer did in one chat turn: types, counts, decisions and timings, never values."""

    input_counts: dict[str, int]  # PII masked in the customer's message, by type
    output_leaked: dict[str, int]  # PII in the model output that was not this conversation's (masked)
    output_restored: dict[str, int]  # this conversation's placeholders restored for the customer
    decisions: tuple[str, ...]  # e.g. ("input_masked", "output_leak_masked")
    mask_ms: float
    check_ms: float


@dataclass(frozen=True, slots=True)
class RevealEvent:
    """An agent revealed one placeholder's value: who, when, which placeholder (never the value)."""

    actor: str
    conversation_id: str
    placeholder: str
    entity_type: str
    at: dt.datetime
    reason: str = ""
