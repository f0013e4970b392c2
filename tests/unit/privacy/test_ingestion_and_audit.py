"""Ingestion scans under flag / mask / reject, and the audit data of turns and reveals (never values)."""

from __future__ import annotations

import datetime as dt

import pytest

from privacy.audit import audit_event, log_fields, reveal, reveal_event, turn_audit
from privacy.errors import DocumentHasPII, UnknownPlaceholder
from privacy.ingestion import pieces, scan_document
from privacy.masker import PresidioMasker
from privacy.types import VaultState

DOC = "网点营业时间：9:00-17:00。\n客户经理王经理，手机13800138000。\n投诉邮箱 complaints@bank.example.com\n"


def test_pieces_cover_the_text_and_cut_at_line_ends() -> None:
    text = ("第一行内容" * 30 + "\n") * 20
    parts = list(pieces(text, size=400))
    assert "".join(p for _, p in parts) == text
    assert all(len(p) <= 400 for _, p in parts)
    assert all(p.endswith("\n") for _, p in parts[:-1])
    assert [o for o, _ in parts] == [sum(len(p) for _, p in parts[:i]) for i in range(len(parts))]


def test_pieces_without_line_ends_cut_at_spaces() -> None:
    text = "word " * 300
    assert all(p.endswith(" ") for _, p in list(pieces(text, size=100))[:-1])


@pytest.mark.models
def test_flag_reports_types_counts_and_lines_but_keeps_the_text(masker: PresidioMasker) -> None:
    report = scan_document(masker, DOC, policy="flag", labels=["page 1"])
    assert report.decision == "flagged"
    assert report.counts == {"PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}
    assert [(loc.entity_type, loc.line, loc.section) for loc in report.locations] == [
        ("PHONE_NUMBER", 2, "page 1"),
        ("EMAIL_ADDRESS", 3, "page 1"),
    ]
    assert report.texts == [DOC]
    assert "13800138000" not in repr(report.locations)
    assert "complaints@" not in repr(report.locations)


@pytest.mark.models
def test_mask_replaces_values_with_irreversible_markers(masker: PresidioMasker) -> None:
    report = scan_document(masker, [DOC, "没有个人信息的第二页"], policy="mask")
    assert report.decision == "masked"
    assert report.total == 2
    assert report.texts[0] == DOC.replace("13800138000", "<PHONE_NUMBER>").replace(
        "complaints@bank.example.com", "<EMAIL_ADDRESS>"
    )
    assert report.texts[1] == "没有个人信息的第二页"


@pytest.mark.models
def test_reject_raises_with_the_report(masker: PresidioMasker) -> None:
    with pytest.raises(DocumentHasPII) as info:
        scan_document(masker, DOC, policy="reject")
    assert info.value.code == "document_has_pii"
    assert info.value.report is not None
    assert info.value.report.decision == "rejected"
    assert info.value.report.texts == []
    assert "13800138000" not in str(info.value)


@pytest.mark.models
def test_a_clean_document_passes_every_policy(masker: PresidioMasker) -> None:
    for policy in ("flag", "mask", "reject"):
        report = scan_document(masker, "信用卡年费标准：普卡免年费。", policy=policy)  # type: ignore[arg-type]
        assert report.decision == "clean"
        assert report.texts == ["信用卡年费标准：普卡免年费。"]


@pytest.mark.models
def test_turn_audit_carries_types_counts_and_decisions_only(masker: PresidioMasker) -> None:
    vault = VaultState()
    masked = masker.mask("我叫张三，手机13800138000", vault)
    check = masker.check_output("<PERSON_1>您好，另一位客户的手机13912345678。", vault)
    audit = turn_audit(masked, check, mask_ms=3.14159, check_ms=2.5)
    assert audit.input_counts == {"PERSON": 1, "PHONE_NUMBER": 1}
    assert audit.output_leaked == {"PHONE_NUMBER": 1}
    assert audit.output_restored == {"PERSON": 1}
    assert audit.decisions == ("input_masked", "output_leak_masked", "output_restored")
    fields, event = log_fields(audit), audit_event(audit)
    assert fields["pii_input_total"] == 2
    assert fields["pii_leaked_total"] == 1
    assert fields["pii_mask_ms"] == 3.14
    for blob in (repr(audit), repr(fields), repr(event)):
        assert "张三" not in blob
        assert "13800138000" not in blob
        assert "13912345678" not in blob


def test_a_turn_without_pii_is_clean() -> None:
    assert turn_audit(None, None).decisions == ("clean",)


def test_reveal_returns_the_value_and_an_event_without_it() -> None:
    vault = VaultState(by_placeholder={"<PHONE_NUMBER_1>": "13800138000"}, counters={"PHONE_NUMBER": 1})
    at = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    value, event = reveal(
        vault, "<PHONE_NUMBER_1>", actor="agent-7", conversation_id="c1", reason="callback", now=at
    )
    assert value == "13800138000"
    payload = reveal_event(event)
    assert payload == {
        "kind": "privacy.reveal",
        "actor": "agent-7",
        "conversation_id": "c1",
        "placeholder": "<PHONE_NUMBER_1>",
        "entity_type": "PHONE_NUMBER",
        "at": "2025-01-02T03:04:05+00:00",
        "reason": "callback",
    }
    assert "13800138000" not in repr(event)


def test_reveal_of_a_foreign_or_malformed_placeholder_fails() -> None:
    vault = VaultState(by_placeholder={"<PHONE_NUMBER_1>": "13800138000"})
    for ph in ("<PHONE_NUMBER_2>", "PHONE_NUMBER_1", "<PHONE_NUMBER>"):
        with pytest.raises(UnknownPlaceholder):
            reveal(vault, ph, actor="agent-7", conversation_id="c1")
    with pytest.raises(ValueError, match="actor"):
        reveal(vault, "<PHONE_NUMBER_1>", actor="", conversation_id="c1")
