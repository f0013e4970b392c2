"""Deterministic fakes of the privacy seams, for tests of the *other* layers (never of privacy).

``RegexMasker`` follows the real masker's contract (placeholders ``<TYPE_N>`` stable per vault, only this
conversation's placeholders restored, other PII in outputs replaced by ``<TYPE>`` and counted) but finds
only e-mails and long digit runs (plus, when given, fixed ``names``: value -> type, e.g. a branch as
LOCATION), and loads nothing. Like the real one, it lets a name or place (``skip_types``) that occurs
verbatim in ``allowed_text`` (the KB passages) through the output check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from privacy.placeholders import output_check, placeholder_for, unmask
from privacy.types import Finding, MaskResult, OutputCheck, VaultState

_PATTERNS = (
    ("EMAIL_ADDRESS", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("PHONE_NUMBER", re.compile(r"(?<![\d_])\+?\d[\d -]{8,15}\d(?!\d)")),
)


class RegexMasker:
    """Masks e-mails and long digit runs only. Good enough to drive the turn in other layers' tests."""

    def __init__(
        self,
        names: Mapping[str, str] | None = None,
        *,
        skip_types: Sequence[str] = ("PERSON", "LOCATION"),
    ) -> None:
        self._names = dict(names or {})
        self._skip = tuple(skip_types)

    def warm_up(self) -> None:
        return None

    def analyze(self, text: str, lang: str | None = None) -> list[Finding]:
        found: list[Finding] = []
        for etype, pattern in _PATTERNS:
            for m in pattern.finditer(text):
                if not any(f.start < m.end() and m.start() < f.end for f in found):
                    found.append(Finding(etype, m.start(), m.end(), 1.0))
        for value, etype in self._names.items():
            for m in re.finditer(re.escape(value), text):
                if not any(f.start < m.end() and m.start() < f.end for f in found):
                    found.append(Finding(etype, m.start(), m.end(), 1.0))
        return sorted(found, key=lambda f: f.start)

    def mask(self, text: str, vault: VaultState, lang: str | None = None) -> MaskResult:
        out, pos, masked = [], 0, []
        for f in self.analyze(text, lang):
            ph = placeholder_for(vault, f.entity_type, text[f.start : f.end])
            out.append(text[pos : f.start] + ph)
            pos = f.end
            masked.append(Finding(f.entity_type, f.start, f.end, f.score, ph))
        out.append(text[pos:])
        return MaskResult("".join(out), masked)

    def unmask(self, text: str, vault: VaultState) -> str:
        return unmask(text, vault)[0]

    def check_output(
        self, text: str, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> OutputCheck:
        return output_check(
            text, vault, self.analyze(text, lang), allowed_text=allowed_text, allowed_types=self._skip
        )

    def stream_guard(
        self, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> BufferingGuard:
        return BufferingGuard(self, vault, lang, allowed_text)


class BufferingGuard:
    """Holds everything back until ``finish`` (trivially safe; the real guard releases by sentence)."""

    def __init__(
        self, masker: RegexMasker, vault: VaultState, lang: str | None, allowed_text: Sequence[str] = ()
    ) -> None:
        self._masker, self._vault, self._lang = masker, vault, lang
        self._allowed = tuple(allowed_text)
        self._buf: list[str] = []

    def needs_check(self, chunk: str) -> bool:
        return False  # feed() never checks; finish() does

    def feed(self, chunk: str) -> str:
        self._buf.append(chunk)
        return ""

    def finish(self) -> tuple[str, OutputCheck]:
        check = self._masker.check_output(
            "".join(self._buf), self._vault, self._lang, allowed_text=self._allowed
        )
        return check.restored, check
