"""Which language a customer writes in: ``"zh"``, ``"en"``, another ISO 639-1 code, or ``""`` (no evidence).

Script counts decide most cases (Han -> zh, kana -> ja, Hangul -> ko, Cyrillic -> ru, ...). Latin text is
English unless another language's function words clearly outnumber English ones. Placeholders of the
privacy layer (``<CREDIT_CARD_1>``), URLs, digits, punctuation and emoji are not evidence. Mixed Chinese
and English ("我的credit card被盗了") is Chinese: our Chinese customers mix in English product words.
"""

from __future__ import annotations

import re
import unicodedata

SUPPORTED = ("zh", "en")

_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# (code, first, last) code-point ranges of non-Latin scripts.
_SCRIPTS: tuple[tuple[str, int, int], ...] = (
    ("han", 0x4E00, 0x9FFF),
    ("han", 0x3400, 0x4DBF),
    ("han", 0xF900, 0xFAFF),
    ("han", 0x20000, 0x2FA1F),
    ("kana", 0x3040, 0x30FF),
    ("kana", 0x31F0, 0x31FF),
    ("ko", 0xAC00, 0xD7AF),
    ("ko", 0x1100, 0x11FF),
    ("ko", 0x3130, 0x318F),
    ("ru", 0x0400, 0x04FF),
    ("el", 0x0370, 0x03FF),
    ("he", 0x0590, 0x05FF),
    ("ar", 0x0600, 0x06FF),
    ("ar", 0x0750, 0x077F),
    ("hi", 0x0900, 0x097F),
    ("bn", 0x0980, 0x09FF),
    ("ta", 0x0B80, 0x0BFF),
    ("th", 0x0E00, 0x0E7F),
    ("ka", 0x10A0, 0x10FF),
    ("hy", 0x0530, 0x058F),
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and greetings; words shared between languages ("a", "de", "me", "no", "in") are left out.
_LATIN_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the is are was my your i you we they it this that what how why when where which who can could "
        "would should will do does did have has with for from about please help hello hi thanks thank "
        "want need card account money transfer fee fees not and or of to on at be been an me lost"
    ),
    "fr": _words(
        "le les est une des du je vous nous mon ma mes votre pour avec dans sur pas bonjour merci "
        "voudrais comment pourquoi carte compte qui quoi aussi très ai suis et"
    ),
    "es": _words(
        "el los las es una del yo usted mi mis su para con por pero hola gracias necesito quiero cómo "
        "tarjeta cuenta dinero qué está estoy tengo puedo ayuda y muy"
    ),
    "de": _words(
        "der die das ist ein eine ich sie wir mein meine ihr und nicht mit für auf bitte danke hallo "
        "wie warum karte konto geld möchte habe kann"
    ),
    "pt": _words(
        "os uma eu você meu minha seu sua para com não obrigado obrigada olá quero preciso cartão "
        "conta dinheiro como está tenho posso ajuda"
    ),
    "it": _words(
        "il gli è sono io lei mio mia suo sua per con non grazie ciao buongiorno voglio ho bisogno "
        "carta conto soldi come perché posso aiuto"
    ),
    "vi": _words("tôi bạn của không có là và cho thẻ tài khoản tiền xin chào cảm ơn muốn làm"),
    "id": _words(
        "saya anda tidak ada dan untuk dengan ini itu kartu rekening uang terima kasih tolong bagaimana "
        "bisa mau"
    ),
    "tr": _words("ben sen bir ve bu için ile değil merhaba teşekkürler kart hesap para nasıl"),
    "nl": _words("het een ik jij wij mijn niet met voor bedankt hallo kaart rekening geld hoe"),
}


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        cp = ord(ch)
        if cp < 0x80:
            if ch.isalpha():
                counts["latin"] = counts.get("latin", 0) + 1
            continue
        for code, first, last in _SCRIPTS:
            if first <= cp <= last:
                counts[code] = counts.get(code, 0) + 1
                break
        else:
            if ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"):
                counts["latin"] = counts.get("latin", 0) + 1
    return counts


def _latin_language(text: str) -> str:
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return "en"
    scores = {code: sum(w in vocab for w in words) for code, vocab in _LATIN_WORDS.items()}
    best = max(scores, key=lambda c: (scores[c], c == "en"))
    if scores[best] > scores["en"] and scores[best] >= 2:
        return best
    return "en"


def detect_language(text: str) -> str:
    """``"zh"``, ``"en"``, another language code, or ``""`` when the text has no letters at all."""
    clean = _URL.sub(" ", _PLACEHOLDER.sub(" ", text))
    counts = _script_counts(clean)
    if not counts:
        return ""
    han, kana = counts.get("han", 0), counts.get("kana", 0)
    if kana >= 2 or (kana and not han):
        return "ja"
    if han:
        others = max((n for code, n in counts.items() if code not in ("han", "latin", "kana")), default=0)
        return "zh" if han >= others else max(counts, key=lambda c: counts[c] if c != "latin" else -1)
    non_latin = {code: n for code, n in counts.items() if code != "latin"}
    if non_latin and max(non_latin.values()) >= counts.get("latin", 0):
        return max(non_latin, key=lambda c: non_latin[c])
    return _latin_language(clean)


def is_supported(lang: str) -> bool:
    return lang in SUPPORTED
