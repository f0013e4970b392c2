"""The SGD harness: loading schemas and dialogues, and scoring the LLM tracker turn by turn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dialog.evaluation.sgd import (
    GoldTurn,
    ServiceSchema,
    SgdDialogue,
    build_trackers,
    intent_set,
    load_dialogues,
    load_schemas,
    normalise,
    run_sgd,
    snake,
)
from dialog.testing import hash_embed
from dialog.tracker_llm import SlotSpec

SCHEMA = ServiceSchema(
    "Banks_2",
    "Manage bank accounts",
    (("CheckBalance", "Get the balance of an account"), ("TransferMoney", "Transfer money to another user")),
    (
        SlotSpec("account_type", "The user's account type", ("checking", "savings")),
        SlotSpec("transfer_amount", "The amount of money to transfer"),
        SlotSpec("recipient_name", "The name of the recipient"),
    ),
)
DIALOGUE = SgdDialogue(
    "d1",
    "Banks_2",
    (
        GoldTurn("What's my balance?", "", "check_balance", {}),
        GoldTurn("In checking.", "In checking or savings?", "check_balance", {"account_type": ("checking",)}),
        GoldTurn("Send $50 to Amir", "Anything else?", "transfer_money",
                 {"account_type": ("checking",), "transfer_amount": ("$50", "50 dollars"), "recipient_name": ("Amir",)}),
    ),
)  # fmt: skip


def test_names_and_values() -> None:
    assert snake("CheckBalance") == "check_balance"
    assert snake("MakePayment") == "make_payment"
    assert normalise("$1,200.00") == "1200"
    assert normalise("50 dollars") == normalise("$50") == "50"
    assert normalise("Amir.") == "amir"
    assert intent_set(SCHEMA).names == ["check_balance", "transfer_money"]


async def test_scores_intent_and_cumulative_slots() -> None:
    answers = [
        {"intent": "check_balance", "slots": []},
        {"intent": "check_balance", "slots": [{"name": "account_type", "value": "savings"}]},  # wrong value
        {"intent": "transfer_money", "slots": [{"name": "account_type", "value": "checking"},
                                               {"name": "transfer_amount", "value": "50 dollars"},
                                               {"name": "recipient_name", "value": "Amir"}]},
    ]  # fmt: skip
    seen: list[list[dict[str, str]]] = []

    async def call(messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        seen.append(messages)
        a = answers.pop(0)
        return {"confidence": 90, "standalone_query": "q", "frustration": 0, "wants_human": False, **a}

    trackers = build_trackers({"Banks_2": SCHEMA}, call, hash_embed)
    report = await run_sgd([DIALOGUE], trackers)
    m = report.metrics()
    assert m["turns"] == 3
    assert m["active_intent_accuracy"] == 1.0
    # turn 2: savings vs checking (fp + fn); turn 3: three right. tp=3 fp=1 fn=1
    assert (report.slot_tp, report.slot_fp, report.slot_fn) == (3, 1, 1)
    assert m["slot_f1"] == pytest.approx(0.75)
    assert m["joint_goal_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["degraded_turns"] == 0
    assert "System" not in seen[1][1]["content"]
    assert "Assistant: In checking or savings?" in seen[1][1]["content"]
    assert "Customer: What's my balance?" in seen[1][1]["content"]


async def test_a_failing_model_is_counted_as_degraded() -> None:
    async def down(messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        raise ConnectionError("no server")

    report = await run_sgd([DIALOGUE], build_trackers({"Banks_2": SCHEMA}, down, hash_embed))
    assert report.metrics()["degraded_turns"] == 3


SGD = Path(os.environ.get("EVAL_DATA_DIR", "../shared/data")) / "sgd"


@pytest.mark.eval
@pytest.mark.skipif(not (SGD / "dev" / "schema.json").is_file(), reason=f"SGD data not found under {SGD}")
def test_loads_the_unseen_banking_services() -> None:
    schemas = load_schemas(SGD)
    assert set(schemas) == {"Banks_2", "Payment_1"}
    assert {s.name for s in schemas["Banks_2"].slots} >= {"account_type", "transfer_amount", "recipient_name"}
    dialogues = load_dialogues(SGD)
    by_service = {d.service for d in dialogues}
    assert by_service == {"Banks_2", "Payment_1"}
    assert len(dialogues) == 20 + 22 + 36
    first = next(d for d in dialogues if d.service == "Banks_2")
    assert first.turns[0].active_intent in {"check_balance", "transfer_money"}
