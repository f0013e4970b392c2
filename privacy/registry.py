"""The YAML recognizer registry: which recognizers run, for which languages, with which overrides.

``load_registry_spec(path)`` parses and validates the file (unknown names, languages or keys fail loudly
with the entry's position); ``build_recognizers(spec, languages, ...)`` instantiates them, one instance per
language, ready for a Presidio ``RecognizerRegistry``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from privacy.errors import RecognizerConfigError
from privacy.recognizers import CATALOGUE, DeclarativeRecognizer

SUPPORTED_LANGUAGES = ("zh", "en")
PRESIDIO_PREFIX = "presidio:"


class RecognizerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    languages: list[str] = Field(min_length=1)
    enabled: bool = True
    context: list[str] | None = None
    negative_context: list[str] | None = None
    score_scale: float | None = Field(default=None, gt=0.0, le=1.5)
    params: dict[str, Any] = Field(default_factory=dict)


class RegistrySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    entities: list[str] = Field(min_length=1)
    recognizers: list[RecognizerEntry] = Field(min_length=1)


def default_registry_path() -> Path:
    """The registry shipped in the package (``privacy/recognizers.yaml``)."""
    return Path(str(resources.files("privacy").joinpath("recognizers.yaml")))


def load_registry_spec(path: Path | None = None) -> RegistrySpec:
    path = path or default_registry_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RecognizerConfigError(f"cannot read recognizer registry {path}: {exc}") from exc
    try:
        spec = RegistrySpec.model_validate(raw)
    except ValidationError as exc:
        raise RecognizerConfigError(f"invalid recognizer registry {path}: {exc}") from exc
    for i, entry in enumerate(spec.recognizers):
        where = f"{path}: recognizers[{i}] ({entry.name})"
        if not entry.name.startswith(PRESIDIO_PREFIX) and entry.name not in CATALOGUE:
            raise RecognizerConfigError(f"{where}: unknown recognizer; known: {sorted(CATALOGUE)}")
        bad = set(entry.languages) - set(SUPPORTED_LANGUAGES)
        if bad:
            raise RecognizerConfigError(f"{where}: unsupported languages {sorted(bad)}")
        declarative = _is_declarative(entry.name)
        if entry.params and declarative:
            raise RecognizerConfigError(f"{where}: params are for intl_phone / presidio:* entries only")
        if not declarative and (entry.context or entry.negative_context or entry.score_scale):
            raise RecognizerConfigError(f"{where}: context / score_scale apply to kefu recognizers only")
    return spec


def build_recognizers(
    spec: RegistrySpec,
    languages: Sequence[str],
    *,
    resources_: Mapping[str, object] | None = None,
    nlp_entities: Sequence[str] = (),
) -> list[Any]:
    """Instances for every enabled entry and each of its languages that is in ``languages``.

    ``resources_`` holds what recognizers declare in ``NEEDS`` (e.g. ``word_tags``); ``nlp_entities``
    are the entity names the NLP engine produces (for ``presidio:SpacyRecognizer``).
    """
    out: list[Any] = []
    shared = dict(resources_ or {})
    for entry in spec.recognizers:
        if not entry.enabled:
            continue
        for lang in entry.languages:
            if lang in languages:
                out.append(_instantiate(entry, lang, shared, nlp_entities))
    return out


def _is_declarative(name: str) -> bool:
    cls = CATALOGUE.get(name)
    return cls is not None and issubclass(cls, DeclarativeRecognizer)


def _instantiate(
    entry: RecognizerEntry, lang: str, shared: dict[str, object], nlp_entities: Sequence[str]
) -> Any:
    where = f"recognizer {entry.name} ({lang})"
    if entry.name.startswith(PRESIDIO_PREFIX):
        from presidio_analyzer import predefined_recognizers

        cls = getattr(predefined_recognizers, entry.name[len(PRESIDIO_PREFIX) :], None)
        if cls is None:
            raise RecognizerConfigError(f"{where}: no such Presidio recognizer")
        params = dict(entry.params)
        if entry.name == PRESIDIO_PREFIX + "SpacyRecognizer" and nlp_entities:
            params.setdefault("supported_entities", list(nlp_entities))
        try:
            return cls(supported_language=lang, **params)
        except TypeError as exc:
            raise RecognizerConfigError(f"{where}: {exc}") from exc
    cls = CATALOGUE[entry.name]
    if not issubclass(cls, DeclarativeRecognizer):
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.params.items()}
        try:
            return cls(language=lang, **params)
        except TypeError as exc:
            raise RecognizerConfigError(f"{where}: {exc}") from exc
    kwargs: dict[str, Any] = {"language": lang}
    if entry.context is not None:
        kwargs["context"] = entry.context
    if entry.negative_context is not None:
        kwargs["negative_context"] = entry.negative_context
    if entry.score_scale is not None:
        kwargs["score_scale"] = entry.score_scale
    for need in cls.NEEDS:
        if need not in shared:
            raise RecognizerConfigError(f"{where}: needs the shared resource {need!r}")
        kwargs[need] = shared[need]
    return cls(**kwargs)
