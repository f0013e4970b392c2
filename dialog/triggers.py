"""Rules that read a message for handoff triggers: an explicit request for a human, an urgent topic.

These back up the intent classifier: "转人工" or "my card was stolen" must reach a human even when the
tenant's intent set has no such intent or the classifier is unsure. Tenants can extend the term lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

HUMAN_TERMS_ZH = (
    "转人工", "人工客服", "人工服务", "找人工", "接人工", "要人工", "转接人工", "真人客服", "真人", "客服人员",
    "人工坐席", "人工座席", "坐席", "人工", "活人", "换个人", "换人", "转客服", "接通客服", "转接客服",
    "找客服", "要客服",
)  # fmt: skip
# Words and questions that contain a human term without asking for one: 人工智能, 人工费, a question about
# the hotline's number or hours ("人工客服电话是多少"), whether this is a person ("你是真人吗").
_NOT_HUMAN_ZH = re.compile(
    r"人工智能|人工费|人工成本|人工审[核批]|人工核[实对查]"
    r"|(?:人工|真人)?(?:客服|服务)?(?:的)?(?:电话|热线|号码|专线)"
    r"|(?:人工|真人)(?:客服|服务|坐席)?(?:的)?(?:时间|几点|工作时间|上班|营业)"
    r"|(?:是|是不是)(?:真人|人工|机器人|ai|AI)(?:还是(?:真人|人工|机器人|ai|AI))?(?:客服)?(?:吗|呢|啊|？|\?)?"
)
# Asking for someone in charge or for a person in other words: 叫你们经理来, 找个负责人来, 你们领导呢,
# 给我找个懂行的人, 我不想跟机器聊, 别让机器人回复了.
_HUMAN_ZH = re.compile(
    r"(?:叫|找|请|喊|换|让)(?:一?个|你们|你们的|贵行的?)?(?:经理|主管|领导|负责人|主任|上级|值班经理|真人|活人)"
    r"|(?:经理|主管|领导|负责人|主任)(?:呢|在吗|在哪|出来|过来|来)"
    r"|(?:找|叫|换)(?:一?个)[\u4e00-\u9fff]{0,4}?的?人(?:来|吧|啊|过来|跟我|和我|$|[，。！!,.])"
    r"|(?:不想|不要|别|不用)(?:再)?(?:跟|和|让|用)?(?:机器人?|AI|ai|智能客服|自动回复)"
    r"|(?:跟|和)(?:真人|活人|人)(?:说话|聊|沟通|谈)"
    r"|^\W*(?:客服|人工|人工客服)(?:\W+(?:客服|人工|人工客服))*\W*$"
)
_PERSON = (
    r"(?:a\s+|an\s+|the\s+|your\s+|some\s+|one\s+of\s+your\s+)?(?:real\s+|actual\s+|live\s+|proper\s+)?"
    r"(?:human(?:\s+being)?|person|agent|representative|rep|operator|someone|somebody|advisor|adviser"
    r"|staff(?:\s+member)?|people|manager|supervisor|boss|customer\s+service|support|(?:a\s+)?team\s+member)"
)
_HUMAN_EN = re.compile(
    r"(?<![a-z])(?:"
    rf"(?:talk|speak|chat)(?:ing)?\s+(?:to|with)\s+{_PERSON}(?![a-z'’])(?!\s+(?:at|in)\s+(?:a|the|your)\s+branch)"
    rf"|(?:connect|transfer|put|pass)\s+me\s+(?:through\s+|over\s+)?(?:to|with)\s+{_PERSON}"
    rf"|(?:get|give|find|bring|send)\s+me\s+{_PERSON}(?![a-z'’])"
    r"|get\s+(?:a|an)\s+(?:real\s+|actual\s+|live\s+)?(?:human|person|agent|operator)\b"
    r"|(?:want|need|'d\s+like|would\s+like)\s+(?:a|an|your|the)\s+(?:real\s+|actual\s+|live\s+)?"
    r"(?:human|person|agent|representative|operator|manager|supervisor)(?![a-z'’])"
    r"|(?:real|actual|live)\s+(?:person|human|people|agent|support|chat)"
    r"|human\s+being|escalate"
    r"|(?:some|any)(?:one|body)\s+(?:there|here|real|human|alive)\b|anyone\s+there\s+who"
    r"|(?:someone|somebody|an\s+agent|you)\s+(?:can\s+|could\s+|please\s+|to\s+)?call\s+me|call\s+me\s+back"
    r"|(?:stop|enough|no\s+more|sick\s+of|tired\s+of)\s+(?:the\s+|this\s+|your\s+)?(?:bot|robot|machine|automated)"
    r"|(?:don't|do\s+not|dont)\s+want\s+(?:to\s+(?:talk|chat|speak)\s+(?:to|with)\s+)?(?:a|the|this|your)?\s*"
    r"(?:bot|robot|machine|chatbot)"
    r")(?![a-z])",
    re.IGNORECASE,
)
# Asking whether this is a person or a bot ("is this a real person? ok then, ...") is not asking for one.
_NOT_HUMAN_EN = re.compile(
    r"(?<![a-z])(?:is\s+(?:this|that|it)|are\s+you|am\s+i\s+(?:talking|chatting|speaking)\s+(?:to|with))\s+"
    r"(?:just\s+)?(?:a\s+|an\s+)?(?:real\s+|actual\s+|live\s+)?(?:person|human|bot|robot|machine|ai|chatbot)"
    r"(?:\s+or\s+(?:a\s+|an\s+)?(?:real\s+)?(?:person|human|bot|robot|machine|ai))?\s*\?",
    re.IGNORECASE,
)
# A question about the agents themselves -- their hours, the hotline's number -- not a request for one:
# "human agent chat hours", "customer service phone number", "人工客服几点上班", "客服热线是多少".
_ABOUT_HUMAN_ZH = re.compile(
    r"(?:人工|真人|客服)(?:客服|服务|坐席)?(?:的)?"
    r"(?:电话|热线|号码|专线|时间|几点|工作时间|上班|下班|营业|在线时间|服务时间)"
)
_ABOUT_HUMAN_EN = re.compile(
    r"(?<![a-z])(?:human|live|real|agent|customer\s+service|support|chat|hotline|call\s+cent(?:er|re)|staff"
    r"|phone|helpline)s?(?:\s+(?:agent|chat|support|service|team|line|banking|phone|helpline)s?){0,3}\s+"
    r"(?:opening\s+|working\s+|service\s+)?(?:hours|times|number|availability)(?![a-z])",
    re.IGNORECASE,
)
_HUMAN_EN_SHORT = re.compile(
    r"^\W*(?:a\s+)?(?:human|agent|representative|operator|real person|person|customer service|manager|"
    r"supervisor)\W*(?:please)?\W*$",
    re.I,
)

# Urgent topics by kind, for the handoff notice's advice (the first kind that matches: a stolen card used
# for payments is fraud). ``_URGENT_NO_KIND`` (报警, 被冻结) are urgent with no kind: the general notice.
URGENT_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fraud", ("盗刷", "诈骗", "被骗", "骗子", "冒用", "异常交易", "不是我本人", "不是我操作", "不是本人操作",
               "没有授权", "未经授权", "钓鱼", "盗用", "fraud", "fraudulent", "scam", "scammed", "unauthorized",
               "unauthorised", "didn't make this", "did not make this", "don't recognize", "don't recognise",
               "do not recognize", "not recognise", "hacked", "identity theft", "phishing",
               "someone used my card")),
    ("complaint", ("投诉", "complaint", "complain")),
    ("card", ("被盗", "被偷", "卡丢了", "卡掉了", "丢了卡", "丢失", "挂失", "stolen", "stole", "lost my card",
              "lost card", "card is lost", "card was lost", "missing card")),
)  # fmt: skip


# Every urgent term: those of a kind, and those that are urgent with no kind of their own.
_URGENT_NO_KIND = ("报警", "被冻结")
URGENT_TERMS_ZH = tuple(t for _, terms in URGENT_KINDS for t in terms if not t.isascii()) + _URGENT_NO_KIND
URGENT_TERMS_EN = tuple(t for _, terms in URGENT_KINDS for t in terms if t.isascii())


def _en_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in sorted(set(terms), key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{alts})", re.IGNORECASE)


@dataclass(frozen=True)
class TriggerRules:
    """Term lists (defaults above); ``extra_*`` come from tenant configuration."""

    extra_human_terms: tuple[str, ...] = ()
    extra_urgent_terms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        zh_human = [*HUMAN_TERMS_ZH, *(t for t in self.extra_human_terms if not t.isascii())]
        en_human = [t for t in self.extra_human_terms if t.isascii()]
        zh_urgent = [*URGENT_TERMS_ZH, *(t for t in self.extra_urgent_terms if not t.isascii())]
        en_urgent = [*URGENT_TERMS_EN, *(t for t in self.extra_urgent_terms if t.isascii())]
        object.__setattr__(self, "_zh_human", tuple(zh_human))
        object.__setattr__(self, "_en_human", _en_pattern(en_human) if en_human else None)
        object.__setattr__(self, "_zh_urgent", tuple(zh_urgent))
        object.__setattr__(self, "_en_urgent", _en_pattern(en_urgent))

    def wants_human(self, text: str) -> bool:
        """转人工 / 人工客服 / 叫你们经理来 / "human" / "let me talk to a real person" / "get me a supervisor".

        Not: a word that merely contains 人工 (人工智能, 人工费), a question about the hotline's number or
        hours (人工客服电话是多少), asking whether this is a bot, money sent "to another person"."""
        stripped = _NOT_HUMAN_ZH.sub(" ", _ABOUT_HUMAN_ZH.sub(" ", text))
        if any(t in stripped for t in self._zh_human) or _HUMAN_ZH.search(stripped):  # type: ignore[attr-defined]
            return True
        english = _NOT_HUMAN_EN.sub(" ", _ABOUT_HUMAN_EN.sub(" ", text))
        if _HUMAN_EN_SHORT.match(english) or _HUMAN_EN.search(english):
            return True
        extra = self._en_human  # type: ignore[attr-defined]
        return bool(extra is not None and extra.search(english))

    def asks_about_agents(self, text: str) -> bool:
        """The message asks about the agents or the hotline (hours, number), which the knowledge base
        answers: an intent classifier's "human agent" verdict on it is not a request for one."""
        return bool(_ABOUT_HUMAN_ZH.search(text) or _ABOUT_HUMAN_EN.search(text))

    def urgent(self, text: str) -> bool:
        """Lost or stolen card, fraud, complaint: regulated or urgent topics."""
        if any(t in text for t in self._zh_urgent):  # type: ignore[attr-defined]
            return True
        return bool(self._en_urgent.search(text))  # type: ignore[attr-defined]

    def urgent_kind(self, text: str) -> str:
        """fraud | complaint | card (lost or stolen) for an urgent message (``URGENT_KINDS``), else ""."""
        for kind, pattern in _KIND_PATTERNS:
            if pattern.search(text):
                return kind
        return ""


def _kind_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    han = [re.escape(t) for t in terms if not t.isascii()]
    latin = _en_pattern(t for t in terms if t.isascii()).pattern
    return re.compile("|".join([*han, latin]), re.IGNORECASE)


_KIND_PATTERNS = tuple((kind, _kind_pattern(terms)) for kind, terms in URGENT_KINDS)
