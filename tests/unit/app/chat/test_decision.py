"""The turn's decision is one pure function of the policy's decision and what generation returned."""

from __future__ import annotations

import pytest

from app.answering.generation import Generated
from app.chat.decision import after_action_refusal, answers_first, generates, settle, with_handoff_notice
from dialog.protocols import Decision

ANSWER = Decision("answer")
URGENT = Decision("handoff", "urgent_topic", message="A colleague will take over.")
PLAIN = Generated(masked="Fee is 10 [1]", restored="Fee is 10 [1]", cited=[(1, "c1")], model="m")


@pytest.mark.parametrize(
    ("decision", "good_enough", "first", "runs"),
    [
        (ANSWER, True, False, True),
        (ANSWER, False, False, True),  # the policy said answer: generation runs whatever the signal
        (Decision("answer", "smalltalk", message="Hi!"), True, False, False),  # canned
        (URGENT, True, True, True),
        (URGENT, False, False, False),  # nothing good to say first: the notice alone
        (Decision("handoff", "explicit_request", message="..."), True, False, False),
        (Decision("dont_know", "no_answer", message="..."), True, False, False),
        (Decision("clarify", "missing_slot", clarify_slot="card_type", message="?"), True, False, False),
    ],
)
def test_what_runs(decision: Decision, good_enough: bool, first: bool, runs: bool) -> None:
    assert answers_first(decision, good_enough=good_enough) is first
    assert generates(decision, good_enough=good_enough) is runs


@pytest.mark.parametrize(
    ("generated", "expected"),
    [
        (PLAIN, ANSWER),
        (
            Generated(masked="x", restored="x", reason="llm_unavailable", handoff=True),
            Decision("handoff", "llm_unavailable", message="x"),
        ),
        (
            Generated(masked="half…", restored="half…", reason="llm_interrupted"),
            Decision("handoff", "llm_interrupted", message="half…"),
        ),
        (Generated(masked="n/a", restored="n/a", no_answer=True), Decision("dont_know", "model_no_answer")),
        (
            Generated(masked="q", restored="q", reason="llm_fallback", no_answer=True),
            Decision("dont_know", "llm_fallback"),
        ),
        (
            Generated(masked="q [1]", restored="q [1]", reason="llm_unsupported"),
            Decision("answer", "llm_unsupported"),
        ),
        (
            Generated(masked="a [1]", restored="a [1]", reason="answer_cache"),
            Decision("answer", "answer_cache"),
        ),
    ],
)
def test_generation_overrules_the_policy(generated: Generated, expected: Decision) -> None:
    assert settle(ANSWER, generated, answered_first=False) == expected


def test_urgent_answer_keeps_the_handoff_and_appends_the_notice() -> None:
    notice, reply = with_handoff_notice(PLAIN, URGENT)
    assert notice == "\n\nA colleague will take over."
    assert reply.masked == PLAIN.masked + notice
    assert reply.restored == PLAIN.restored + notice
    assert reply.cited == PLAIN.cited
    # even a generation that would hand off on its own leaves the policy's urgent handoff as it is
    interrupted = Generated(masked="x", restored="x", reason="llm_interrupted")
    assert settle(URGENT, interrupted, answered_first=True) == URGENT


def test_an_action_refusal_after_the_kbs_answer() -> None:
    """An unverified customer's request: the refusal decides, unless the policy hands off too (a lost card),
    when the policy's notice stands; with no answer from the KB the reply is the refusal alone."""
    refusal = Decision("answer", "action_unverified", message="Please sign in.")
    lost = Decision("handoff", "urgent_topic", message="Please sign in, or ask for an agent.")
    urgent = Decision("handoff", "urgent_topic", message="Connecting you now.")
    plain = Decision("answer")
    assert after_action_refusal(plain, refusal) is refusal
    assert after_action_refusal(urgent, refusal) is refusal
    assert after_action_refusal(plain, lost) is lost
    assert after_action_refusal(urgent, lost) is urgent

    found = Generated(masked="Freeze it in the app. [1]", restored="Freeze it in the app. [1]")
    nothing = Generated(masked="Sorry.", restored="Sorry.", no_answer=True)
    assert with_handoff_notice(found, refusal, alone_without_answer=True)[1].restored == (
        "Freeze it in the app. [1]\n\nPlease sign in."
    )
    notice, alone = with_handoff_notice(nothing, refusal, alone_without_answer=True)
    assert (notice, alone.restored, alone.no_answer) == ("\n\nPlease sign in.", "Please sign in.", False)
    assert (
        with_handoff_notice(nothing, refusal)[1].restored == "Sorry.\n\nPlease sign in."
    )  # urgent: as before
