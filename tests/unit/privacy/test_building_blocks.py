"""Pure building blocks: placeholders, language detection, overlap resolution, the YAML registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy.errors import RecognizerConfigError
from privacy.language import detect_languages, fold_width
from privacy.merge import Candidate, resolve_overlaps
from privacy.placeholders import canonical, find_known, placeholder_for, unmask
from privacy.recognizers import CATALOGUE
from privacy.registry import build_recognizers, load_registry_spec
from privacy.types import VaultState


def test_canonical_forms_make_spellings_equal() -> None:
    assert canonical("PHONE_NUMBER", "+86 138-0013-8000") == canonical("PHONE_NUMBER", "13800138000")
    assert canonical("CREDIT_CARD", "6222 0212 3456 7890 128") == "6222021234567890128"
    assert canonical("EMAIL_ADDRESS", "Li@Example.com") == "li@example.com"
    assert canonical("PERSON", " John   Smith ") == "John Smith"


def test_placeholders_number_per_type_in_order() -> None:
    v = VaultState()
    assert [
        placeholder_for(v, t, x) for t, x in [("PERSON", "a"), ("PHONE_NUMBER", "1"), ("PERSON", "b")]
    ] == [
        "<PERSON_1>",
        "<PHONE_NUMBER_1>",
        "<PERSON_2>",
    ]
    assert placeholder_for(v, "PERSON", "a") == "<PERSON_1>"


def test_only_known_placeholders_are_found_and_restored() -> None:
    v = VaultState()
    placeholder_for(v, "PHONE_NUMBER", "13800138000")
    text = "<PHONE_NUMBER_1> ＜PHONE_NUMBER_1＞ <PHONE_NUMBER_2> <PHONE_NUMBER> MY_PHONE_NUMBER_1"
    assert [ph for _, _, ph in find_known(text, v)] == ["<PHONE_NUMBER_1>", "<PHONE_NUMBER_1>"]
    restored, counts = unmask(text, v)
    assert restored == "13800138000 13800138000 <PHONE_NUMBER_2> <PHONE_NUMBER> MY_PHONE_NUMBER_1"
    assert counts == {"PHONE_NUMBER": 2}


@pytest.mark.parametrize(
    ("text", "langs"),
    [
        ("信用卡怎么分期", ("zh",)),
        ("How do I pay my bill?", ("en",)),
        ("我的App登录不了", ("zh",)),
        ("您好，my name is John Smith", ("zh", "en")),
        ("13800138000", ("zh",)),
        ("我的邮箱是john.smith@example.com", ("zh",)),
    ],
)
def test_detect_languages(text: str, langs: tuple[str, ...]) -> None:
    assert detect_languages(text) == langs


def test_detect_languages_respects_what_is_loaded() -> None:
    assert detect_languages("How do I pay?", ("zh",)) == ("zh",)


def test_fold_width_keeps_offsets() -> None:
    text = "手机：１３８００１３８０００，ｍａｉｌ＠ｘ．ｃｏｍ"
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert folded.endswith("mail@x.com")


def test_resolve_overlaps() -> None:
    out = resolve_overlaps(
        [
            Candidate("PERSON", 0, 4, 0.85),
            Candidate("PERSON", 0, 10, 0.7),  # same type, overlapping: merged into 0..10
            Candidate("ACCOUNT_NUMBER", 20, 39, 0.8, 40),
            Candidate("CREDIT_CARD", 20, 39, 1.0, 85),  # same span, higher score: wins
            Candidate("PHONE_NUMBER", 50, 61, 0.75, 70),
            Candidate("LOCATION", 45, 55, 0.75, 30),  # equal score, lower priority: dropped
        ]
    )
    assert [(c.entity_type, c.start, c.end) for c in out] == [
        ("PERSON", 0, 10),
        ("CREDIT_CARD", 20, 39),
        ("PHONE_NUMBER", 50, 61),
    ]


def test_the_shipped_registry_loads_and_names_only_known_recognizers() -> None:
    spec = load_registry_spec()
    assert "CN_ID_CARD" in spec.entities
    assert "PHONE_NUMBER" in spec.entities
    names = {e.name for e in spec.recognizers}
    assert {n for n in names if not n.startswith("presidio:")} <= set(CATALOGUE)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("entities: [PERSON]\nrecognizers: [{name: nope, languages: [zh]}]", "unknown recognizer"),
        ("entities: [PERSON]\nrecognizers: [{name: cn_mobile, languages: [fr]}]", "unsupported languages"),
        ("entities: [PERSON]\nrecognizers: [{name: cn_mobile, languages: [zh], colour: red}]", "invalid"),
        ("entities: [PERSON]\nrecognizers: [{name: cn_mobile, languages: [zh], params: {a: 1}}]", "params"),
        ("entities: []\nrecognizers: [{name: cn_mobile, languages: [zh]}]", "invalid"),
        ("recognizers: [", "cannot read"),
    ],
)
def test_bad_registry_files_fail_loudly(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RecognizerConfigError, match=message):
        load_registry_spec(path)


def test_registry_overrides_reach_the_recognizer(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "entities: [PHONE_NUMBER]\nrecognizers:\n"
        "  - {name: cn_mobile, languages: [zh], context: [热线], negative_context: [工号]}\n"
        "  - {name: cn_landline, languages: [zh], enabled: false}\n",
        encoding="utf-8",
    )
    [mobile] = build_recognizers(load_registry_spec(path), ["zh", "en"])
    assert mobile.supported_language == "zh"
    assert [r.score for r in mobile.analyze("工号13800138000", [])] == [pytest.approx(0.15)]
    assert [r.score for r in mobile.analyze("热线13800138000", [])] == [pytest.approx(1.0)]


def test_no_kefu_recognizer_shadows_a_presidio_class_name() -> None:
    """Presidio's default registry finds recognizer classes by name among all subclasses: a kefu class
    called ``IbanRecognizer`` once replaced Presidio's in the *default* engine the benchmarks compare to."""
    from presidio_analyzer import EntityRecognizer

    def subclasses(cls: type) -> set[type]:
        out = set(cls.__subclasses__())
        for sub in cls.__subclasses__():
            out |= subclasses(sub)
        return out

    names = [c.__name__ for c in subclasses(EntityRecognizer)]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_reprs_of_results_never_show_clear_values() -> None:
    from privacy.types import OutputCheck, ScanReport

    check = OutputCheck(masked="a <PHONE_NUMBER_1>", restored="a 13800138000", leaked={})
    report = ScanReport("flag", "flagged", {"PHONE_NUMBER": 1}, [], ["call 13800138000"])
    v = VaultState()
    placeholder_for(v, "PHONE_NUMBER", "13800138000")
    for obj in (check, report, v):
        assert "13800138000" not in repr(obj)
