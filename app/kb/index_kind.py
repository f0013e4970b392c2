"""A tenant's dense index kind: ``tenants.settings["index_kind"]`` (``auto``, ``flat``, ``hnsw``, ``ivfpq``).

Absent or ``auto``: the kind follows the KB's size (``retrieval.index.choice``). A value that is not a
known kind is ignored with a warning (the build must not fail over a typo in a setting).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import crud_tenancy
from retrieval.index.choice import INDEX_KIND_SETTINGS

SETTING = "index_kind"
logger = logging.getLogger(__name__)


def index_kind_setting(tenant_settings: Mapping[str, Any] | None) -> str | None:
    value = (tenant_settings or {}).get(SETTING)
    if value is None:
        return None
    if value not in INDEX_KIND_SETTINGS:
        logger.warning("ignoring tenants.settings[%r] = %r; known: %s", SETTING, value, INDEX_KIND_SETTINGS)
        return None
    return str(value)


async def tenant_index_kind(session: AsyncSession, tenant_id: str) -> str | None:
    tenant = await crud_tenancy.get_tenant(session, tenant_id=tenant_id)
    return index_kind_setting(tenant.settings if tenant is not None else None)
