"""Language detection: a table of messages with the exact code expected, negatives included."""

from __future__ import annotations

import pytest

from dialog.language import detect_language, is_supported


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("信用卡分期怎么申请？", "zh"),
        ("轉人工", "zh"),  # traditional characters are Chinese too
        ("我的credit card被盗了", "zh"),  # mixed scripts: the Chinese customer mixes in product words
        ("How do I reset my PIN?", "en"),
        ("card fee?", "en"),
        ("human", "en"),
        ("Bonjour, je voudrais ouvrir un compte", "fr"),
        ("Hola, necesito ayuda con mi tarjeta", "es"),
        ("Ich habe meine Karte verloren", "de"),
        ("Olá, preciso de ajuda com o meu cartão", "pt"),
        ("Tôi muốn mở tài khoản", "vi"),
        ("こんにちは、カードをなくしました", "ja"),
        ("카드를 잃어버렸어요", "ko"),
        ("Здравствуйте, у меня украли карту", "ru"),
        ("مرحبا، فقدت بطاقتي", "ar"),
        ("My card <CREDIT_CARD_1> was declined", "en"),
        ("😀😀🙏", ""),
        ("<CREDIT_CARD_1>", ""),
        ("123 456 !!!", ""),
        ("", ""),
        ("https://example.com/x", ""),
    ],
)
def test_detects(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_only_chinese_and_english_are_served() -> None:
    assert is_supported("zh")
    assert is_supported("en")
    assert not is_supported("fr")
    assert not is_supported("")
