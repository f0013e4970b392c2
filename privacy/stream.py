"""The streaming output guard: check model output chunk by chunk without ever leaking a split value.

Tokens arrive in arbitrary pieces (``138`` ``0013`` ``8000``, ``<PHONE_`` ``NUMBER_1>``). The guard keeps
the text that is not yet released and releases it only up to a *boundary* that no PII value and no
placeholder can contain:

- always at a sentence end: ``。！？；!?`` or a newline, or ``.`` followed by a space (not after ``Mr.``,
  ``Apt.``, ``No.`` or an initial);
- once ``soft_chars`` are pending, also at a comma (``，、`` or ``,`` followed by a space);
- once ``max_chars`` are pending with no boundary at all, at the last point that is not inside a finding,
  not between two characters of one token (``A-Z0-9@._%+-``), and not inside an open ``<``.

Each released segment goes through ``check_output`` (restore this conversation's placeholders, mask any
other PII), so what is emitted is exactly what ``check_output`` would have produced for that segment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from privacy.placeholders import PARTIAL_AT_END
from privacy.types import OutputCheck, VaultState

if TYPE_CHECKING:
    from privacy.masker import PresidioMasker

_STRONG = re.compile(r"[。！？；!?\n]+|\.(?=\s)")
_SOFT = re.compile(r"[，、]+|[,;:](?=\s)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Apt|St|No|Ave|Rd|Ste|Inc|Co|Jr|Sr|vs|etc|Box|O)|\b[A-Z])$"
)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._%+-<>＜＞")
_TAIL_CHARS = 40  # at a forced cut, at least this much stays pending (longer than any single value)


class SentenceStreamGuard:
    """``StreamGuard`` over a ``PresidioMasker``; one per streamed reply. Not thread-safe."""

    def __init__(
        self,
        masker: PresidioMasker,
        vault: VaultState,
        lang: str | None,
        *,
        soft_chars: int = 48,
        max_chars: int = 160,
        allowed_text: Sequence[str] = (),
    ) -> None:
        if not 0 < soft_chars <= max_chars or max_chars <= _TAIL_CHARS:
            raise ValueError(f"need 0 < soft_chars <= max_chars and max_chars > {_TAIL_CHARS}")
        self._masker, self._vault, self._lang = masker, vault, lang
        self._soft, self._max = soft_chars, max_chars
        self._allowed = tuple(allowed_text)  # the KB passages: their names and places are not leaks
        self._pending = ""
        self._masked: list[str] = []
        self._restored: list[str] = []
        self._leaked: dict[str, int] = {}
        self._restored_counts: dict[str, int] = {}
        self._finished = False

    def feed(self, chunk: str) -> str:
        """Append ``chunk``; return the customer-safe text releasable now (may be empty)."""
        if self._finished:
            raise RuntimeError("feed() after finish()")
        self._pending += chunk
        cut = self._cut()
        if cut <= 0:
            return ""
        segment, self._pending = self._pending[:cut], self._pending[cut:]
        return self._release(segment)

    def needs_check(self, chunk: str) -> bool:
        """Whether ``feed(chunk)`` would run the output check (the pending text would reach a boundary or
        ``max_chars``). False: ``feed(chunk)`` only appends and returns "", cheap enough for the event loop;
        most tokens of a stream are such. Changes nothing."""
        if self._finished:
            return True  # feed() raises; the caller's feed gets that
        text = self._pending + chunk
        if len(text) >= self._max or self._last_boundary(_STRONG, text) > 0:
            return True
        return len(text) >= self._soft and self._last_boundary(_SOFT, text) > 0

    def finish(self) -> tuple[str, OutputCheck]:
        """Release the rest; return it with the ``OutputCheck`` of the whole output."""
        if self._finished:
            raise RuntimeError("finish() called twice")
        self._finished = True
        rest = self._release(self._pending) if self._pending else ""
        self._pending = ""
        check = OutputCheck(
            masked="".join(self._masked),
            restored="".join(self._restored),
            leaked=dict(self._leaked),
            restored_counts=dict(self._restored_counts),
        )
        return rest, check

    @property
    def pending(self) -> int:
        """Characters held back so far (for metrics)."""
        return len(self._pending)

    # --- internals --------------------------------------------------------------------------------

    def _release(self, segment: str) -> str:
        check = self._masker.check_output(segment, self._vault, self._lang, allowed_text=self._allowed)
        self._masked.append(check.masked)
        self._restored.append(check.restored)
        for target, counts in ((self._leaked, check.leaked), (self._restored_counts, check.restored_counts)):
            for k, v in counts.items():
                target[k] = target.get(k, 0) + v
        return check.restored

    def _cut(self) -> int:
        text = self._pending
        cut = self._last_boundary(_STRONG, text)
        if cut <= 0 and len(text) >= self._soft:
            cut = self._last_boundary(_SOFT, text)
        if cut <= 0 and len(text) >= self._max:
            cut = self._forced_cut(text)
        return cut

    @staticmethod
    def _last_boundary(pattern: re.Pattern[str], text: str) -> int:
        last = 0
        for m in pattern.finditer(text):
            if m.group(0) == "." and _ABBREVIATION.search(text, 0, m.start()):
                continue
            last = m.end()
        return last

    def _forced_cut(self, text: str) -> int:
        findings = self._masker.analyze(text, self._lang)
        p = len(text) - _TAIL_CHARS
        while p > 0:
            inside = any(f.start < p < f.end for f in findings)
            glued = text[p - 1] in _TOKEN_CHARS and text[p] in _TOKEN_CHARS
            if not inside and not glued and PARTIAL_AT_END.search(text, 0, p) is None:
                return p
            p -= 1
        return 0
