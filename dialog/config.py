"""Configuration of the dialog layer (nested under ``Settings.dialog``; env ``DIALOG__*``).

``PolicyConfig`` is also the per-tenant policy: the app stores a tenant's overrides (JSON) and validates
them with ``PolicyConfig.model_validate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PolicyConfig(BaseModel):
    """When to answer, ask, say "I don't know" or hand off. Every trigger can be switched per tenant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    handoff_on_explicit_request: bool = True  # 转人工, 人工客服, "human", "agent"
    handoff_on_urgent_topic: bool = True  # handoff intents; lost/stolen card, fraud, complaint
    handoff_on_frustration: bool = True
    handoff_on_repeated_failure: bool = True
    handoff_on_llm_unavailable: bool = True
    # One message at least this frustrated hands off ...
    frustration_threshold: float = Field(default=0.75, ge=0.0, le=1.0)
    # ... or frustration rising over the last ``frustration_rising_turns`` messages, ending at least here.
    frustration_rising_floor: float = Field(default=0.4, ge=0.0, le=1.0)
    frustration_rising_turns: int = Field(default=3, ge=2, le=10)
    # N consecutive turns without a good retrieval (this one included) hand off; before that, "I don't know".
    max_failed_retrievals: int = Field(default=2, ge=1, le=20)
    # Ask for an intent's missing required slots before answering (each slot at most once in a row).
    require_slots: bool = True
    # An out-of-scope intent this confident overrides a retrieval that looks good ...
    out_of_scope_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    # ... but not one that clearly answers (``RetrievalSignal.clear``): the evidence decides, unless the
    # message tries to instruct the assistant (``dialog.injection``).
    evidence_gate: bool = True
    supported_languages: tuple[str, ...] = ("zh", "en")
    smalltalk_intents: tuple[str, ...] = ("greeting", "thanks", "goodbye")
    # Scope checks on the retrieved passages (``dialog.scope``): a question about another bank or payment
    # firm the KB never mentions -> ``other_institution``; about a product line (loans, insurance, funds,
    # ...) no passage mentions -> ``not_covered``.
    institution_check: bool = True
    product_line_check: bool = True
    # The tenant's own names and aliases (besides the KB's own: see ``dialog.scope.names_own_bank``) and
    # how the messages name it ({"zh": "海港银行", "en": "Harbor Bank"}; default "本行" / "our bank").
    own_names: tuple[str, ...] = ()
    bank_name: dict[str, str] = Field(default_factory=dict)
    # More institutions to recognise: name -> aliases (e.g. local banks of the tenant's region).
    other_institutions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # Canned-message overrides: {"dont_know": {"zh": "...", "en": "..."}, "clarify:card_type": {...}}
    messages: dict[str, dict[str, str]] = Field(default_factory=dict)


class DialogConfig(BaseModel):
    """Tracker, policy and store knobs. Per-tenant overrides (intents, policy) live in the database."""

    state_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    history_turns: int = Field(default=6, ge=0, le=50)
    # Kept for compatibility; when set it overrides ``policy.max_failed_retrievals``.
    max_failed_retrievals: int | None = Field(default=None, ge=1)
    intent_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    intents_path: Path = Path("data/demo_intents.yaml")  # the demo tenant's intent set
    default_lang: Literal["zh", "en"] = "zh"  # when a message carries no language evidence at all
    tracker: Literal["local", "llm"] = "local"  # "llm": ask the model for the state update (JSON schema)
    llm_tracker_timeout_s: float = Field(default=8.0, gt=0)
    policy: PolicyConfig = PolicyConfig()

    @model_validator(mode="after")
    def _sync_failed_retrievals(self) -> DialogConfig:
        if self.max_failed_retrievals is not None:
            self.policy = self.policy.model_copy(update={"max_failed_retrievals": self.max_failed_retrievals})
        return self
