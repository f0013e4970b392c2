"""``PresidioMasker``: the real ``PiiMasker`` (Presidio analyzer + anonymizer, kefu recognizers, vault).

Lifecycle: construct with the config (cheap, validates), call ``warm_up()`` once at start-up (loads spaCy,
jieba and the recognizers, runs one message per language), then call the sync methods from a worker thread
(``asyncio.to_thread``): they are CPU-bound. Calls are serialised by a lock, since one spaCy pipeline is
shared; on this 2-vCPU machine that costs nothing measurable.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privacy.config import PrivacyConfig
from privacy.errors import MaskerNotReady
from privacy.language import detect_languages, fold_width
from privacy.merge import Candidate, resolve_overlaps
from privacy.placeholders import (
    ANY_MARKER,
    TOLERANT,
    output_check,
    placeholder_for,
    redaction,
    unmask,
)
from privacy.registry import RegistrySpec, load_registry_spec
from privacy.types import Finding, MaskResult, OutputCheck, VaultState

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine
    from presidio_anonymizer import AnonymizerEngine

    from privacy.stream import SentenceStreamGuard

logger = logging.getLogger(__name__)

_WARM_TEXT = {
    "zh": "您好，我叫张三，手机13800138000，住在北京市朝阳区建国路88号。",
    "en": "Hi, my name is John Smith, call me at +1 415-555-0100.",
}
_ALLOW_SEPARATORS = str.maketrans("", "", " -.()\u3000\u00a0")
_NER_TYPES = frozenset({"PERSON", "LOCATION"})  # all that privacy.engine maps spaCy's labels to
_CITATION_MARK = re.compile(r"\[\d{1,3}\]")


# Everyday words of banking questions that are also given names, which spaCy's English NER takes for a
# PERSON in lower-case text ("whats the max late fee"): such a finding is not kept unless a name cue comes
# just before it ("my name is max", "i'm will").
_WORDS_NOT_NAMES = frozenset(
    ["max", "min", "bill", "will", "mark", "grant", "chase", "penny", "frank", "cash", "sterling", "rich",
     "pat", "art", "ray", "rob", "jack", "may", "june", "april", "august", "summer", "hope", "faith", "joy"]
)  # fmt: skip
_NAME_CUE = re.compile(
    r"(?:name\s+is|name's|i\s*'?\s*m|i\s+am|this\s+is|called|mr|mrs|ms|miss|dr|dear|hi|hello)\W*$",
    re.IGNORECASE,
)


def _word_not_name(text: str, start: int, end: int) -> bool:
    span = text[start:end]
    return (
        span.islower() and span in _WORDS_NOT_NAMES and not _NAME_CUE.search(text[max(0, start - 20) : start])
    )


def _allow_key(value: str) -> str:
    return fold_width(value).translate(_ALLOW_SEPARATORS).lower()


class PresidioMasker:
    """Detects and reversibly masks PII; implements ``privacy.protocols.PiiMasker``.

    ``config`` chooses languages, threshold, registry file and allow-list; ``data_dir`` is where the
    blank Chinese pipeline is saved at warm-up (``<data_dir>/privacy/spacy_zh_jieba``).
    """

    def __init__(self, config: PrivacyConfig, data_dir: Path, *, spec: RegistrySpec | None = None) -> None:
        if not isinstance(config, PrivacyConfig):
            raise TypeError("config must be a privacy.config.PrivacyConfig")
        self._config = config
        self._data_dir = Path(data_dir)
        self._spec = spec
        self._languages = tuple(dict.fromkeys(config.languages))
        self._allow = frozenset(_allow_key(v) for v in config.allow_list)
        self._lock = threading.Lock()
        self._analyzer: AnalyzerEngine | None = None
        self._anonymizer: AnonymizerEngine | None = None
        self._entities: list[str] = []
        # check_output's findings by a digest of (lang, quoted, text): never the text itself
        self._memo: OrderedDict[bytes, tuple[Finding, ...]] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.memo_hits = 0

    # --- lifecycle --------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._analyzer is not None

    @property
    def languages(self) -> tuple[str, ...]:
        return self._languages

    @property
    def entities(self) -> tuple[str, ...]:
        """The entity types this masker reports (from the registry file)."""
        return tuple(self._entities)

    def warm_up(self) -> None:
        """Load engines and recognizers (seconds); idempotent. Raises ``RecognizerConfigError`` on a bad
        registry file."""
        if self._analyzer is not None:
            return
        from presidio_anonymizer import AnonymizerEngine

        from privacy.engine import build_analyzer

        started = time.perf_counter()
        spec = self._spec or load_registry_spec(self._config.recognizers_file)
        analyzer = build_analyzer(
            spec,
            self._languages,
            self._data_dir,
            en_model=self._config.en_model,
            score_threshold=self._config.score_threshold,
        )
        self._entities = list(spec.entities)
        self._anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
        self._analyzer = analyzer
        for lang in self._languages:
            self.analyze(_WARM_TEXT[lang], lang)
        logger.info(
            "privacy masker ready",
            extra={"languages": list(self._languages), "warm_up_s": round(time.perf_counter() - started, 2)},
        )

    # --- PiiMasker --------------------------------------------------------------------------------

    def analyze(self, text: str, lang: str | None = None, *, ner: bool = True) -> list[Finding]:
        """Findings sorted by start, non-overlapping. ``lang`` None: detected (mixed text: both).
        ``ner=False``: without the statistical NER (spaCy's names and places); every recognizer of the
        registry still runs."""
        analyzer = self._require()
        if not text:
            return []
        folded = fold_width(text)
        langs = (lang,) if lang in self._languages else detect_languages(folded, self._languages)
        skip = [m.span() for m in ANY_MARKER.finditer(folded)] + [m.span() for m in TOLERANT.finditer(folded)]
        candidates: list[Candidate] = []
        with self._lock:
            for language in langs:
                without_ner = getattr(analyzer.nlp_engine, "process_text_without_ner", None)
                artifacts = without_ner(folded, language) if not ner and without_ner is not None else None
                found = analyzer.analyze(
                    folded, language=language, entities=self._entities, nlp_artifacts=artifacts
                )
                for r in found:
                    c = self._candidate(folded, r, language, len(langs) > 1)
                    if c is not None:
                        candidates.append(c)
        kept = [
            c
            for c in candidates
            if not any(c.start < e and s < c.end for s, e in skip)
            and _allow_key(folded[c.start : c.end]) not in self._allow
            and not (c.entity_type == "PERSON" and _word_not_name(folded, c.start, c.end))
        ]
        return [Finding(c.entity_type, c.start, c.end, round(c.score, 3)) for c in resolve_overlaps(kept)]

    def mask(self, text: str, vault: VaultState, lang: str | None = None) -> MaskResult:
        """Replace each finding with the conversation's placeholder (new values are added to ``vault``)."""
        findings = self.analyze(text, lang)
        masked: list[Finding] = []
        for f in findings:  # allocate left to right, so the first phone in a message is _1
            ph = placeholder_for(vault, f.entity_type, text[f.start : f.end])
            masked.append(Finding(f.entity_type, f.start, f.end, f.score, ph))
        return MaskResult(self._replace(text, masked), masked)

    def redact(self, text: str, lang: str | None = None) -> MaskResult:
        """Irreversible masking with ``<TYPE>`` markers (documents, logs): no vault, nothing to restore."""
        findings = [
            Finding(f.entity_type, f.start, f.end, f.score, redaction(f.entity_type))
            for f in self.analyze(text, lang)
        ]
        return MaskResult(self._replace(text, findings), findings)

    def unmask(self, text: str, vault: VaultState) -> str:
        """Restore this conversation's placeholders only; unknown ones and ``<TYPE>`` markers stay."""
        return unmask(text, vault)[0]

    def check_output(
        self, text: str, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> OutputCheck:
        """Scan a model output: this conversation's placeholders are kept (``masked``) and restored
        (``restored``); any other PII is replaced by ``<TYPE>`` in both and counted in ``leaked`` -
        except a name or place (``ingestion_skip_types``) found verbatim in ``allowed_text`` (the KB
        passages the answer was built from), which stays as the bank wrote it.

        Two shortcuts that change no outcome: text quoted verbatim from ``allowed_text`` (citation marks
        aside) is analysed without the statistical NER, whose only types are names and places, which such
        text keeps anyway; and the findings of the last ``output_memo_size`` texts are remembered (by a
        digest, not the text): the same text gives the same findings."""
        return output_check(
            text,
            vault,
            self._output_findings(
                text, lang, quoted=self._ner_kept(allowed_text) and _quoted(text, allowed_text)
            ),
            allowed_text=allowed_text,
            allowed_types=self._config.ingestion_skip_types,
        )

    def stream_guard(
        self, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> SentenceStreamGuard:
        from privacy.stream import SentenceStreamGuard

        return SentenceStreamGuard(
            self,
            vault,
            lang,
            allowed_text=allowed_text,
            soft_chars=self._config.stream_soft_chars,
            max_chars=self._config.stream_max_chars,
        )

    # --- internals --------------------------------------------------------------------------------

    def _ner_kept(self, allowed_text: Sequence[str]) -> bool:
        """Whether ``check_output`` keeps every NER type (names, places) quoted from ``allowed_text``."""
        return bool(allowed_text) and set(self._config.ingestion_skip_types) >= _NER_TYPES

    def _output_findings(self, text: str, lang: str | None, *, quoted: bool) -> list[Finding]:
        size = self._config.output_memo_size
        if size <= 0:
            return self.analyze(text, lang, ner=not quoted)
        key = hashlib.blake2b(f"{lang}\0{int(quoted)}\0{text}".encode(), digest_size=16).digest()
        with self._memo_lock:
            known = self._memo.get(key)
            if known is not None:
                self._memo.move_to_end(key)
                self.memo_hits += 1
                return list(known)
        findings = self.analyze(text, lang, ner=not quoted)
        with self._memo_lock:
            self._memo[key] = tuple(findings)
            while len(self._memo) > size:
                self._memo.popitem(last=False)
        return findings

    def _require(self) -> AnalyzerEngine:
        if self._analyzer is None:
            raise MaskerNotReady("PresidioMasker.warm_up() has not run")
        return self._analyzer

    @staticmethod
    def _candidate(text: str, result: Any, language: str, mixed: bool) -> Candidate | None:
        meta = result.recognition_metadata or {}
        name = str(meta.get("recognizer_name", ""))
        # The English NER reads Chinese characters as noise: in mixed text keep only its Latin spans.
        if (
            mixed
            and language == "en"
            and name == "SpacyRecognizer"
            and any("\u3400" <= ch <= "\u9fff" for ch in text[result.start : result.end])
        ):
            return None
        span = text[result.start : result.end]
        start = result.start + (len(span) - len(span.lstrip()))
        end = result.end - (len(span) - len(span.rstrip()))
        if end <= start:
            return None
        return Candidate(result.entity_type, start, end, float(result.score), int(meta.get("priority", 50)))

    def _replace(self, text: str, findings: list[Finding]) -> str:
        if not findings:
            return text
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        assert self._anonymizer is not None
        by_span = {(f.start, f.end): f.placeholder or redaction(f.entity_type) for f in findings}
        results, operators = [], {}
        for i, f in enumerate(findings):
            # One pseudo entity type per finding: the custom operator then knows exactly what to write.
            key = f"F{i}"
            results.append(RecognizerResult(entity_type=key, start=f.start, end=f.end, score=f.score))
            repl = by_span[(f.start, f.end)]
            operators[key] = OperatorConfig("custom", {"lambda": lambda _value, r=repl: r})
        out = self._anonymizer.anonymize(
            text=text, analyzer_results=results, operators=operators, merge_entities_with_spaces=False
        )
        return str(out.text)


def _quoted(text: str, allowed_text: Sequence[str]) -> bool:
    """Whether every piece of ``text`` between citation marks occurs verbatim in one of ``allowed_text``
    (citation marks alone, as streamed after an answer's last sentence, count). Then a name or place the
    NER could find in it is one ``output_check`` keeps as the bank wrote it."""
    if not allowed_text:
        return False
    pieces = [p.strip() for p in _CITATION_MARK.split(text)]
    return all(any(p in t for t in allowed_text) for p in pieces if p)
