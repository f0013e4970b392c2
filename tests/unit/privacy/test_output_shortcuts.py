"""``check_output``'s two shortcuts change no outcome (issue 17 item 1): text quoted verbatim from the KB
passages skips spaCy's NER (its names and places are ones the check keeps there anyway), and recent texts'
findings are remembered by digest. Each row is checked against the full analysis (NER on, no memo), on the
real masker; names the NER finds in lowercase stay masked (no capitalisation shortcut)."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy.config import PrivacyConfig
from privacy.masker import PresidioMasker
from privacy.placeholders import output_check
from privacy.types import OutputCheck, VaultState

pytestmark = pytest.mark.models

PASSAGES = (
    "All branches close at 17:00, except at Airport Sub-branch on Harbour Avenue (until 22:00). "
    "Ask for Mr David Chen, the branch manager, or call 13800138000.",
    "营业时间为9:00-17:00，滨海区海港大道1号机场支行除外（至22:00）。客户经理王小明，电话13800138000。",
)

ROWS = [
    # (segment, lang, quoted from the passages)
    (
        "All branches close at 17:00, except at Airport Sub-branch on Harbour Avenue (until 22:00). ",
        "en",
        True,
    ),
    ("Ask for Mr David Chen, the branch manager, or call 13800138000.[1]", "en", True),  # phone still out
    ("[2] Ask for Mr David Chen, the branch manager,", "en", True),
    (" [1][2]", "en", True),  # citation marks alone
    ("", "en", True),
    ("Ask for Mr John Smith, the branch manager.", "en", False),  # a name not in the passages
    ("my name is john smith and i live in london", "en", False),  # lowercase: the NER still runs
    ("Call David Chen at 13912345678.", "en", False),
    ("营业时间为9:00-17:00，滨海区海港大道1号机场支行除外（至22:00）。", "zh", True),
    ("客户经理王小明，电话13800138000。", "zh", True),
    ("客户经理张伟，电话13912345678。", "zh", False),
]


def _full(masker: PresidioMasker, text: str, lang: str) -> OutputCheck:
    """The check without either shortcut: the whole analysis, NER included."""
    skip = masker._config.ingestion_skip_types
    return output_check(
        text, VaultState(), masker.analyze(text, lang), allowed_text=PASSAGES, allowed_types=skip
    )


@pytest.mark.parametrize(("text", "lang", "quoted"), ROWS)
def test_the_shortcuts_give_the_full_checks_outcome(
    masker: PresidioMasker, text: str, lang: str, quoted: bool
) -> None:
    from privacy.masker import _quoted

    assert _quoted(text, PASSAGES) is quoted
    expected = _full(masker, text, lang)
    for _ in range(2):  # the second time from the memo
        got = masker.check_output(text, VaultState(), lang, allowed_text=PASSAGES)
        assert got == expected


def test_names_in_text_not_quoted_are_masked(masker: PresidioMasker) -> None:
    got = masker.check_output("my name is john smith and i live in london", VaultState(), "en")
    assert "john smith" not in got.restored
    assert got.leaked.get("PERSON") == 1
    got = masker.check_output(
        "Ask for Mr John Smith, the branch manager.", VaultState(), "en", allowed_text=PASSAGES
    )
    assert "John Smith" not in got.restored


def test_quoted_text_skips_the_ner(masker: PresidioMasker, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    real = masker.analyze

    def spy(text: str, lang: str | None = None, *, ner: bool = True) -> list:  # type: ignore[type-arg]
        calls.append(ner)
        return real(text, lang, ner=ner)

    monkeypatch.setattr(masker, "analyze", spy)
    masker.check_output(
        "Ask for Mr David Chen, the branch manager,", VaultState(), "en", allowed_text=PASSAGES
    )
    masker.check_output("Ask for Mr Li Lei, the branch manager.", VaultState(), "en", allowed_text=PASSAGES)
    assert calls == [False, True]


def test_the_memo_keeps_digests_not_text(privacy_data_dir: Path) -> None:
    m = PresidioMasker(PrivacyConfig(output_memo_size=2), privacy_data_dir)
    m.warm_up()
    texts = ["Call David Chen at 13912345678.", "Call Li Lei.", "Call Wang Fang."]
    for t in texts:
        m.check_output(t, VaultState(), "en")
    assert len(m._memo) == 2  # bounded
    assert all(isinstance(k, bytes) and len(k) == 16 for k in m._memo)
    assert m.memo_hits == 0
    m.check_output(texts[2], VaultState(), "en")
    assert m.memo_hits == 1
    off = PresidioMasker(PrivacyConfig(output_memo_size=0), privacy_data_dir)
    off.warm_up()
    off.check_output(texts[0], VaultState(), "en")
    off.check_output(texts[0], VaultState(), "en")
    assert off.memo_hits == 0
    assert not off._memo


def test_the_ner_types_are_those_the_engine_maps() -> None:
    from privacy.engine import _OUR_NER_MAPPING
    from privacy.masker import _NER_TYPES

    assert set(_OUR_NER_MAPPING.values()) == _NER_TYPES
