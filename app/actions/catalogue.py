"""The tenant's action catalogue as the turn uses it (``Catalogue``), the demo bank's six actions, and the
tenant's bank connection as a call uses it (``BankConnection``; stored and set by ``bank_settings``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.actions.token_keys import TokenKeys
from app.db import crud_actions, crud_tenancy
from app.db.models import ActionDef
from app.schemas.admin_actions import ActionCreate, BankCall, Templates
from dialog.actions import ActionSpec

# Parameters that are not the action's own but help fill them ("my credit card" -> the card ending 8888).
HINTS = {"card_last4": ("card_type",)}


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    description: dict[str, str]
    parameters: dict[str, Any]
    verification: str
    confirm: bool
    handoff_after: bool
    http: BankCall
    templates: Templates
    spec: ActionSpec

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.parameters.get("required", ()))

    @classmethod
    def of(cls, row: ActionDef) -> Action:
        props = tuple(row.parameters.get("properties", {}))
        hints = tuple(h for p in props for h in HINTS.get(p, ()))
        return cls(
            name=row.name,
            description={str(k): str(v) for k, v in row.description.items()},
            parameters=dict(row.parameters),
            verification=row.verification,
            confirm=row.confirm,
            handoff_after=row.handoff_after,
            http=BankCall.model_validate(row.http),
            templates=Templates.model_validate(row.templates),
            spec=ActionSpec(
                name=row.name,
                params=props + hints,
                required=tuple(row.parameters.get("required", ())),
                keywords=tuple(str(k) for k in row.keywords),
            ),
        )


@dataclass(frozen=True, slots=True)
class Catalogue:
    actions: dict[str, Action]

    @property
    def specs(self) -> list[ActionSpec]:
        return [a.spec for a in self.actions.values()]


async def load(session: AsyncSession, *, tenant_id: str) -> Catalogue:
    rows = await crud_actions.list_actions(session, tenant_id=tenant_id, enabled_only=True)
    return Catalogue({r.name: Action.of(r) for r in rows})


@dataclass(frozen=True, slots=True)
class BankConnection:
    """The tenant's bank as a call needs it (secrets opened; ``app.actions.bank_settings``)."""

    base_url: str
    secret: str
    sms_url: str
    tokens: TokenKeys


# --- the demo bank's actions -------------------------------------------------------------------------------

_CARD = {"type": "string", "pattern": "^[0-9]{4}$", "description": "the card's last four digits"}
_CARD_PARAMS = {"type": "object", "properties": {"card_last4": _CARD}, "required": ["card_last4"]}
_CARD_ITEM = {"list": "cards"}

DEMO_ACTIONS: Sequence[dict[str, Any]] = (
    {
        "name": "card_list",
        "description": {"en": "List the customer's cards", "zh": "查询客户名下的卡"},
        "parameters": {"type": "object", "properties": {}},
        "verification": "verified",
        "confirm": False,
        "http": {"method": "GET", "url": "/customers/{customer_id}/cards", "idempotent": True},
        "keywords": ["list my cards", "which cards do i have", "show my cards", "what cards do i have",
                     "我有哪些卡", "名下的卡", "查一下我的卡", "我有几张卡", "卡片列表", "我的卡有哪些"],
        "templates": {"en": "Your cards: {cards}.", "zh": "您名下的卡：{cards}。", **_CARD_ITEM,
                      "item_en": "{kind} card ending {last4} ({tier}, {status})",
                      "item_zh": "尾号{last4}的{kind}卡（{tier}，{status}）"},
    },
    {
        "name": "freeze_card",
        "description": {"en": "Freeze a card (temporarily block it)", "zh": "临时冻结银行卡"},
        "parameters": _CARD_PARAMS,
        "verification": "verified",
        "confirm": True,
        "http": {"method": "POST", "url": "/customers/{customer_id}/cards/{card_last4}/freeze"},
        "keywords": ["freeze my card", "freeze the card", "freeze card", "block my card", "lock my card",
                     "freeze my credit card", "freeze my debit card", "temporarily block",
                     "冻结", "冻结我的卡", "冻结银行卡", "锁卡", "冻卡", "临时冻结", "把卡冻上"],
        "templates": {"en": "Done: the card ending {card_last4} is now frozen.",
                      "zh": "已办理：尾号{card_last4}的卡已冻结。"},
    },
    {
        "name": "unfreeze_card",
        "description": {"en": "Unfreeze a frozen card", "zh": "解冻银行卡"},
        "parameters": _CARD_PARAMS,
        "verification": "step_up",
        "confirm": True,
        "http": {"method": "POST", "url": "/customers/{customer_id}/cards/{card_last4}/unfreeze"},
        "keywords": ["unfreeze", "unfreeze my card", "unfreeze the card", "unblock my card", "unblock the card", "unlock my card", "reactivate my card",
                     "解冻", "解冻我的卡", "解除冻结", "解锁银行卡", "把卡解冻"],
        "templates": {"en": "Done: the card ending {card_last4} is active again.",
                      "zh": "已办理：尾号{card_last4}的卡已解冻，可以正常使用。"},
    },
    {
        "name": "report_lost_card",
        "description": {"en": "Report a card lost or stolen", "zh": "银行卡挂失"},
        "parameters": _CARD_PARAMS,
        "verification": "verified",
        "confirm": True,
        "handoff_after": True,
        "http": {"method": "POST", "url": "/customers/{customer_id}/cards/{card_last4}/report-lost"},
        "keywords": ["report my card lost", "report lost card", "report a lost card", "lost my card",
                     "my card was stolen", "card stolen", "report it lost", "report my card stolen",
                     "挂失", "卡丢了", "卡掉了", "卡被偷了", "银行卡丢失", "挂失银行卡"],
        "templates": {"en": "Done: the card ending {card_last4} is reported lost and blocked; {replacement}. "
                            "I'm also connecting you with a colleague to check for any recent payments.",
                      "zh": "已办理：尾号{card_last4}的卡已挂失并停用，新卡将在5个工作日内寄出。"
                            "我同时为您转接人工客服，核对近期交易。"},
    },
    {
        "name": "transfer_status",
        "description": {"en": "Where is a transfer", "zh": "查询转账状态"},
        "parameters": {"type": "object", "required": ["reference"], "properties": {
            "reference": {"type": "string", "pattern": "^(TR[0-9]{11}|TR<[A-Z_]+_[0-9]+>|<[A-Z_]+_[0-9]+>)$"}}},
        "verification": "verified",
        "confirm": False,
        "http": {"method": "GET", "url": "/customers/{customer_id}/transfers/{reference}", "idempotent": True},
        "keywords": ["transfer status", "where is my transfer", "status of my transfer", "check my transfer",
                     "track my transfer", "has my transfer arrived", "transfer arrived", "my transfer",
                     "转账状态", "转账到账", "转账到了吗", "查询转账", "我的转账", "汇款到账", "转账进度",
                     "转账怎么还没到", "查一下转账", "查转账", "到账了吗", "到账没有"],
        "templates": {"en": "Transfer {transfer.reference} ({transfer.amount} {transfer.currency}): "
                            "{transfer.status} — {transfer.note}.",
                      "zh": "转账 {transfer.reference}（{transfer.amount} {transfer.currency}）：{transfer.status}"
                            "——{transfer.note}。"},
    },
    {
        "name": "set_contactless_limit",
        "description": {"en": "Set a card's contactless payment limit (0-2000)", "zh": "设置卡片的免密支付限额"},
        "parameters": {"type": "object", "required": ["card_last4", "amount"], "properties": {
            "card_last4": _CARD, "amount": {"type": "integer", "minimum": 0, "maximum": 2000}}},
        "verification": "step_up",
        "confirm": True,
        "http": {"method": "POST", "url": "/customers/{customer_id}/cards/{card_last4}/contactless-limit",
                 "body": {"amount": "amount"}},
        "keywords": ["contactless limit", "set my contactless limit", "change my contactless limit",
                     "contactless payment limit", "tap to pay limit", "tap limit",
                     "免密支付限额", "免密限额", "闪付限额", "非接触支付限额", "小额免密", "免密额度"],
        "templates": {"en": "Done: the contactless limit of the card ending {card_last4} is now {amount} CNY.",
                      "zh": "已办理：尾号{card_last4}的卡免密支付限额已设为{amount}元。"},
    },
)  # fmt: skip


async def seed_demo_actions(session: AsyncSession, *, tenant_id: str, bank_url: str) -> int:
    """The six demo actions for ``tenant_id`` (skipping names it has), and its bank at ``bank_url``."""
    tenant = await crud_tenancy.get_tenant(session, tenant_id=tenant_id)
    if tenant is not None:
        conf = dict((tenant.settings or {}).get("actions", {}))
        tenant.settings = {**(tenant.settings or {}), "actions": {**conf, "bank_url": bank_url}}
    n = 0
    for spec in DEMO_ACTIONS:
        body = ActionCreate.model_validate(spec)
        if await crud_actions.get_action_by_name(session, tenant_id=tenant_id, name=body.name):
            continue
        await crud_actions.create_action(session, tenant_id=tenant_id, fields=body.model_dump())
        n += 1
    await session.flush()
    return n
