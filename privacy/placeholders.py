"""Placeholders: ``<PHONE_NUMBER_1>`` in, the customer's value out, and nothing else restored.

A placeholder is ``<TYPE_N>``, numbered per type in order of first appearance in the conversation. The
same value gets the same placeholder every turn: values are compared in a canonical form (separators
dropped, ``+86`` dropped, e-mail lower-cased), so ``138-0013-8000`` and ``13800138000`` are one person's
one number. Models do not always copy placeholders faithfully, so restoring accepts full-width brackets
(``＜PHONE_NUMBER_1＞``), a space inside the brackets and the bare name (``PHONE_NUMBER_1``) - but only
names present in this conversation's vault are ever restored.

Values found in a model output that are not this conversation's are replaced by ``<TYPE>`` (no number):
such a marker is never in any vault, so it can never be "restored" into someone else's value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence

from privacy.types import Finding, OutputCheck, VaultState

STRICT = re.compile(r"<([A-Z][A-Z_]*[A-Z])_(\d{1,6})>")
# What a model may make of <PHONE_NUMBER_1>: full-width brackets, inner spaces, or no brackets at all.
TOLERANT = re.compile(
    r"[<＜]\s?([A-Z][A-Z_]*[A-Z]_\d{1,6})\s?[>＞]|(?<![A-Za-z0-9_<＜])([A-Z][A-Z_]*[A-Z]_\d{1,6})(?![A-Za-z0-9_])"
)
# Any placeholder-like token, numbered or not (<PHONE_NUMBER>, <PHONE_NUMBER_3>): spans analysis skips.
ANY_MARKER = re.compile(r"[<＜]\s?[A-Z][A-Z_]*[A-Z](?:_\d{1,6})?\s?[>＞]")
# The start of a placeholder cut off at the end of a streamed chunk: "<", "<PHONE_NUM", "＜PHONE_NUMBER_1".
PARTIAL_AT_END = re.compile(r"[<＜]\s?[A-Z_0-9]{0,40}$")

_SEPARATORS = str.maketrans("", "", " -.()\u3000\u00a0")
_DIGIT_TYPES = frozenset(
    {"PHONE_NUMBER", "CREDIT_CARD", "CN_ID_CARD", "CN_USCC", "CN_PASSPORT", "IBAN_CODE", "ACCOUNT_NUMBER"}
)


def canonical(entity_type: str, value: str) -> str:
    """The form in which two spellings of one value compare equal."""
    if entity_type in _DIGIT_TYPES:
        v = value.translate(_SEPARATORS).upper()
        if entity_type == "PHONE_NUMBER":
            for prefix in ("+86", "0086"):
                if v.startswith(prefix) and len(v) == len(prefix) + 11:
                    v = v[len(prefix) :]
        return v
    if entity_type in ("EMAIL_ADDRESS", "IP_ADDRESS"):
        return value.strip().lower()
    return " ".join(value.split())


def redaction(entity_type: str) -> str:
    """The marker for a value that must not be restored to anyone: ``<PHONE_NUMBER>``."""
    return f"<{entity_type}>"


def placeholder_for(vault: VaultState, entity_type: str, value: str) -> str:
    """The conversation's placeholder for ``value``, allocating ``<TYPE_N+1>`` (in place) if new."""
    key = canonical(entity_type, value)
    found = vault.by_value.get(key)
    if found is not None:
        return found
    n = vault.counters.get(entity_type, 0) + 1
    vault.counters[entity_type] = n
    ph = f"<{entity_type}_{n}>"
    vault.by_value[key] = ph
    vault.by_placeholder[ph] = value
    return ph


def lookup(vault: VaultState, entity_type: str, value: str) -> str | None:
    """The placeholder of ``value`` if this conversation already has it, else None (allocates nothing)."""
    return vault.by_value.get(canonical(entity_type, value))


def entity_type_of(placeholder: str) -> str:
    m = STRICT.fullmatch(placeholder)
    if m is None:
        raise ValueError("not a placeholder")
    return m.group(1)


def find_known(text: str, vault: VaultState) -> list[tuple[int, int, str]]:
    """Spans of this conversation's placeholders in ``text`` (in any tolerated spelling), in order."""
    out = []
    for m in TOLERANT.finditer(text):
        ph = f"<{m.group(1) or m.group(2)}>"
        if ph in vault.by_placeholder:
            out.append((m.start(), m.end(), ph))
    return out


def normalize_known(text: str, vault: VaultState) -> str:
    """``text`` with every tolerated spelling of a known placeholder rewritten as ``<TYPE_N>``."""
    return replace_spans(text, find_known(text, vault), lambda ph: ph)


def unmask(text: str, vault: VaultState) -> tuple[str, dict[str, int]]:
    """Restore this conversation's placeholders; anything else (other numbers, ``<TYPE>``) stays as is.

    Returns the text and the count of restored placeholders by entity type.
    """
    spans = find_known(text, vault)
    counts: dict[str, int] = {}
    for _, _, ph in spans:
        t = entity_type_of(ph)
        counts[t] = counts.get(t, 0) + 1
    return replace_spans(text, spans, lambda ph: vault.by_placeholder[ph]), counts


def output_check(
    text: str,
    vault: VaultState,
    findings: Iterable[Finding],
    *,
    allowed_text: Sequence[str] = (),
    allowed_types: Collection[str] = (),
) -> OutputCheck:
    """Check a model output, given the PII a masker found in it (``findings``): this conversation's
    placeholders are kept (``masked``) and restored (``restored``); a finding on one of this conversation's
    values becomes its placeholder; any other becomes ``<TYPE>`` and is counted in ``leaked``. Findings
    that overlap a known placeholder are passed over.

    ``allowed_text``: the bank's own text the answer was built from (the KB passages of the prompt). A
    finding of one of ``allowed_types`` (the types the ingestion scan leaves in KB text: PERSON, LOCATION)
    whose exact text occurs verbatim in one of them is the bank's branch, place or name, not a leak: it
    stays as written and is not counted. Other types (phone, ID, card, account, e-mail) are never let
    through this way."""
    known = find_known(text, vault)
    parts = list(known)
    leaked: dict[str, int] = {}
    for f in findings:
        if any(f.start < e and s < f.end for s, e, _ in known):
            continue
        value = text[f.start : f.end]
        if f.entity_type in allowed_types and in_allowed_text(value, allowed_text):
            continue
        own = lookup(vault, f.entity_type, value)
        if own is None:
            leaked[f.entity_type] = leaked.get(f.entity_type, 0) + 1
        parts.append((f.start, f.end, own or redaction(f.entity_type)))
    masked = replace_spans(text, sorted(parts))
    restored, counts = unmask(masked, vault)
    return OutputCheck(masked=masked, restored=restored, leaked=leaked, restored_counts=counts)


def in_allowed_text(value: str, allowed_text: Sequence[str]) -> bool:
    """Whether ``value`` (at least two non-space characters) occurs verbatim in one of ``allowed_text``."""
    return len(value.strip()) >= 2 and any(value in t for t in allowed_text)


def replace_spans(
    text: str, spans: list[tuple[int, int, str]], repl: Callable[[str], str] = lambda s: s
) -> str:
    """``text`` with each (start, end, token) span, sorted and non-overlapping, replaced by ``repl(token)``."""
    parts, pos = [], 0
    for start, end, ph in spans:
        parts.append(text[pos:start])
        parts.append(repl(ph))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
