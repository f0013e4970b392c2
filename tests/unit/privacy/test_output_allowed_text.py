"""The output check and the KB passages (issue 11): a name or place (the types the ingestion scan leaves
in KB text) that a passage holds verbatim is the bank's own text and passes; the same type not in the
passages, and an identifier even when a passage holds it, are redacted and counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy.config import PrivacyConfig
from privacy.placeholders import output_check, placeholder_for
from privacy.stream import SentenceStreamGuard
from privacy.testing import RegexMasker
from privacy.types import Finding, VaultState

SKIP = PrivacyConfig().ingestion_skip_types  # PERSON, LOCATION: what the app passes
PASSAGES = (
    "营业时间为9:00-17:00，滨海区海港大道1号机场支行除外（至22:00）。",
    "All branches close at 17:00, except at Airport Sub-branch (until 22:00). Call 13800138000.",
)


def _finding(text: str, value: str, etype: str) -> Finding:
    start = text.index(value)
    return Finding(etype, start, start + len(value), 0.9)


@pytest.mark.parametrize(
    ("text", "value", "etype", "passes"),
    [
        ("Open late except at Airport Sub-branch.", "Airport Sub-branch", "LOCATION", True),
        ("请前往滨海区海港大道1号办理。", "滨海区海港大道1号", "LOCATION", True),
        ("Open late at Harbour Road Branch.", "Harbour Road Branch", "LOCATION", False),
        ("请前往朝阳区建国路88号办理。", "朝阳区建国路88号", "LOCATION", False),
        ("Call 13800138000 for help.", "13800138000", "PHONE_NUMBER", False),  # in a passage: still out
        ("王小明的账户已冻结。", "王小明", "PERSON", False),  # another customer's name
        ("Ask at Airport Sub-branch.", "Airport Sub-branch", "PERSON", True),  # the type only gates
        ("Ask at Airport Sub-branch.", "Airport Sub-branch", "NRP", False),  # not a skipped type
    ],
)
def test_only_skipped_types_found_verbatim_in_the_passages_pass(
    text: str, value: str, etype: str, passes: bool
) -> None:
    check = output_check(
        text, VaultState(), [_finding(text, value, etype)], allowed_text=PASSAGES, allowed_types=SKIP
    )
    if passes:
        assert check.masked == check.restored == text
        assert check.leaked == {}
    else:
        assert value not in check.masked
        assert value not in check.restored
        assert f"<{etype}>" in check.restored
        assert check.leaked == {etype: 1}


def test_without_passages_a_place_is_redacted_as_before() -> None:
    text = "Open late except at Airport Sub-branch."
    check = output_check(text, VaultState(), [_finding(text, "Airport Sub-branch", "LOCATION")])
    assert check.restored == "Open late except at <LOCATION>."
    assert check.leaked == {"LOCATION": 1}


def test_this_conversations_own_values_still_become_their_placeholders() -> None:
    vault = VaultState()
    ph = placeholder_for(vault, "PHONE_NUMBER", "13800138000")
    text = "We will call 13800138000 from Airport Sub-branch."
    findings = [
        _finding(text, "13800138000", "PHONE_NUMBER"),
        _finding(text, "Airport Sub-branch", "LOCATION"),
    ]
    check = output_check(text, vault, findings, allowed_text=PASSAGES, allowed_types=SKIP)
    assert check.masked == f"We will call {ph} from Airport Sub-branch."
    assert check.restored == text
    assert check.leaked == {}


def test_the_stream_guard_passes_the_passages_to_every_segment_check() -> None:
    masker = RegexMasker({"Airport Sub-branch": "LOCATION", "Harbour Road Branch": "LOCATION"})
    reply = (
        "Most branches close at 17:00. Airport Sub-branch is open until 22:00, "
        "Harbour Road Branch until 20:00. Call 021 5555 01234 to check."
    )
    guard = SentenceStreamGuard(masker, VaultState(), "en", allowed_text=PASSAGES)  # type: ignore[arg-type]
    out = "".join(guard.feed(reply[i : i + 3]) for i in range(0, len(reply), 3))
    rest, check = guard.finish()
    out += rest
    assert out == check.restored
    assert "Airport Sub-branch is open" in out
    assert "Harbour Road Branch" not in out
    assert "<LOCATION> until 20:00" in out
    assert "5555" not in out
    assert check.leaked == {"LOCATION": 1, "PHONE_NUMBER": 1}


def test_the_fake_masker_guard_follows_the_same_rule() -> None:
    masker = RegexMasker({"Airport Sub-branch": "LOCATION"})
    guard = masker.stream_guard(VaultState(), "en", allowed_text=PASSAGES)
    guard.feed("Ask at Airport Sub-branch.")
    rest, check = guard.finish()
    assert rest == "Ask at Airport Sub-branch."
    assert check.leaked == {}
    plain = masker.check_output("Ask at Airport Sub-branch.", VaultState(), "en")
    assert plain.restored == "Ask at <LOCATION>."
    assert plain.leaked == {"LOCATION": 1}


@pytest.mark.parametrize(("skip", "passes"), [(["PERSON", "LOCATION"], True), (["PERSON"], False)])
def test_the_real_masker_reads_the_ingestion_skip_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skip: list[str], passes: bool
) -> None:
    from privacy.masker import PresidioMasker

    masker = PresidioMasker(PrivacyConfig(ingestion_skip_types=skip), tmp_path)
    text = "Ask at Airport Sub-branch."
    monkeypatch.setattr(
        masker, "analyze", lambda t, lang=None, **_: [_finding(t, "Airport Sub-branch", "LOCATION")]
    )
    check = masker.check_output(text, VaultState(), "en", allowed_text=PASSAGES)
    assert (check.restored == text) is passes
    assert check.leaked == ({} if passes else {"LOCATION": 1})
