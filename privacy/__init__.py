"""Privacy layer: PII detection and reversible masking (Presidio + kefu recognizers), the encrypted
per-conversation vault, output and streaming checks, ingestion scans and audit data.

Importing ``privacy`` is cheap; engines load in ``build_masker(...).warm_up()``. Wiring, in the app::

    masker = privacy.build_masker(settings.privacy, settings.data_dir)
    masker.warm_up()                                   # lifespan start-up
    vaults = privacy.build_vault_store(settings.privacy, settings.vault_key.get_secret_value(), redis=r)
    result, vault = await privacy.mask_message(masker, vaults, conversation_id, text)
    guard = masker.stream_guard(vault)                 # per streamed reply: feed() / finish()
"""

from __future__ import annotations

from privacy.audit import audit_event, log_fields, reveal, reveal_event, turn_audit
from privacy.config import PrivacyConfig
from privacy.errors import (
    DocumentHasPII,
    MaskerNotReady,
    PrivacyError,
    RecognizerConfigError,
    UnknownPlaceholder,
    VaultConflict,
    VaultCorrupt,
    VaultUnavailable,
)
from privacy.factory import build_masker, build_vault_store
from privacy.ingestion import scan_document
from privacy.protocols import PiiMasker, StreamGuard, VaultStore
from privacy.session import check_reply, mask_message
from privacy.types import (
    Finding,
    MaskResult,
    OutputCheck,
    PiiLocation,
    RevealEvent,
    ScanReport,
    TurnAudit,
    VaultState,
)

__all__ = [
    "DocumentHasPII",
    "Finding",
    "MaskResult",
    "MaskerNotReady",
    "OutputCheck",
    "PiiLocation",
    "PiiMasker",
    "PrivacyConfig",
    "PrivacyError",
    "RecognizerConfigError",
    "RevealEvent",
    "ScanReport",
    "StreamGuard",
    "TurnAudit",
    "UnknownPlaceholder",
    "VaultConflict",
    "VaultCorrupt",
    "VaultState",
    "VaultStore",
    "VaultUnavailable",
    "audit_event",
    "build_masker",
    "build_vault_store",
    "check_reply",
    "log_fields",
    "mask_message",
    "reveal",
    "reveal_event",
    "scan_document",
    "turn_audit",
]
