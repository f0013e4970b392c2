"""The streaming guard: no value split across chunks ever reaches the customer in clear."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacy.masker import PresidioMasker
from privacy.protocols import StreamGuard
from privacy.stream import SentenceStreamGuard
from privacy.types import Finding, OutputCheck, VaultState

pytestmark = pytest.mark.models

OWN, OTHER = "13800138000", "13912345678"
_REPLY = (
    "已为您登记，回电号码<PHONE_NUMBER_1>。如需转账请联系王经理，手机13912345678，"
    "邮箱 wang@corp.example.com。请勿向他人透露卡号6222021234567890128。谢谢！"
)


def _vault(masker: PresidioMasker) -> VaultState:
    vault = VaultState()
    masker.mask(f"我的手机{OWN}", vault)
    return vault


def _stream(masker: PresidioMasker, vault: VaultState, chunks: list[str]) -> tuple[list[str], str]:
    guard = masker.stream_guard(vault)
    assert isinstance(guard, StreamGuard)
    emitted = [guard.feed(c) for c in chunks]
    rest, check = guard.finish()
    emitted.append(rest)
    assert "".join(emitted) == check.restored
    return emitted, check.masked


def test_a_leaked_number_split_across_tokens_is_masked(masker: PresidioMasker) -> None:
    vault = _vault(masker)
    chunks = ["好的，", "另一位客户的号码是139", "1234", "5678，请", "勿外传。", "还有问题吗？"]
    emitted, masked = _stream(masker, vault, chunks)
    text = "".join(emitted)
    assert OTHER not in text
    assert all(part not in e for e in emitted for part in ("1391234", "12345678"))
    assert text == "好的，另一位客户的号码是<PHONE_NUMBER>，请勿外传。还有问题吗？"
    assert masked == text


def test_a_placeholder_split_across_tokens_is_restored_whole(masker: PresidioMasker) -> None:
    vault = _vault(masker)
    guard = masker.stream_guard(vault)
    assert guard.feed("验证码已发送到<PHONE_") == ""  # partial placeholder held back
    assert guard.feed("NUM") == ""
    assert guard.feed("BER_1>，请查收。") == f"验证码已发送到{OWN}，请查收。"
    rest, check = guard.finish()
    assert rest == ""
    assert check.masked == "验证码已发送到<PHONE_NUMBER_1>，请查收。"
    assert check.restored_counts == {"PHONE_NUMBER": 1}


def test_text_is_released_at_sentence_ends(masker: PresidioMasker) -> None:
    guard = masker.stream_guard(VaultState())
    assert guard.feed("Your request was received") == ""
    assert guard.feed(". We will reply") == "Your request was received."
    assert guard.feed(" soon!") == " We will reply soon!"
    assert guard.finish()[0] == ""


def test_abbreviations_do_not_cut_a_name(masker: PresidioMasker) -> None:
    guard = masker.stream_guard(VaultState())
    out = guard.feed("Please ask Mr. ")
    out += guard.feed("John Smith about it. ")
    rest, check = guard.finish()
    assert "Smith" not in out + rest
    assert check.leaked == {"PERSON": 1}


@pytest.mark.parametrize("seed", range(12))
def test_random_chunking_never_emits_a_clear_foreign_value(masker: PresidioMasker, seed: int) -> None:
    vault = _vault(masker)
    reply = (
        "您好<PHONE_NUMBER_1>用户，您的分期已办理。如需帮助请联系客户经理，"
        f"她的手机是{OTHER}，邮箱 manager.li@bank.example.com，"
        "身份证110101199003074514请不要外传。谢谢！"
    )
    rng = random.Random(seed)
    chunks, i = [], 0
    while i < len(reply):
        n = rng.randint(1, 6)
        chunks.append(reply[i : i + n])
        i += n
    emitted, _ = _stream(masker, vault, chunks)
    text = "".join(emitted)
    for secret in (OTHER, "manager.li@bank.example.com", "110101199003074514"):
        assert secret not in text
    # No emitted piece ends in the middle of a value: every digit run in the output is complete.
    assert text.startswith(f"您好{OWN}用户")
    assert "<PHONE_NUMBER>" in text
    assert "<EMAIL_ADDRESS>" in text
    assert "<CN_ID_CARD>" in text


def test_long_text_without_boundaries_is_released_without_cutting_values(masker: PresidioMasker) -> None:
    guard = masker.stream_guard(VaultState())
    body = "这是一段没有标点的很长的说明" * 12 + f"联系{OTHER}" + "之后还有很多文字" * 6
    out = "".join(guard.feed(body[i : i + 3]) for i in range(0, len(body), 3))
    assert out, "past max_chars something must be released"
    rest, _ = guard.finish()
    assert OTHER not in out + rest
    assert "<PHONE_NUMBER>" in out + rest


def test_finish_twice_and_feed_after_finish_raise(masker: PresidioMasker) -> None:
    guard = masker.stream_guard(VaultState())
    guard.finish()
    with pytest.raises(RuntimeError):
        guard.finish()
    with pytest.raises(RuntimeError):
        guard.feed("x")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(_REPLY) - 1), max_size=25))
def test_any_chunking_keeps_foreign_values_out(masker: PresidioMasker, cuts: list[int]) -> None:
    vault = _vault(masker)
    bounds = [0, *sorted(set(cuts)), len(_REPLY)]
    chunks = [_REPLY[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    emitted, masked = _stream(masker, vault, chunks)
    text = "".join(emitted)
    for secret in (OTHER, "wang@corp.example.com", "6222021234567890128"):
        assert secret not in text
        assert secret not in masked
    assert OWN in text  # this conversation's own number is restored


class _CountingMasker:
    """The real masker, counting the calls that run the detectors."""

    def __init__(self, inner: PresidioMasker) -> None:
        self._inner = inner
        self.calls = 0

    def analyze(self, text: str, lang: str | None = None) -> list[Finding]:
        self.calls += 1
        return self._inner.analyze(text, lang)

    def check_output(
        self, text: str, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> OutputCheck:
        self.calls += 1
        return self._inner.check_output(text, vault, lang, allowed_text=allowed_text)


@pytest.mark.parametrize("size", [1, 2, 3, 7])
@pytest.mark.parametrize(
    "reply",
    [
        _REPLY,
        "Thanks, Mr. Smith. Call 415-555-0100 today, or write to jane.doe@corp.example.com; we reply "
        "within two days " + "and keep your card details private " * 6,
    ],
)
def test_needs_check_says_exactly_when_feed_runs_the_check(
    masker: PresidioMasker, reply: str, size: int
) -> None:
    counting = _CountingMasker(masker)
    vault = _vault(masker)
    guard = SentenceStreamGuard(counting, vault, None)  # type: ignore[arg-type]
    plain = masker.stream_guard(vault)
    for i in range(0, len(reply), size):
        chunk = reply[i : i + size]
        pending, before = guard.pending, counting.calls
        needed = guard.needs_check(chunk)
        assert guard.pending == pending  # asking changes nothing
        assert counting.calls == before
        out = guard.feed(chunk)
        assert (counting.calls > before) == needed
        if not needed:
            assert out == ""
        assert out == plain.feed(chunk)  # the same release as a guard never asked
    assert guard.finish() == plain.finish()
    assert guard.needs_check("x")  # after finish: feed raises, so the caller must go through it
