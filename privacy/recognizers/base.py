"""The declarative recognizer: a class states patterns, cue words and one validation hook; this runs them.

A subclass sets class attributes and, where a checksum exists, overrides ``validate``::

    @register("cn_mobile")
    class CnMobileRecognizer(DeclarativeRecognizer):
        ENTITY = "PHONE_NUMBER"
        PATTERNS = (PatternSpec("mobile", r"(?<!\\d)1[3-9]\\d{9}(?!\\d)", 0.75),)
        CONTEXT = ("手机", "电话", "phone")

How a match is scored (all offsets are characters of the analysed text):

1. Each pattern is searched with the ``regex`` module (variable-length look-behind allowed). A named group
   ``value`` marks the entity inside a larger match (``我叫(?P<value>...)``); otherwise the whole match is it.
2. ``validate(value)`` -> True: the score becomes ``VALIDATED_SCORE``; False: the match is dropped
   (when ``SPLIT_ON_FAILURE``, separator-aligned sub-spans are tried first, longest first); None: the
   pattern's score stands.
3. Cue words are searched in ``CONTEXT_WINDOW`` characters before the match (and ``CONTEXT_AFTER``
   after it). Every cue, positive or negative, must fit the window before the match with room for
   ``MIN_CUE_GAP`` characters between it and the value (``account number is 62...``); a recognizer whose
   cues (its own or the registry's) do not fit fails at construction, so no cue can silently never match. The nearest cue decides: a positive one adds ``CONTEXT_BOOST``, a negative one (``订单号``,
   ``order no``), counted only within the match's own clause, subtracts ``NEGATIVE_PENALTY``. Patterns scored below the engine threshold (0.5 by
   default) therefore need a cue to be reported.

Digit rules use digit look-arounds, never ``\\b``: there is no word boundary between a Han character and a
digit, so ``手机13800138000`` would slip past ``\\b``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.errors import RecognizerConfigError

logger = logging.getLogger(__name__)

# Separators tolerated inside numbers; used to split a failed match into sub-spans.
SEPARATORS = " -\u3000\u00a0"
_REGEX_TIMEOUT_S = 1.0
# Characters a cue may stand from the value and still fit its window: " is ", "是：", ": #".
MIN_CUE_GAP = 4
_CLAUSE_ENDS = "，。！？；,;!?\n"
# Lower-case ASCII only: str.lower() can change the length of some non-ASCII strings (offsets would drift).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class PatternSpec:
    name: str
    regex: str
    score: float


class DeclarativeRecognizer(LocalRecognizer):
    """Base of every kefu recognizer. Subclasses are declarations; see the module docstring."""

    ENTITY: ClassVar[str] = ""
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = ()
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    NEGATIVE_CONTEXT: ClassVar[tuple[str, ...]] = ()
    CONTEXT_WINDOW: ClassVar[int] = 16
    CONTEXT_AFTER: ClassVar[int] = 6
    # A cue after the match supports it only within the match's own clause ("...是我的账号", not
    # "...通知我，卡号是6222..." where the cue belongs to the next value).
    CUE_AFTER_IN_CLAUSE: ClassVar[bool] = False
    CONTEXT_BOOST: ClassVar[float] = 0.35
    NEGATIVE_PENALTY: ClassVar[float] = 0.6
    VALIDATED_SCORE: ClassVar[float] = 1.0
    SPLIT_ON_FAILURE: ClassVar[bool] = False
    # Tie-break between overlapping findings of equal score: higher wins (checksummed types are high).
    PRIORITY: ClassVar[int] = 50
    FLAGS: ClassVar[int] = regex.MULTILINE
    # Shared resources the registry passes as keyword arguments (e.g. "word_tags": jieba's dictionary).
    NEEDS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        language: str,
        context: Sequence[str] | None = None,
        negative_context: Sequence[str] | None = None,
        score_scale: float = 1.0,
        name: str | None = None,
    ) -> None:
        token_based = type(self).extra_candidates is not DeclarativeRecognizer.extra_candidates
        if not self.ENTITY or not (self.PATTERNS or token_based):
            raise RecognizerConfigError(
                f"{type(self).__name__} declares no ENTITY, or neither PATTERNS nor tokens"
            )
        if not 0.0 < score_scale <= 1.5:
            raise RecognizerConfigError(f"{type(self).__name__}: score_scale must be in (0, 1.5]")
        self._cues = tuple(w.lower() for w in (self.CONTEXT if context is None else context))
        self._negative = tuple(
            w.lower() for w in (self.NEGATIVE_CONTEXT if negative_context is None else negative_context)
        )
        self._scale = score_scale
        self._label: str = name or type(self).__name__
        too_long = [w for w in (*self._cues, *self._negative) if len(w) + MIN_CUE_GAP > self.CONTEXT_WINDOW]
        if too_long:
            raise RecognizerConfigError(
                f"{type(self).__name__}: cue words {too_long} do not fit CONTEXT_WINDOW={self.CONTEXT_WINDOW} "
                f"with {MIN_CUE_GAP} characters before the value; shorten them or widen the window"
            )
        try:
            self._compiled = tuple((p, regex.compile(p.regex, self.FLAGS)) for p in self.PATTERNS)
        except regex.error as exc:
            raise RecognizerConfigError(f"{type(self).__name__}: bad pattern: {exc}") from exc
        # Presidio's lemma-based context enhancer must not boost us a second time: context=None.
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=language,
            name=self._label,
            context=None,
        )

    def load(self) -> None:
        return None

    # --- hooks ------------------------------------------------------------------------------------

    def validate(self, value: str) -> bool | None:
        """Checksum or plausibility of a match: True (certain), False (drop), None (no opinion)."""
        return None

    def extra_candidates(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[tuple[int, int, float]]:
        """Spans found other than by ``PATTERNS`` (e.g. from tokens), as (start, end, score)."""
        return []

    # --- Presidio entry point ---------------------------------------------------------------------

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        if entities and self.ENTITY not in entities:
            return []
        scan = text.translate(_ASCII_LOWER) if (self._cues or self._negative) else text
        results: list[RecognizerResult] = []
        seen: set[tuple[int, int]] = set()
        for spec, pattern in self._compiled:
            try:
                matches = list(pattern.finditer(text, timeout=_REGEX_TIMEOUT_S))
            except TimeoutError:
                logger.warning("pattern %s of %s timed out; skipped", spec.name, self._label)
                continue
            for m in matches:
                span = m.span("value") if "value" in pattern.groupindex else m.span()
                if span[0] < 0 or span[1] <= span[0]:
                    continue
                accepted = self._accept(text, span, spec.score)
                if accepted is None or accepted[:2] in seen:
                    continue
                seen.add(accepted[:2])
                results.append(self._result(scan, *accepted, pattern_name=spec.name))
        for start, end, score in self.extra_candidates(text, nlp_artifacts):
            if (start, end) not in seen:
                seen.add((start, end))
                results.append(self._result(scan, start, end, score, pattern_name="tokens"))
        return [r for r in results if r.score > 0.0]

    # --- internals --------------------------------------------------------------------------------

    def _accept(self, text: str, span: tuple[int, int], score: float) -> tuple[int, int, float] | None:
        for start, end in self._candidates(text, span):
            verdict = self.validate(text[start:end])
            if verdict is None:
                return start, end, score
            if verdict:
                return start, end, self.VALIDATED_SCORE
            if not self.SPLIT_ON_FAILURE:
                return None
        return None

    def _candidates(self, text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
        """The span itself, then (when splitting) every run of whole separator-delimited groups."""
        if not self.SPLIT_ON_FAILURE:
            return [span]
        groups: list[tuple[int, int]] = []
        start = None
        for i in range(span[0], span[1] + 1):
            if i < span[1] and text[i] not in SEPARATORS:
                if start is None:
                    start = i
            elif start is not None:
                groups.append((start, i))
                start = None
        runs = [(groups[a][0], groups[b][1]) for a in range(len(groups)) for b in range(a, len(groups))]
        runs.sort(key=lambda r: (-(r[1] - r[0]), r[0]))
        return runs

    def _result(
        self, scan: str, start: int, end: int, score: float, *, pattern_name: str
    ) -> RecognizerResult:
        score = min(1.0, score * self._scale)
        cue = self._nearest_cue(scan, start, end)
        if cue > 0:
            score = min(1.0, score + self.CONTEXT_BOOST)
        elif cue < 0:
            score = max(0.0, score - self.NEGATIVE_PENALTY)
        explanation = AnalysisExplanation(
            recognizer=self._label,
            original_score=score,
            pattern_name=pattern_name,
            textual_explanation=f"{self._label}/{pattern_name}",
        )
        return RecognizerResult(
            entity_type=self.ENTITY,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self._label,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
                "priority": self.PRIORITY,
            },
        )

    def _nearest_cue(self, scan: str, start: int, end: int) -> int:
        """+1 if the nearest cue word is positive, -1 if negative, 0 if none in the window."""
        if not self._cues and not self._negative:
            return 0
        before = scan[max(0, start - self.CONTEXT_WINDOW) : start]
        after = scan[end : end + self.CONTEXT_AFTER]
        if self.CUE_AFTER_IN_CLAUSE:
            cut = min((i for i in (after.find(c) for c in _CLAUSE_ENDS) if i >= 0), default=len(after))
            after = after[:cut]
        # A veto word counts only in the match's own clause: "...的余额，帮我查一下6222..." is not about a
        # balance. A supporting cue may sit in the clause before ("卡号，6222...").
        clause = max(before.rfind(c) for c in _CLAUSE_ENDS) + 1
        best_dist, best_sign = 1 << 30, 0
        for words, sign in ((self._cues, 1), (self._negative, -1)):
            for w in words:
                i = before.rfind(w)
                if i >= 0 and (sign > 0 or i >= clause):
                    dist = len(before) - (i + len(w))
                    if dist < best_dist or (dist == best_dist and sign < 0):
                        best_dist, best_sign = dist, sign
                # A cue after ("...8000是我的手机") supports, at lower rank than one before; a negative
                # word after does not veto ("...这张卡的余额" is about the card).
                j = after.find(w) if sign > 0 else -1
                if j >= 0 and j + self.CONTEXT_WINDOW < best_dist:
                    best_dist, best_sign = j + self.CONTEXT_WINDOW, sign
        return best_sign

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = super().to_dict()
        out["patterns"] = [{"name": p.name, "regex": p.regex, "score": p.score} for p in self.PATTERNS]
        return out
