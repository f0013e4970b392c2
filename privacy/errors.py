"""Errors of the privacy layer."""

from __future__ import annotations


class PrivacyError(Exception):
    code = "privacy_error"


class VaultUnavailable(PrivacyError):
    """The vault store cannot be read or written (e.g. Redis down). Never fall back to clear text."""

    code = "vault_unavailable"


class VaultCorrupt(PrivacyError):
    """A stored vault failed to decrypt or parse (wrong key, tampering)."""

    code = "vault_corrupt"


class DocumentHasPII(PrivacyError):
    """Ingestion policy is 'reject' and the document contains PII."""

    code = "document_has_pii"
