"""The steps of a conversation's actions as the agent console shows them, from the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.schemas.agent import ActionStepPublic

_STEP = {
    "customer_verified": "verified",
    "action_requested": "requested",
    "action_confirm_asked": "read_back",
    "action_confirmed": "confirmed",
    "action_cancelled": "cancelled",
    "action_finished": "finished",
}


def action_steps(rows: list[tuple[int, str, dict[str, Any], datetime]]) -> list[ActionStepPublic]:
    out: list[ActionStepPublic] = []
    customer, current = "", ""
    for seq, kind, payload, at in rows:
        if kind == "customer_verified":
            customer = f"customer:{payload.get('customer_id', '')}"
        current = str(payload.get("name", current))
        detail = {
            "action_confirm_asked": ", ".join(f"{k}={v}" for k, v in (payload.get("args") or {}).items()),
            "action_cancelled": str(payload.get("reason", "")),
            "action_finished": str(payload.get("outcome", "")),
        }.get(kind, "")
        by = (
            customer
            if kind in ("customer_verified", "action_requested", "action_confirmed", "action_cancelled")
            else ""
        )
        action = "" if kind == "customer_verified" else current
        out.append(ActionStepPublic(seq=seq, step=_STEP[kind], action=action, detail=detail, by=by, at=at))
    return out
