"""The ingestion check: scan an uploaded document and apply the tenant's policy (flag / mask / reject).

A document is given as sections (pages, sheets, or one text) with optional labels. Long sections are
analysed in pieces cut at line ends (or sentence ends, or spaces), so no piece splits a value and spaCy
never sees megabytes at once. The report lists types, counts and locations (section, line, offsets) -
never values. Under ``mask`` the texts to index carry ``<TYPE>`` markers (irreversible: a KB has no
vault); under ``reject`` a document with findings raises ``DocumentHasPII`` carrying the report.

A knowledge base is written by the bank, so its names and places are the bank's own: products ("Harbor
Smart Saver account"), branches, streets, cities, brands, staff titles. ``skip_types`` leaves such types
out of the scan (the app passes ``PrivacyConfig.ingestion_skip_types``: PERSON and LOCATION by default;
the English NER took a product heading for a person). What a customer's record pasted into a document
would leak - phone numbers, e-mails, ID, card, account and passport numbers - is still found.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence

from privacy.errors import DocumentHasPII
from privacy.placeholders import redaction, replace_spans
from privacy.protocols import PiiMasker
from privacy.types import Finding, IngestionPolicy, PiiLocation, ScanReport

PIECE_CHARS = 2000
_SOFT_CUT = re.compile(r"[。！？!?；;]|\s")


def pieces(text: str, size: int = PIECE_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, piece) covering ``text``: pieces of at most ``size`` characters, cut at a line end, else a
    sentence end or a space in the second half, else hard."""
    if size < 2:
        raise ValueError("size must be >= 2")
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            window = text[pos:end]
            nl = window.rfind("\n")
            if nl >= size // 2:
                end = pos + nl + 1
            else:
                soft = [m.end() for m in _SOFT_CUT.finditer(window) if m.end() >= size // 2]
                if soft:
                    end = pos + soft[-1]
        yield pos, text[pos:end]
        pos = end


def scan_document(
    masker: PiiMasker,
    sections: str | Sequence[str],
    *,
    policy: IngestionPolicy,
    labels: Sequence[str] | None = None,
    lang: str | None = None,
    skip_types: Collection[str] = (),
) -> ScanReport:
    """Scan ``sections`` under ``policy``, leaving out findings of ``skip_types``; see the module
    docstring. Raises ``DocumentHasPII`` (reject)."""
    if policy not in ("flag", "mask", "reject"):
        raise ValueError(f"unknown ingestion policy {policy!r}")
    texts = [sections] if isinstance(sections, str) else list(sections)
    names = list(labels) if labels is not None else [""] * len(texts)
    if len(names) != len(texts):
        raise ValueError("labels must match sections one to one")
    counts: dict[str, int] = {}
    locations: list[PiiLocation] = []
    per_section: list[list[Finding]] = []
    for text, label in zip(texts, names, strict=True):
        found: list[Finding] = []
        for offset, piece in pieces(text):
            for f in masker.analyze(piece, lang):
                if f.entity_type in skip_types:
                    continue
                found.append(Finding(f.entity_type, f.start + offset, f.end + offset, f.score))
        for f in found:
            counts[f.entity_type] = counts.get(f.entity_type, 0) + 1
            locations.append(
                PiiLocation(f.entity_type, f.start, f.end, text.count("\n", 0, f.start) + 1, label)
            )
        per_section.append(found)
    if not locations:
        return ScanReport(policy, "clean", {}, [], texts)
    if policy == "flag":
        return ScanReport(policy, "flagged", counts, locations, texts)
    if policy == "mask":
        masked = [
            replace_spans(text, [(f.start, f.end, redaction(f.entity_type)) for f in found])
            for text, found in zip(texts, per_section, strict=True)
        ]
        return ScanReport(policy, "masked", counts, locations, masked)
    report = ScanReport(policy, "rejected", counts, locations, [])
    summary = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
    raise DocumentHasPII(f"document contains personal data ({summary}); the tenant policy is reject", report)
