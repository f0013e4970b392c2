"""The customer writes again after a handoff, before an agent has joined (``dialog.policy``:
``awaiting_agent``): the notice says a person is coming and, where the queue knows it, how many customers
are ahead. The turn puts a clear knowledge-base answer to the new question before it."""

from __future__ import annotations

import dataclasses

from app.container import Container
from app.db import crud_agent_desk
from dialog.messages import canned
from dialog.protocols import Decision


async def notice(
    container: Container, tenant_id: str, conversation_id: str, decision: Decision, lang: str
) -> Decision:
    """``decision`` with the queue position in its message, when other customers wait ahead of this one
    (the tenant's own wording of ``handoff:awaiting_agent:position`` when it has one)."""
    async with container.sessions() as session:
        ahead = await crud_agent_desk.waiting_ahead(
            session, tenant_id=tenant_id, conversation_id=conversation_id
        )
    if not ahead:
        return decision
    overrides = container.settings.dialog.policy.messages
    message = canned("handoff:awaiting_agent:position", lang, overrides, ahead=str(ahead))
    return dataclasses.replace(decision, message=message)
