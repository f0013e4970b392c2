"""What the assistant says about an action, zh and en: the questions, the read-back, the refusals, and the
bank's answer through the catalogue's template (only the fields a template names; never the raw answer)."""

from __future__ import annotations

import string
from typing import Any

from app.actions.catalogue import Action

KIND = {"zh": {"credit": "信用", "debit": "借记"}, "en": {}}
STATUS_ZH = {"active": "正常", "frozen": "已冻结", "lost": "已挂失", "completed": "已到账",
             "pending": "处理中", "returned": "已退回"}  # fmt: skip

_TEXT: dict[str, dict[str, str]] = {
    "ask_card": {"en": "Which card: {options}? Tell me the last four digits.",
                 "zh": "请问是哪张卡：{options}？请告诉我卡号后四位。"},
    "no_such_card": {"en": "I can't find a card ending {last4} on your account. {ask}",
                     "zh": "您名下没有尾号{last4}的卡。{ask}"},
    "no_cards": {"en": "I can't find any card on your account, so I can't do that here.",
                 "zh": "您名下没有查到银行卡，这里无法办理。"},
    "ask_reference": {"en": "What is the transfer's reference? It starts with TR, e.g. TR20261201001.",
                      "zh": "请提供转账的交易参考号（以TR开头，例如TR20261201001）。"},
    "ask_amount": {"en": "What should the new contactless limit be (0 to 2000 CNY)?",
                   "zh": "请问免密支付限额要设为多少（0到2000元）？"},
    "bad_amount": {"en": "The contactless limit can be from 0 to 2000 CNY. What should it be?",
                   "zh": "免密支付限额可设为0到2000元，请问要设为多少？"},
    "bad_value": {"en": "That doesn't look right. {ask}", "zh": "这个信息好像不对。{ask}"},
    "readback": {"en": "I'll {what} — confirm? Reply \"yes\" to go ahead, or \"no\" to cancel.",
                 "zh": "我将为您{what}——确认吗？回复“确认”办理，回复“取消”放弃。"},
    "cancelled": {"en": "OK, I've cancelled that — nothing was changed.",
                  "zh": "好的，已取消，没有做任何变更。"},
    "not_confirmed": {"en": "I didn't get a clear yes, so I've cancelled that — nothing was changed. "
                            "Ask again whenever you're ready.",
                      "zh": "没有收到明确的确认，已取消，没有做任何变更。需要时请重新告诉我。"},
    "expired": {"en": "That confirmation has expired, so nothing was changed. Ask again if you still want it.",
                "zh": "确认已超时，没有做任何变更。如仍需办理，请重新告诉我。"},
    "to_agent": {"en": "OK, I've stopped that — nothing was changed. I'm connecting you with a colleague.",
                 "zh": "好的，已停止办理，没有做任何变更。正在为您转接人工客服。"},
    "in_progress": {"en": "That request is already being handled.", "zh": "该请求正在办理中。"},
    "unverified": {"en": "To {what} I need to know it's you. Please sign in to online banking and open the "
                         "chat from there, or say \"agent\" and a colleague will help you.",
                   "zh": "为保障账户安全，{what}需要先验证您的身份。请登录网上银行后从那里打开对话，"
                         "或回复“人工”由客服为您办理。"},
    "otp_sent": {"en": "For your security I've sent a 6-digit code by SMS to your registered phone. "
                       "Please type it here (valid 5 minutes).",
                 "zh": "为保障安全，我们已向您预留的手机发送6位短信验证码，请在此输入（5分钟内有效）。"},
    "otp_wrong": {"en": "That code isn't right. You have {left} more tries.",
                  "zh": "验证码不正确，您还可以再试{left}次。"},
    "otp_expired": {"en": "That code has expired; I've sent a new one.", "zh": "验证码已过期，已为您重新发送。"},
    "otp_locked": {"en": "The code was entered wrongly too many times, so I can't do this here now. "
                         "Say \"agent\" and a colleague will help you.",
                   "zh": "验证码错误次数过多，暂时无法在此办理。回复“人工”由客服为您处理。"},
    "sms_down": {"en": "I can't send a verification code right now. Say \"agent\" and a colleague will help.",
                 "zh": "暂时无法发送验证码。回复“人工”由客服为您处理。"},
    "bank_down": {"en": "Sorry, our banking system isn't answering right now, so nothing was changed. "
                        "Please try again in a few minutes, or say \"agent\" and a colleague will help you.",
                  "zh": "抱歉，银行系统暂时无法响应，没有做任何变更。请稍后再试，或回复“人工”由客服为您处理。"},
    "not_found_transfer": {"en": "I can't find a transfer with the reference {reference} on your account.",
                           "zh": "您名下没有查到参考号为{reference}的转账。"},
    "rejected": {"en": "The bank couldn't do that: {reason}.", "zh": "银行未能办理：{reason}。"},
}  # fmt: skip

_WHAT: dict[str, dict[str, str]] = {
    "freeze_card": {"en": "freeze the card ending {card_last4}", "zh": "冻结尾号{card_last4}的卡"},
    "unfreeze_card": {"en": "unfreeze the card ending {card_last4}", "zh": "解冻尾号{card_last4}的卡"},
    "report_lost_card": {"en": "report the card ending {card_last4} lost and block it",
                         "zh": "挂失并停用尾号{card_last4}的卡"},
    "set_contactless_limit": {"en": "set the contactless limit of the card ending {card_last4} to {amount} CNY",
                              "zh": "将尾号{card_last4}的卡免密支付限额设为{amount}元"},
    "card_list": {"en": "show your cards", "zh": "查询您名下的卡"},
    "transfer_status": {"en": "check that transfer", "zh": "查询该转账"},
}  # fmt: skip
# The same before the customer has named the card or the amount (an unverified request is refused before
# anything is asked): never "the card ending -".
_WHAT_UNNAMED: dict[str, dict[str, str]] = {
    "freeze_card": {"en": "freeze a card", "zh": "冻结卡片"},
    "unfreeze_card": {"en": "unfreeze a card", "zh": "解冻卡片"},
    "report_lost_card": {"en": "report a card lost and block it", "zh": "挂失并停用卡片"},
    "set_contactless_limit": {"en": "change a card's contactless limit", "zh": "调整卡片的免密支付限额"},
}  # fmt: skip


def say(key: str, lang: str, **values: Any) -> str:
    return _TEXT[key][_lang(lang)].format(**values)


def what(action: Action, lang: str, args: dict[str, str]) -> str:
    """The read-back's verb phrase: the catalogue's own for the demo actions, else its description."""
    table = _WHAT.get(action.name)
    if table is not None:
        template = table[_lang(lang)]
        unnamed = _WHAT_UNNAMED.get(action.name)
        if unnamed is not None and any(
            f and not args.get(f) for _, f, _, _ in string.Formatter().parse(template)
        ):
            return unnamed[_lang(lang)]
        return _Safe(args).render(template)
    desc = action.description.get(_lang(lang)) or action.name
    shown = ", ".join(f"{k}={v}" for k, v in args.items() if k in action.parameters.get("properties", {}))
    return f"{desc} ({shown})" if shown else desc


def card_label(card: dict[str, Any], lang: str) -> str:
    kind = str(card.get("kind", ""))
    if _lang(lang) == "zh":
        return f"尾号{card.get('last4')}的{KIND['zh'].get(kind, '')}卡"
    return f"the {kind} card ending {card.get('last4')}".replace("the  card", "the card")


def result_text(action: Action, lang: str, body: dict[str, Any], args: dict[str, str]) -> str:
    """The catalogue's template filled with the parameters and the fields it names from the bank's
    answer; a list field is rendered item by item with the item template."""
    t, zh = action.templates, _lang(lang) == "zh"
    values: dict[str, Any] = {**body, **args}
    if t.list and isinstance(body.get(t.list), list):
        item = t.item_zh if zh else t.item_en
        sep = "；" if zh else "; "
        values[t.list] = sep.join(
            _Safe(_localised(x, zh)).render(item) for x in body[t.list] if isinstance(x, dict)
        )
    return _Safe(_localised(values, zh)).render(t.zh if zh else t.en)


def _localised(values: dict[str, Any], zh: bool) -> dict[str, Any]:
    if not zh:
        return values
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, dict):
            out[k] = _localised(v, zh)
        elif isinstance(v, str):
            out[k] = STATUS_ZH.get(v, KIND["zh"].get(v, v))
        else:
            out[k] = v
    return out


class _Safe:
    """``{name}`` and ``{a.b}`` from a dict of values; a name not there renders as ``-`` (a template never
    raises, and never reaches beyond the values: no attribute access, no indexing, no format specs)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def _get(self, name: str) -> str:
        cur: Any = self._values
        for part in name.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return "-"
            cur = cur[part]
        return "-" if isinstance(cur, dict | list) else str(cur)

    def render(self, template: str) -> str:
        out = []
        for literal, name, _spec, _conv in string.Formatter().parse(template):
            out.append(literal)
            if name is not None:
                out.append(self._get(name))
        return "".join(out)


def _lang(lang: str) -> str:
    return "zh" if lang == "zh" else "en"
