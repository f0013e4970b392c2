"""Deterministic fakes of the privacy seams, for tests of the *other* layers (never of privacy)."""

from __future__ import annotations

import re

from privacy.types import Finding, MaskResult, OutputCheck, VaultState

_PATTERNS = (
    ("EMAIL_ADDRESS", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("PHONE_NUMBER", re.compile(r"(?<!\d)\+?\d[\d -]{8,15}\d(?!\d)")),
)
_PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")


def _placeholder(vault: VaultState, entity_type: str, value: str) -> str:
    if value in vault.by_value:
        return vault.by_value[value]
    n = vault.counters.get(entity_type, 0) + 1
    vault.counters[entity_type] = n
    ph = f"<{entity_type}_{n}>"
    vault.by_value[value] = ph
    vault.by_placeholder[ph] = value
    return ph


class RegexMasker:
    """Masks e-mails and long digit runs only. Good enough to drive the turn in other layers' tests."""

    def warm_up(self) -> None:
        return None

    def analyze(self, text: str, lang: str | None = None) -> list[Finding]:
        found: list[Finding] = []
        for etype, pattern in _PATTERNS:
            for m in pattern.finditer(text):
                if not any(f.start < m.end() and m.start() < f.end for f in found):
                    found.append(Finding(etype, m.start(), m.end(), 1.0))
        return sorted(found, key=lambda f: f.start)

    def mask(self, text: str, vault: VaultState, lang: str | None = None) -> MaskResult:
        findings = self.analyze(text, lang)
        out, pos, masked = [], 0, []
        for f in findings:
            ph = _placeholder(vault, f.entity_type, text[f.start : f.end])
            out.append(text[pos : f.start] + ph)
            pos = f.end
            masked.append(Finding(f.entity_type, f.start, f.end, f.score, ph))
        out.append(text[pos:])
        return MaskResult("".join(out), masked)

    def unmask(self, text: str, vault: VaultState) -> str:
        return _PLACEHOLDER.sub(lambda m: vault.by_placeholder.get(m.group(0), m.group(0)), text)

    def check_output(self, text: str, vault: VaultState, lang: str | None = None) -> OutputCheck:
        leaked: dict[str, int] = {}
        scratch = VaultState()
        result = self.mask(text, scratch, lang)
        for f in result.findings:
            leaked[f.entity_type] = leaked.get(f.entity_type, 0) + 1
        return OutputCheck(masked=result.text, restored=self.unmask(result.text, vault), leaked=leaked)

    def stream_guard(self, vault: VaultState, lang: str | None = None) -> BufferingGuard:
        return BufferingGuard(self, vault, lang)


class BufferingGuard:
    """Holds everything back until ``finish`` (trivially safe; the real guard is smarter)."""

    def __init__(self, masker: RegexMasker, vault: VaultState, lang: str | None) -> None:
        self._masker, self._vault, self._lang, self._buf = masker, vault, lang, []

    def feed(self, chunk: str) -> str:
        self._buf.append(chunk)
        return ""

    def finish(self) -> tuple[str, OutputCheck]:
        check = self._masker.check_output("".join(self._buf), self._vault, self._lang)
        return check.restored, check
