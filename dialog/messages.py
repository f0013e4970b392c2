"""Canned replies of the policy, in Chinese and English; tenants override any of them by key."""

from __future__ import annotations

from collections.abc import Mapping

CANNED: Mapping[str, Mapping[str, str]] = {
    "dont_know": {
        "zh": "抱歉，我暂时没有找到这个问题的可靠答案。您可以换个说法再问一次，或输入“转人工”联系人工客服。",
        "en": "Sorry, I couldn't find a reliable answer to that. You could rephrase the question, or type "
        '"agent" to talk to one of our staff.',
    },
    "out_of_scope": {
        "zh": "抱歉，这个问题不在我能解答的范围内。我可以帮您解答银行卡、账户、转账、存款、外汇等业务问题。",
        "en": "Sorry, that's outside what I can help with. I can answer questions about cards, accounts, "
        "transfers, deposits and foreign exchange.",
    },
    "other_institution": {
        "zh": "抱歉，我只能解答{bank}的产品和服务，无法回答关于{name}的问题，建议您咨询{name}的官方客服。"
        "如果您想了解{bank}的相关业务，欢迎继续提问。",
        "en": "Sorry, I can only answer questions about {bank}'s own products and services, not about "
        "{name}. Please contact {name} directly. If you'd like to know what {bank} offers, just ask.",
    },
    "not_covered": {
        "zh": "抱歉，我这里没有关于{topic}的资料，无法给您可靠的答复。如需进一步帮助，请输入“转人工”联系人工客服。",
        "en": "Sorry, I don't have any information about {topic}, so I can't give you a reliable answer. "
        'Type "agent" if you\'d like to talk to one of our staff.',
    },
    "unsupported_language": {
        "en": "Sorry, we can only serve you in Chinese or English at the moment. Please write to us in "
        "either language and we'll be glad to help.",
    },
    "no_content": {
        "zh": "您好，请问有什么可以帮您？",
        "en": "Hello! How can I help you today?",
    },
    "conversation_closed": {
        "zh": "本次会话已结束。如需帮助，请开始新的会话。",
        "en": "This conversation has ended. Please start a new one if you need more help.",
    },
    "handoff:explicit_request": {
        "zh": "好的，正在为您转接人工客服，请稍候。",
        "en": "Of course. I'm connecting you with a member of our team, please hold on.",
    },
    "handoff:urgent_topic": {
        "zh": "这个问题需要人工客服尽快为您处理，正在为您转接，请稍候。如果卡片丢失或被盗，建议您先在手机银行中冻结卡片。",
        "en": "This needs one of our staff right away, so I'm connecting you now. If your card is lost or "
        "stolen, you can freeze it in the mobile app in the meantime.",
    },
    # The same handoff, with the advice for the kind of urgent topic (``TrackResult.urgent_kind``); a
    # tenant that reworded ``handoff:urgent_topic`` alone keeps its wording for every kind.
    "handoff:urgent_topic:card": {
        "zh": "这个问题需要人工客服尽快为您处理，正在为您转接，请稍候。如果卡片丢失或被盗，建议您先在手机银行中冻结卡片。",
        "en": "This needs one of our staff right away, so I'm connecting you now. If your card is lost or "
        "stolen, you can freeze it in the mobile app in the meantime.",
    },
    "handoff:urgent_topic:fraud": {
        "zh": "这个问题需要人工客服尽快为您处理，正在为您转接，请稍候。在此期间请不要向任何人透露验证码或密码，"
        "也不要再向对方转账；如卡片被盗刷，可先在手机银行中冻结卡片。",
        "en": "This needs one of our staff right away, so I'm connecting you now. In the meantime, don't share "
        "any code or password with anyone and don't send the other party any more money; if your card was "
        "misused, you can freeze it in the mobile app.",
    },
    "handoff:urgent_topic:complaint": {
        "zh": "很抱歉给您带来不好的体验。正在为您转接人工客服处理您的投诉，请稍候。",
        "en": "I'm sorry about your experience. I'm connecting you with a member of our team who will take "
        "your complaint, please hold on.",
    },
    "handoff:frustration": {
        "zh": "非常抱歉给您带来不便，我马上为您转接人工客服。",
        "en": "I'm sorry this has been frustrating. I'm connecting you with a member of our team now.",
    },
    "handoff:repeated_failure": {
        "zh": "抱歉我没能解答您的问题，正在为您转接人工客服，请稍候。",
        "en": "Sorry I couldn't answer that. I'm connecting you with a member of our team, please hold on.",
    },
    "handoff:llm_unavailable": {
        "zh": "系统暂时繁忙，正在为您转接人工客服，请稍候。",
        "en": "Our system is busy right now, so I'm connecting you with a member of our team.",
    },
    "handoff:agent_handling": {
        "zh": "人工客服正在为您服务，请稍候。",
        "en": "A member of our team is looking after this conversation, please hold on.",
    },
    "handoff:awaiting_agent": {
        "zh": "您已在人工客服队列中，客服人员接入后会看到您的留言，请稍候。",
        "en": "You're in the queue for a member of our team; they will see your messages when they join, "
        "please hold on.",
    },
    "handoff:awaiting_agent:position": {
        "zh": "您已在人工客服队列中（前面还有{ahead}位），客服人员接入后会看到您的留言，请稍候。",
        "en": "You're in the queue for a member of our team ({ahead} ahead of you); they will see your "
        "messages when they join, please hold on.",
    },
    "smalltalk:greeting": {
        "zh": "您好！我是智能客服，请问有什么可以帮您？",
        "en": "Hello! I'm the virtual assistant. How can I help you today?",
    },
    "smalltalk:thanks": {
        "zh": "不客气！还有其他问题随时问我。",
        "en": "You're welcome! Let me know if there's anything else.",
    },
    "smalltalk:goodbye": {
        "zh": "感谢您的咨询，祝您生活愉快，再见！",
        "en": "Thanks for getting in touch. Goodbye!",
    },
    "clarify:card_type": {
        "zh": "请问您咨询的是信用卡还是借记卡？",
        "en": "Is this about a credit card or a debit card?",
    },
    "clarify:account_type": {
        "zh": "请问是哪类账户：活期（储蓄）账户、定期账户，还是对公账户？",
        "en": "Which kind of account is it: a savings, a fixed-deposit or a current account?",
    },
    "clarify:amount": {"zh": "请问涉及的金额是多少？", "en": "What amount is it about?"},
    "clarify:date": {"zh": "请问是哪一天？", "en": "Which date is it about?"},
    "clarify:currency": {"zh": "请问是哪种币种？", "en": "Which currency is it?"},
    "clarify:product": {
        "zh": "请问您咨询的是哪项产品或业务？",
        "en": "Which product or service is it about?",
    },
    "clarify:card_tier": {
        "zh": "请问是哪一种卡：经典卡、金卡还是白金卡？",
        "en": "Which card is it: Classic, Gold or Platinum?",
    },
    "clarify": {"zh": "请再补充一些信息：{slot}", "en": "Could you tell me a bit more: {slot}?"},
}


def canned(key: str, lang: str, overrides: Mapping[str, Mapping[str, str]] | None = None, **fmt: str) -> str:
    """The message ``key`` in ``lang`` (tenant override first; English when ``lang`` has none)."""
    for table in (overrides or {}, CANNED):
        texts = table.get(key)
        if texts:
            text = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
            return text.format(**fmt) if fmt else text
    raise KeyError(f"no canned message {key!r}")
