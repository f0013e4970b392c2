"""Which role an IdP's claims give (a pure decision, made once per sign-in and per re-check)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["admin", "agent"]


@dataclass(frozen=True, slots=True)
class RoleDecision:
    role: Role | None
    reason: Literal["mapped", "claim_missing", "no_mapped_value"]
    values: tuple[str, ...]  # the claim's values (group names), for the audit trail


def decide_role(claims: Mapping[str, Any], *, claim: str, role_map: Mapping[str, str]) -> RoleDecision:
    """The role mapped from ``claims[claim]`` (a string or a list of strings): admin when any value maps
    to admin, else agent when any maps to agent, else none (the sign-in is refused)."""
    raw = claims.get(claim)
    if raw is None:
        return RoleDecision(None, "claim_missing", ())
    values = tuple(str(v) for v in (raw if isinstance(raw, list) else [raw]))
    mapped = {role_map.get(v) for v in values}
    if "admin" in mapped:
        return RoleDecision("admin", "mapped", values)
    if "agent" in mapped:
        return RoleDecision("agent", "mapped", values)
    return RoleDecision(None, "no_mapped_value", values)
