"""Errors of the privacy layer: one base, each with a stable ``code`` (the app maps codes onto HTTP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from privacy.types import ScanReport


class PrivacyError(Exception):
    code = "privacy_error"


class VaultUnavailable(PrivacyError):
    """The vault store cannot be read or written (e.g. Redis down). Never fall back to clear text."""

    code = "vault_unavailable"


class VaultCorrupt(PrivacyError):
    """A stored vault failed to decrypt or parse (wrong key, tampering)."""

    code = "vault_corrupt"


class VaultConflict(PrivacyError):
    """Another writer saved this conversation's vault since it was loaded; reload, re-mask and retry."""

    code = "vault_conflict"


class DocumentHasPII(PrivacyError):
    """Ingestion policy is 'reject' and the document contains PII. ``report`` says what and where."""

    code = "document_has_pii"

    def __init__(self, message: str, report: ScanReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class UnknownPlaceholder(PrivacyError):
    """A reveal asked for a placeholder that is not in this conversation's vault."""

    code = "unknown_placeholder"


class MaskerNotReady(PrivacyError):
    """``analyze``/``mask`` was called before ``warm_up()`` loaded the engines."""

    code = "masker_not_ready"


class RecognizerConfigError(PrivacyError):
    """The recognizer YAML or a recognizer declaration is invalid (unknown name, bad pattern...)."""

    code = "recognizer_config_error"
