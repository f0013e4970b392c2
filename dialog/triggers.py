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
    "人工坐席", "人工座席", "坐席", "人工",
)  # fmt: skip
_NOT_HUMAN_ZH = ("人工智能", "人工费", "人工成本")
_HUMAN_EN = re.compile(
    r"(?<![a-z])(?:"
    r"(?:talk|speak|chat|connect|transfer|put|get|give|want|need|like|reach)\b[\w\s']{0,20}?"
    r"\b(?:human|person|agent|representative|rep|operator|someone|somebody|advisor|adviser|staff|people)"
    r"|real\s+(?:person|human|people)|live\s+(?:agent|person|chat|support)|customer\s+service\s+(?:agent|rep|representative)"
    r")(?![a-z])",
    re.IGNORECASE,
)
_HUMAN_EN_SHORT = re.compile(
    r"^\W*(?:a\s+)?(?:human|agent|representative|operator|real person|person)\W*(?:please)?\W*$", re.I
)

URGENT_TERMS_ZH = (
    "盗刷", "被盗", "被偷", "卡丢了", "卡掉了", "丢了卡", "丢失", "挂失", "诈骗", "被骗", "骗子", "投诉", "冒用",
    "异常交易", "不是我本人", "不是我操作", "不是本人操作", "没有授权", "未经授权", "报警", "钓鱼", "盗用", "被冻结",
)  # fmt: skip
URGENT_TERMS_EN = (
    "stolen", "stole", "lost my card", "lost card", "card is lost", "card was lost", "missing card", "fraud",
    "fraudulent", "scam", "scammed", "unauthorized", "unauthorised", "didn't make this", "did not make this",
    "don't recognize", "don't recognise", "do not recognize", "not recognise", "complaint", "complain",
    "hacked", "identity theft", "phishing", "someone used my card",
)  # fmt: skip


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
        """转人工 / 人工客服 / "human" / "agent" / "let me talk to a real person"."""
        stripped = text
        for term in _NOT_HUMAN_ZH:
            stripped = stripped.replace(term, "")
        if any(t in stripped for t in self._zh_human):  # type: ignore[attr-defined]
            return True
        if _HUMAN_EN_SHORT.match(text) or _HUMAN_EN.search(text):
            return True
        extra = self._en_human  # type: ignore[attr-defined]
        return bool(extra is not None and extra.search(text))

    def urgent(self, text: str) -> bool:
        """Lost or stolen card, fraud, complaint: regulated or urgent topics."""
        if any(t in text for t in self._zh_urgent):  # type: ignore[attr-defined]
            return True
        return bool(self._en_urgent.search(text))  # type: ignore[attr-defined]
