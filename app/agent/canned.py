"""Canned responses: per-tenant replies an agent inserts in one click (then edits, then sends). Agents read
them; admins write them. ``DEFAULTS`` is a starter set a new tenant can be seeded with."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_audit
from app.auth.service import Principal
from app.db import crud_agent_desk
from app.db.models import CannedResponse
from app.errors import AppError, ErrorCode

MAX_TITLE_CHARS = 120
MAX_TEXT_CHARS = 2000
LANGS = ("", "zh", "en")

# (title, text, lang)
DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("问候", "您好，我是海港银行客服，很高兴为您服务。请问有什么可以帮您？", "zh"),
    (
        "核实身份",
        "为保障您的账户安全，请勿在对话中提供密码或短信验证码。我们需要先核实您的身份，请稍候。",
        "zh",
    ),
    ("请稍候", "好的，我正在为您查询，请稍候片刻。", "zh"),
    ("结束语", "感谢您的耐心，请问还有其他可以帮您的吗？祝您生活愉快！", "zh"),
    ("Greeting", "Hello, this is Harbor Bank customer service. How can I help you today?", "en"),
    (
        "Verify identity",
        "To keep your account safe, please never share your password or one-time codes in this chat. "
        "I need to verify your identity first; one moment please.",
        "en",
    ),
    ("One moment", "Thank you, I am looking into this for you. One moment please.", "en"),
    ("Closing", "Thank you for your patience. Is there anything else I can help you with?", "en"),
)


def _validated(title: str, text: str, lang: str) -> tuple[str, str, str]:
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise AppError(ErrorCode.VALIDATION_ERROR, "a canned response needs a title and a text")
    if len(title) > MAX_TITLE_CHARS or len(text) > MAX_TEXT_CHARS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"title at most {MAX_TITLE_CHARS} characters, text at most {MAX_TEXT_CHARS}",
        )
    if lang not in LANGS:
        raise AppError(ErrorCode.VALIDATION_ERROR, "lang is zh, en or empty (any language)")
    return title, text, lang


async def seed_defaults(session: AsyncSession, *, tenant_id: str) -> int:
    """Add ``DEFAULTS`` to a tenant that has no canned responses yet (flushes, no commit). Returns the count
    added (0 when the tenant has some already)."""
    if await crud_agent_desk.count_canned(session, tenant_id=tenant_id) > 0:
        return 0
    for title, text, lang in DEFAULTS:
        await crud_agent_desk.create_canned(
            session, tenant_id=tenant_id, title=title, text=text, lang=lang, created_by=None
        )
    return len(DEFAULTS)


async def create(
    session: AsyncSession, *, admin: Principal, title: str, text: str, lang: str
) -> CannedResponse:
    title, text, lang = _validated(title, text, lang)
    row = await crud_agent_desk.create_canned(
        session,
        tenant_id=admin.tenant_id,
        title=title,
        text=text,
        lang=lang,
        created_by=admin.actor_id if admin.actor_type == "user" else None,
    )
    await _audit(session, admin, "canned.create", row.id)
    await session.commit()
    return row


async def update(
    session: AsyncSession, *, admin: Principal, canned_id: str, title: str, text: str, lang: str
) -> CannedResponse:
    title, text, lang = _validated(title, text, lang)
    row = await crud_agent_desk.get_canned(session, tenant_id=admin.tenant_id, canned_id=canned_id)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such canned response")
    await crud_agent_desk.update_canned(session, row=row, title=title, text=text, lang=lang)
    await _audit(session, admin, "canned.update", row.id)
    await session.commit()
    return row


async def delete(session: AsyncSession, *, admin: Principal, canned_id: str) -> None:
    row = await crud_agent_desk.get_canned(session, tenant_id=admin.tenant_id, canned_id=canned_id)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such canned response")
    await crud_agent_desk.delete_canned(session, row=row)
    await _audit(session, admin, "canned.delete", canned_id)
    await session.commit()


async def _audit(session: AsyncSession, actor: Principal, action: str, target_id: str) -> None:
    await record_audit(
        session,
        actor,
        action=action,
        target_type="canned_response",
        target_id=target_id,
    )
