"""Reversible masking with the real engine: round trips, stable placeholders, isolation, output checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy.config import PrivacyConfig
from privacy.errors import MaskerNotReady
from privacy.masker import PresidioMasker
from privacy.protocols import PiiMasker
from privacy.types import VaultState

pytestmark = pytest.mark.models

PHONE, ID, CARD = "13800138000", "110101199003074514", "6222021234567890128"


def test_is_a_pii_masker(masker: PresidioMasker) -> None:
    assert isinstance(masker, PiiMasker)


def test_round_trip_through_an_llm_like_rewrite(masker: PresidioMasker) -> None:
    vault = VaultState()
    question = f"我叫张三，手机{PHONE}，身份证{ID}，卡号{CARD}的账单怎么分期？"
    masked = masker.mask(question, vault)
    for value in ("张三", PHONE, ID, CARD):
        assert value not in masked.text
    assert masked.text == (
        "我叫<PERSON_1>，手机<PHONE_NUMBER_1>，身份证<CN_ID_CARD_1>，卡号<CREDIT_CARD_1>的账单怎么分期？"
    )
    # What a model does with placeholders: reorders them, drops some, changes the wording around them.
    reply = "<PERSON_1>您好！卡号<CREDIT_CARD_1>可以在App办理分期，验证码会发到<PHONE_NUMBER_1>。"
    assert masker.unmask(reply, vault) == f"张三您好！卡号{CARD}可以在App办理分期，验证码会发到{PHONE}。"


def test_findings_carry_offsets_into_the_original_and_no_values(masker: PresidioMasker) -> None:
    text = f"call {PHONE} now"
    result = masker.mask(text, VaultState())
    [f] = result.findings
    assert (text[f.start : f.end], f.placeholder) == (PHONE, "<PHONE_NUMBER_1>")
    assert PHONE not in repr(result.findings)
    assert result.counts() == {"PHONE_NUMBER": 1}


def test_placeholders_are_stable_across_turns_and_spellings(masker: PresidioMasker) -> None:
    vault = VaultState()
    t1 = masker.mask(f"手机{PHONE}，邮箱 a.b@example.com", vault).text
    t2 = masker.mask("换个号码13912345678，原来的138-0013-8000停用了", vault).text
    t3 = masker.mask("My email is A.B@example.com and phone +86 138 0013 8000", vault).text
    assert t1 == "手机<PHONE_NUMBER_1>，邮箱 <EMAIL_ADDRESS_1>"
    assert t2 == "换个号码<PHONE_NUMBER_2>，原来的<PHONE_NUMBER_1>停用了"
    assert t3 == "My email is <EMAIL_ADDRESS_1> and phone <PHONE_NUMBER_1>"
    assert vault.counters == {"PHONE_NUMBER": 2, "EMAIL_ADDRESS": 1}


def test_a_value_from_conversation_a_is_never_restored_in_conversation_b(masker: PresidioMasker) -> None:
    vault_a, vault_b = VaultState(), VaultState()
    masker.mask(f"我的手机{PHONE}", vault_a)
    masker.mask("我的手机13912345678", vault_b)
    # B's model output names A's placeholder and (as if leaked from the KB) A's number in clear.
    check = masker.check_output(f"请拨打<PHONE_NUMBER_1>或{PHONE}", vault_b)
    assert PHONE not in check.restored
    assert PHONE not in check.masked
    assert check.restored == "请拨打13912345678或<PHONE_NUMBER>"
    assert check.leaked == {"PHONE_NUMBER": 1}
    # And an unknown placeholder is left alone, never resolved against another vault.
    assert masker.unmask("<PHONE_NUMBER_2>", vault_b) == "<PHONE_NUMBER_2>"


def test_output_check_restores_sloppy_placeholders_of_this_conversation(masker: PresidioMasker) -> None:
    vault = VaultState()
    masker.mask(f"手机{PHONE}，邮箱 li@example.com", vault)
    check = masker.check_output("已发送到＜PHONE_NUMBER_1＞和< EMAIL_ADDRESS_1 >，PHONE_NUMBER_1 确认", vault)
    assert check.masked == "已发送到<PHONE_NUMBER_1>和<EMAIL_ADDRESS_1>，<PHONE_NUMBER_1> 确认"
    assert check.restored == f"已发送到{PHONE}和li@example.com，{PHONE} 确认"
    assert check.leaked == {}
    assert check.restored_counts == {"PHONE_NUMBER": 2, "EMAIL_ADDRESS": 1}


def test_output_check_masks_pii_leaked_from_the_knowledge_base(masker: PresidioMasker) -> None:
    vault = VaultState()
    reply = "根据资料，客户王五的身份证110101199003074514，联系邮箱wang5@example.com。"
    check = masker.check_output(reply, vault)
    assert "110101199003074514" not in check.restored
    assert "wang5@example.com" not in check.restored
    assert (
        check.masked == check.restored == "根据资料，客户王五的身份证<CN_ID_CARD>，联系邮箱<EMAIL_ADDRESS>。"
    )
    assert check.leaked == {"CN_ID_CARD": 1, "EMAIL_ADDRESS": 1}
    assert vault.by_placeholder == {}  # leaked values never enter the vault


def test_the_customers_own_value_in_an_output_is_theirs(masker: PresidioMasker) -> None:
    vault = VaultState()
    masker.mask(f"手机{PHONE}", vault)
    check = masker.check_output(f"我们会致电{PHONE}", vault)
    assert check.masked == "我们会致电<PHONE_NUMBER_1>"
    assert check.restored == f"我们会致电{PHONE}"
    assert check.leaked == {}


def test_placeholders_in_input_are_not_masked_again(masker: PresidioMasker) -> None:
    vault = VaultState()
    once = masker.mask(f"My name is John Smith, phone {PHONE}", vault).text
    assert masker.mask(once, vault).text == once


def test_redact_is_irreversible(masker: PresidioMasker) -> None:
    result = masker.redact(f"客户张三的手机 {PHONE}")
    assert result.text == "客户张三的手机 <PHONE_NUMBER>"


def test_nothing_runs_before_warm_up(tmp_path: Path) -> None:
    cold = PresidioMasker(PrivacyConfig(languages=["zh"]), tmp_path)
    with pytest.raises(MaskerNotReady):
        cold.analyze("13800138000")
    with pytest.raises(MaskerNotReady):
        cold.mask("13800138000", VaultState())


def test_empty_text(masker: PresidioMasker) -> None:
    assert masker.analyze("") == []
    assert masker.mask("", VaultState()).text == ""


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("whats the max late fee on a credit card", "whats the max late fee on a credit card"),
        (
            "max i can send abroad in the app per remittance",
            "max i can send abroad in the app per remittance",
        ),
        ("can i pay my bill by cash", "can i pay my bill by cash"),
        ("my name is max", "my name is <PERSON_1>"),  # a name cue before it: a name
        ("I am Max Chen and my card is lost", "I am <PERSON_1> and my card is lost"),
    ],
)
def test_an_everyday_word_that_is_also_a_name_is_not_masked_without_a_name_cue(
    masker: PresidioMasker, text: str, masked: str
) -> None:
    """spaCy's English NER reads "max" in "whats the max late fee" as a person; masking it left the
    question without its subject and the customer without an answer."""
    assert masker.mask(text, VaultState()).text == masked
