"""Audit data, as plain values the app persists (audit events) and logs (structured fields).

Nothing here ever carries a PII value: only entity types, counts, placeholders, decisions and timings.
``reveal`` is the one place a value leaves the vault for a person other than the customer; it returns the
value together with the audit event that must be written with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from privacy.errors import UnknownPlaceholder
from privacy.placeholders import STRICT, entity_type_of
from privacy.types import MaskResult, OutputCheck, RevealEvent, TurnAudit, VaultState


def turn_audit(
    masked: MaskResult | None,
    output: OutputCheck | None,
    *,
    mask_ms: float = 0.0,
    check_ms: float = 0.0,
) -> TurnAudit:
    """Summarise one turn: what was masked in the message, leaked and restored in the reply."""
    input_counts = masked.counts() if masked else {}
    leaked = dict(output.leaked) if output else {}
    restored = dict(output.restored_counts) if output else {}
    decisions = []
    if input_counts:
        decisions.append("input_masked")
    if leaked:
        decisions.append("output_leak_masked")
    if restored:
        decisions.append("output_restored")
    return TurnAudit(
        input_counts=input_counts,
        output_leaked=leaked,
        output_restored=restored,
        decisions=tuple(decisions) or ("clean",),
        mask_ms=round(mask_ms, 2),
        check_ms=round(check_ms, 2),
    )


def log_fields(audit: TurnAudit) -> dict[str, Any]:
    """Flat structured-log fields (``logger.info("turn", extra=log_fields(a))``)."""
    return {
        "pii_input_total": sum(audit.input_counts.values()),
        "pii_input_types": dict(sorted(audit.input_counts.items())),
        "pii_leaked_total": sum(audit.output_leaked.values()),
        "pii_leaked_types": dict(sorted(audit.output_leaked.items())),
        "pii_restored_total": sum(audit.output_restored.values()),
        "pii_decisions": list(audit.decisions),
        "pii_mask_ms": audit.mask_ms,
        "pii_check_ms": audit.check_ms,
    }


def audit_event(audit: TurnAudit) -> dict[str, Any]:
    """JSON-serialisable payload of a ``privacy.turn`` audit event."""
    return {
        "kind": "privacy.turn",
        "input_counts": dict(audit.input_counts),
        "output_leaked": dict(audit.output_leaked),
        "output_restored": dict(audit.output_restored),
        "decisions": list(audit.decisions),
        "mask_ms": audit.mask_ms,
        "check_ms": audit.check_ms,
    }


def reveal(
    vault: VaultState,
    placeholder: str,
    *,
    actor: str,
    conversation_id: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> tuple[str, RevealEvent]:
    """The value behind ``placeholder`` and the audit event recording who revealed it.

    The caller has already checked the actor's permission; it must persist the event before showing
    the value. Raises ``UnknownPlaceholder`` if the placeholder is not this conversation's.
    """
    if not actor:
        raise ValueError("a reveal needs the actor's identity")
    if STRICT.fullmatch(placeholder) is None or placeholder not in vault.by_placeholder:
        raise UnknownPlaceholder("no such placeholder in this conversation")
    event = RevealEvent(
        actor=actor,
        conversation_id=conversation_id,
        placeholder=placeholder,
        entity_type=entity_type_of(placeholder),
        at=now or dt.datetime.now(dt.UTC),
        reason=reason[:200],
    )
    return vault.by_placeholder[placeholder], event


def reveal_event(event: RevealEvent) -> dict[str, Any]:
    """JSON-serialisable payload of a ``privacy.reveal`` audit event (no value)."""
    return {
        "kind": "privacy.reveal",
        "actor": event.actor,
        "conversation_id": event.conversation_id,
        "placeholder": event.placeholder,
        "entity_type": event.entity_type,
        "at": event.at.isoformat(),
        "reason": event.reason,
    }
