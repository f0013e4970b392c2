"""The widget's AI disclosure: before the customer writes, the widget says it is an AI assistant and how
to reach a person, in the tenant's words (``tenants.settings["disclosure"]``, zh/en; the deployment's
``COMPLIANCE__DISCLOSURE__*`` otherwise). Public like the widget start: the tenant's widget key, from one
of its allowed origins."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request

from app.auth.service import widget_key_for
from app.compliance import policies
from app.deps import ContainerDep, SessionDep
from app.schemas.compliance import WidgetDisclosure

router = APIRouter(prefix="/chat", tags=["chat"])


@router.get("/disclosure", response_model=WidgetDisclosure)
async def disclosure(
    request: Request,
    session: SessionDep,
    container: ContainerDep,
    x_widget_key: Annotated[str, Header(min_length=1, max_length=64)],
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> WidgetDisclosure:
    """401 ``unauthenticated`` for an unknown or disabled key, 403 ``origin_not_allowed`` from another site."""
    origin = request.headers.get("origin")
    key = await widget_key_for(session, public_key=x_widget_key, origin=origin)
    if origin:
        request.state.cors_origin = origin
    text = await policies.disclosure(container, tenant_id=key.tenant_id)
    return WidgetDisclosure(lang=lang, text=text.text(lang))
