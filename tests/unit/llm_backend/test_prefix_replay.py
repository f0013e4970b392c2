"""The prefix-cache bench's pure parts: where a turn's prompt first differs, and the block-cache model."""

from __future__ import annotations

from llm_backend.evaluation.prefix_replay import PrefixReport, TurnStat, first_change, simulate_block_cache
from llm_backend.types import ChatMessage

SYSTEM = ChatMessage("system", "policy")
BLOCK = "Reference passages:\n<passages>\n[1] a\n\n[2] b\n</passages>"


def test_first_change_names_the_part_that_moved() -> None:
    turn1 = [SYSTEM, ChatMessage("user", BLOCK), ChatMessage("user", "q1")]
    history = [ChatMessage("user", "q1"), ChatMessage("assistant", "a1")]
    same = [SYSTEM, ChatMessage("user", BLOCK), *history, ChatMessage("user", "q2")]
    assert first_change(turn1, same) == "none"
    appended = [SYSTEM, ChatMessage("user", BLOCK.replace("</passages>", "\n[3] c\n</passages>")), *history]
    assert first_change(turn1, appended) == "passages appended"
    changed = [SYSTEM, ChatMessage("user", BLOCK.replace("[2] b", "[2] z")), *history]
    assert first_change(turn1, changed) == "passages changed"
    turn2 = [*same]
    trimmed = [SYSTEM, ChatMessage("user", BLOCK), ChatMessage("user", "q2"), ChatMessage("user", "q3")]
    assert first_change(turn2, trimmed) == "history"
    assert first_change(turn1, [ChatMessage("system", "other"), *turn1[1:]]) == "system"
    assert first_change([], turn1) == "first turn"


def test_first_change_in_the_append_layout_is_none_unless_earlier_turns_were_trimmed() -> None:
    turn1 = [SYSTEM, ChatMessage("user", BLOCK + "\n\n<question>\nq1\n</question>")]
    turn2 = [*turn1, ChatMessage("assistant", "a1"), ChatMessage("user", BLOCK.replace("[1]", "[3]") + "q2")]
    assert first_change(turn1, turn2) == "none"
    trimmed = [SYSTEM, turn2[-1], ChatMessage("assistant", "a2"), ChatMessage("user", "q3")]
    assert first_change(turn2, trimmed) == "history"


def _turn(prompt: list[int], output: list[int]) -> TurnStat:
    return TurnStat("kefu", 1, len(prompt), 0, 0.0, 0.0, prompt_ids=prompt, output_ids=output)


def test_block_cache_model_serves_full_blocks_of_earlier_prompts_and_answers() -> None:
    first = list(range(40))
    answer = list(range(100, 110))  # 10 tokens; the last one's KV is never computed
    follow_up = [*first, *answer, *range(200, 230)]
    other = [0, 1, 2, 99, *range(60)]
    turns = [_turn(first, answer), _turn(follow_up, [7]), _turn(other, [7]), _turn(first, [7])]
    assert simulate_block_cache(turns, 16) == [0, 48, 0, 32]  # 49 shared tokens -> 3 full blocks
    assert simulate_block_cache(turns, 32) == [0, 32, 0, 32]
    assert simulate_block_cache([_turn(first, []), _turn(first[:32], [])], 16) == [
        0,
        16,
    ]  # never the last token


def test_simulated_report_reads_its_cached_tokens_from_the_model() -> None:
    turns = [_turn(list(range(40)), [1, 2]), _turn(list(range(40)) + [5] * 20, [3])]
    turns[1].turn = 2
    report = PrefixReport(turns, block_size=16).simulated(16)
    assert [t.cached_tokens for t in report.turns] == [0, 32]
    usage, metrics, n = report.rate("kefu", first=False)
    assert (n, usage, metrics) == (1, 32 / 60, 32 / 60)
