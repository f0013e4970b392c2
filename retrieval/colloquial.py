"""Customer wording -> the words a bank's pages use, before the search and the composer read a question.

Customers write "wallet got pinched", "card got eaten by the atm", "ur app keeps logging me out",
"信用咔", "卡被atm吞了", "转帐", "不刷脸"; the bank's pages say stolen, swallowed, logs you out, 信用卡,
吞卡, 转账, 人脸识别. The dense similarity of such a question stays under the answer floor and BM25 finds
none of its words, although the passage is the first hit once the words are the bank's. ``normalise``
rewrites the common ones (chat abbreviations, slang for theft and a retained card, typing variants of
账/卡) with a short, closed list of phrases — not a thesaurus: each rule names a whole phrase, or a word
that means one thing in a bank's chat (``pinched`` is never a finger here), so a question that needs
none of them comes back unchanged, character for character.

Only the search and the composer read the result; the customer's message, the tracker's standalone
question (what an agent sees) and the transcript keep the customer's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]


def _en(pattern: str, repl: str) -> _Rule:
    return re.compile(pattern, re.IGNORECASE), repl


_ATM = re.compile(r"\batms?\b|\bcash machines?\b|\bthe machine\b|取款机|提款机|柜员机|ATM", re.IGNORECASE)

_ALWAYS: tuple[_Rule, ...] = (
    # chat abbreviations (whole words only)
    _en(r"\bur\b", "your"),
    _en(r"\bu\b(?!\.)", "you"),
    _en(r"\br\b(?= (?:you|u|ur|your|the|my|there|they|we)\b)", "are"),
    _en(r"\bpl[sz]\b", "please"),
    _en(r"\bthx\b|\bthnx\b", "thanks"),
    _en(r"\bwanna\b", "want to"),
    _en(r"\bgotta\b", "have to"),
    _en(r"\bgonna\b", "going to"),
    _en(r"\bwat\b|\bwut\b", "what"),
    _en(r"\bhrs\b", "hours"),
    _en(r"\bmins\b", "minutes"),
    _en(r"\bacc(?:t|nt)?\b", "account"),
    _en(r"\b(?:xfer|trf|trsf|transfr|tranfer|trasnfer)(s?)\b", r"transfer\1"),
    _en(r"\btxns?\b", "transaction"),
    _en(r"\bamt\b", "amount"),
    _en(r"\bintl\b|\bint'l\b", "international"),
    _en(r"\btmrw?\b|\btmr\b", "tomorrow"),
    _en(r"\bcant\b", "can't"),
    _en(r"\bdont\b", "don't"),
    _en(r"\bwont\b", "won't"),
    _en(r"\bim\b", "i'm"),
    # theft and robbery, said the way people say it
    _en(r"\b(?:pinched|nicked|jacked|snatched|pickpocketed)\b", "stolen"),
    _en(r"\b(?:got|was|been|get) mugged\b", "was robbed, stolen"),
    # "who do I phone", "ring you": call
    _en(r"\b(phone|ring)(?= (?:you|the bank|your bank|someone|somebody)\b)", "call"),
    _en(r"(?<=\bwho do i )(?:phone|ring)\b|(?<=\bwho should i )(?:phone|ring)\b", "call"),
    # an app that ends the session by itself
    _en(r"\b(?:keeps? |kept )?(?:logging|logs|logged|kicking|kicks|kicked|signing|signs|signed|throwing|throws) me out\b",
        "logs me out automatically"),
    # the same request in other words
    _en(r"\b(?:delete|terminate|cancel|shut down|get rid of|deactivate)(?= (?:my |the |this |an? )?(?:bank )?account\b)",
        "close"),
    _en(r"\bpass ?codes?\b", "password"),
    _en(r"\b(?:reverse|undo|recall|take back|pull back)(?= (?:my |the |a |this |that )?(?:transaction|payment|transfer)s?\b)",
        "cancel"),
    _en(r"\b(?:can't|cannot|can not|couldn't) find my (phone|card|wallet)\b", r"lost my \1"),
    _en(r"\bpersonal details\b", "personal information"),
    _en(r"\bfiat currenc(?:y|ies)\b", "currencies"),
    # Chinese: typing variants and chat words
    (re.compile(r"咔"), "卡"),
    (re.compile(r"帐"), "账"),
    (re.compile(r"啥"), "什么"),
    (re.compile(r"咋"), "怎么"),
    (re.compile(r"刷脸"), "人脸识别"),
    (re.compile(r"(?<=\d)刀|(?<=多少)刀|(?<=几)刀"), "美元"),
    (re.compile(r"被偷了?|偷走了|被扒了?|被扒走|被抢了?|被顺走"), "被盗"),
)  # fmt: skip

# A retained card (only where an ATM is in the question: "the app ate my money" is something else)
_WITH_ATM: tuple[_Rule, ...] = (
    _en(r"\b(?:ate|eaten|eats|eating|gobbled(?: up)?|swallowed up)\b", "swallowed"),
    _en(r"\b(?:took|kept|taken|grabbed|sucked in|held on to)(?= (?:my|the|our|his|her) (?:debit |credit )?card)",
        "swallowed"),
    _en(r"\b(?:got |is |was |gets )?stuck in\b|\b(?:disappeared|vanished|went) in(?:to|side)?\b", "swallowed by"),
    (re.compile(r"吞了|吞掉了?|被吞|吃了|吃掉了?|吃卡|卡住了?|没吐出来|不吐卡|不退卡"), "吞卡"),
)  # fmt: skip


# English banking words in a Chinese question ("credit card 取现 limit 多少"): the Chinese pages' words.
_MIXED_EN_ZH: tuple[tuple[str, str], ...] = (
    ("credit cards?", "信用卡"), ("debit cards?", "借记卡"), ("annual fees?", "年费"),
    ("cash advances?|cash withdrawals?", "取现"), ("credit limits?", "信用额度"), ("limits?|quota", "限额额度"),
    ("fixed deposits?|time deposits?", "定期存款"), ("exchange rates?", "汇率"), ("interest rates?|rates?", "利率"),
    ("interest", "利息"), ("fees?|charges?", "手续费"), ("transfers?", "转账"), ("accounts?", "账户"),
    ("deposits?", "存款"), ("pin ?码|passwords?|pins?", "密码"), ("instal(?:l)?ments?", "分期"), ("statements?", "账单"),
    ("due date", "到期还款日"), ("minimum payment", "最低还款"), ("overseas|abroad", "境外"),
    ("branch(?:es)?", "网点"), ("hotline", "客服热线"), ("refunds?", "退款"), ("activate", "激活"), ("cards?", "卡"),
)  # fmt: skip
_MIXED = re.compile(
    r"(?<![A-Za-z])(" + "|".join(f"(?:{p})" for p, _ in _MIXED_EN_ZH) + r")(?![A-Za-z])", re.IGNORECASE
)
_MIXED_WORDS = tuple((re.compile(rf"^(?:{p})$", re.IGNORECASE), zh) for p, zh in _MIXED_EN_ZH)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def _in_chinese(m: re.Match[str]) -> str:
    return next(zh for pattern, zh in _MIXED_WORDS if pattern.match(m.group(0)))


def normalise(text: str) -> str:
    """``text`` with the common customer phrasings above in the bank's words; unchanged otherwise."""
    out = text
    for pattern, repl in _ALWAYS:
        out = pattern.sub(repl, out)
    if _ATM.search(out):
        for pattern, repl in _WITH_ATM:
            out = pattern.sub(repl, out)
    if len(_HAN.findall(out)) * 4 >= len(_LATIN_LETTER.findall(out)) > 0:  # Chinese, with English words in it
        out = _MIXED.sub(_in_chinese, out)
    return out
