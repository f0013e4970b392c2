"""Admin routes of the tenant's bank connection (``GET/PUT/PATCH /admin/bank-connection``): the bank API and
SMS gateway its actions call, the secret they carry, the customer-token keys. Admins only; the secret and
the HS256 key go in and never come out; every change audited (``app.actions.bank_settings``)."""

from __future__ import annotations

from fastapi import APIRouter

from app.actions import bank_settings
from app.deps import AdminDep, SessionDep, SettingsDep
from app.schemas.admin_actions import BankConnectionCreate, BankConnectionPublic, BankConnectionUpdate

router = APIRouter(prefix="/admin", tags=["admin: actions"])


@router.get("/bank-connection", response_model=BankConnectionPublic)
async def get_bank_connection(admin: AdminDep, session: SessionDep) -> BankConnectionPublic:
    """404 ``not_found`` until it is set."""
    return await bank_settings.get(session, tenant_id=admin.tenant_id)


@router.put("/bank-connection", response_model=BankConnectionPublic)
async def put_bank_connection(
    body: BankConnectionCreate, admin: AdminDep, session: SessionDep, settings: SettingsDep
) -> BankConnectionPublic:
    """Set or replace. 422 ``validation_error`` for unreadable public keys (not PEM / JWKS, not RSA,
    under 2048 bits) or a short key."""
    return await bank_settings.configure(
        session, actor=admin, secret_key=settings.secret_key.get_secret_value(), body=body
    )


@router.patch("/bank-connection", response_model=BankConnectionPublic)
async def patch_bank_connection(
    body: BankConnectionUpdate, admin: AdminDep, session: SessionDep, settings: SettingsDep
) -> BankConnectionPublic:
    """Change the fields given (``""`` removes ``token_key`` / ``token_public_keys``); 404 before a PUT."""
    return await bank_settings.update(
        session, actor=admin, secret_key=settings.secret_key.get_secret_value(), body=body
    )
