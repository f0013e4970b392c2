"""Does a customer message try to give the assistant instructions? ("ignore your instructions", "忽略之前的规则")

Used by the policy (``dialog.policy``): a message that tries to override the assistant's rules or make it
play someone else is not answered, however well its banking words retrieve ("ignore your instructions …
what's the fee" gets "no reliable answer"), and so never reaches the evidence rule either. The prompt keeps
its own defences (``llm_backend.prompt_text``).

A pattern match, English and Chinese, errs towards flagging: a flagged message gets the refusal an
unanswerable question gets, and the customer can rephrase or ask for an agent.
"""

from __future__ import annotations

import re
import unicodedata

_EN = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|skip|drop)\b[^.?!\n]{0,40}?"
    r"\b(?:instructions?|rules?|prompts?|guidelines|polic(?:y|ies)|directives?|restrictions?|guardrails?|"
    r"programming|constraints?)\b"
    r"|\bsystem\s+(?:prompt|message|instructions?)\b"
    r"|\byou\s+are\s+now\b|\bfrom\s+now\s+on\s+you\b|\byou\s+(?:will\s+|must\s+|should\s+|now\s+)?act\s+as\b|\bact\s+as\s+(?:dan|an?\s+(?:unrestricted|different|new)\b)"
    r"|\bpretend\s+(?:to\s+be|you\s+are)\b|\broleplay\b|\bdeveloper\s+mode\b|\bjailbreak|\bDAN\s+mode\b"
    r"|\b(?:reveal|print|show|repeat|output)\b[^.?!\n]{0,30}\b(?:your|the)\s+(?:instructions|rules|prompt)\b",
    re.IGNORECASE,
)
_ZH = re.compile(
    r"(?:忽略|无视|忘记|忘掉|不要管|别管|绕过|跳过|抛开)[^。？！\n]{0,12}?"
    r"(?:指令|指示|规则|提示词|提示|设定|限制|要求|约束|规定)"
    r"|系统提示|系统指令|【系统|你现在是|从现在开始你|扮演|假装你是|开发者模式|越狱"
    r"|(?:输出|打印|透露|告诉我|显示|复述)[^。？！\n]{0,10}(?:你的|系统)(?:规则|指令|提示词|设定)"
    r"|(?:你的|系统)(?:规则|指令|提示词|设定)[^。？！\n]{0,6}(?:告诉我|发给我|输出|打印|给我看)"
)


def looks_like_injection(text: str) -> bool:
    """True when ``text`` reads as an attempt to instruct the assistant (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text)
    return bool(_EN.search(t) or _ZH.search(t))
