"""A handoff across the two faces, in two browser contexts side by side: the customer types 转人工 in the
widget on /demo; the conversation appears in the agent console's queue (reason, waiting time) with its
context package; the agent edits the KB-grounded suggested reply and sends it; the customer's widget shows
it live (no reload); the agent returns the conversation to the bot and the bot answers again.

Real stack (one server for the tier, ``tests/e2e/server.py``): the context package and the suggested reply
come from the real retrieval over the demo FAQ, which is what an agent relies on. The LLM is the extractive
backend (deterministic, seconds on a loaded 2-vCPU runner); the LLM backends have their own tests.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from tests.e2e.server import MARKUP_QUESTION, MARKUP_SNIPPET, E2EServer
from tests.e2e.support import W, ask, conversation_id, open_widget

EDIT = "您好，我是人工客服小王。"


def test_handoff_agent_sends_an_edited_suggestion_the_customer_sees_it_live_then_back_to_bot(
    new_page: Callable[..., Any],
    e2e_server: E2EServer,
    agent_login: Callable[[Any], None],
    shot: Callable[[Any, str], Any],
) -> None:
    customer = new_page()
    open_widget(customer)
    ask(customer, "如何申请信用卡分期？")
    handoff = ask(customer, "转人工")
    customer.locator(f"{W} .panel[data-mode='waiting_agent']").wait_for()
    assert "转接人工客服" in customer.locator(f"{W} .log").inner_text()
    assert handoff.locator(".fb").count() == 0  # no thumbs on a handoff notice
    cid = conversation_id(customer)

    agent = new_page()
    agent_login(agent)
    item = agent.locator(f".queue-item[data-conversation='{cid}']")
    item.wait_for()
    assert "客户要求人工" in item.inner_text()  # the reason
    assert "已等待" in item.inner_text()  # the waiting time
    shot(agent, "console-queue")
    item.click()

    # The context package: reason, the customer's open question, the passage the bot cited.
    context = agent.locator("#apanel-context")
    context.get_by_text("客户要求人工", exact=True).wait_for()
    assert "如何申请信用卡分期" in context.inner_text()
    cited = context.locator("details.chunk")
    assert cited.count() >= 1
    cited.first.locator("summary").click()
    assert "登录海港银行App" in cited.first.inner_text()
    assert agent.locator("#conv-status").inner_text() == "等待人工"
    shot(agent, "console-context")

    # The suggested reply, grounded in the KB; the agent edits it and sends it.
    agent.get_by_role("tab", name="上下文").focus()
    agent.keyboard.press("ArrowRight")  # the assist tabs follow the arrow keys
    assert agent.get_by_role("tab", name="建议回复").get_attribute("aria-selected") == "true"
    agent.locator("#btn-suggest").click()
    box = agent.locator("#suggest-text")
    box.wait_for(timeout=60_000)
    suggested = box.input_value()
    assert "分期" in suggested, suggested
    assert agent.locator("#apanel-suggest .notice").count() == 0  # grounded: no "nothing reliable" warning
    box.fill(EDIT + suggested)
    shot(agent, "console-suggestion-edited")
    agent.locator("#btn-send-suggestion").click()

    # The customer's widget shows it live, without a reload.
    live = customer.locator(f"{W} .msg.agent").filter(has_text=EDIT)
    live.wait_for()
    assert "分期" in live.inner_text()
    customer.locator(f"{W} .panel[data-mode='agent']").wait_for()
    shot(customer, "widget-agent-live")

    agent.locator("#conv-status").filter(has_text="人工处理中").wait_for()
    agent.locator(".line.agent .bubble").filter(has_text=EDIT).wait_for()
    with sqlite3.connect(e2e_server.db_path) as db:
        rows = db.execute(
            "SELECT text FROM messages WHERE conversation_id = ? AND role = 'agent'", (cid,)
        ).fetchall()
    assert [r[0] for r in rows] == [EDIT + suggested]

    # Back to the bot: the customer is told, and the bot answers the next question with a citation.
    agent.locator("#btn-return").click()
    agent.locator("#conv-status").filter(has_text="机器人").wait_for()
    customer.locator(f"{W} .panel[data-mode='bot']").wait_for()
    assert "转回智能助手" in customer.locator(f"{W} .log").inner_text()
    again = ask(customer, "信用卡分期手续费是多少？")
    assert "0.75%" in again.locator(".text").inner_text()
    assert again.locator(".source").count() >= 1
    shot(customer, "widget-back-to-bot")
    with sqlite3.connect(e2e_server.db_path) as db:
        (status,) = db.execute("SELECT status FROM conversations WHERE id = ?", (cid,)).fetchone()
    assert status == "bot"


def test_kb_markup_is_text_in_the_console_context(
    new_page: Callable[..., Any], agent_login: Callable[[Any], None], shot: Callable[[Any, str], Any]
) -> None:
    """A KB passage quoting HTML appears in the context package and in KB search results as text, never
    as elements."""
    customer = new_page()
    open_widget(customer)
    ask(customer, MARKUP_QUESTION)
    customer.get_by_role("button", name="转接人工客服").click()  # the "talk to a human" button this time
    customer.locator(f"{W} .panel[data-mode='waiting_agent']").wait_for()
    cid = conversation_id(customer)
    agent = new_page()
    agent_login(agent)
    agent.locator(f".queue-item[data-conversation='{cid}']").click()
    chunk = agent.locator("#apanel-context details.chunk").filter(has_text="网银页面")
    chunk.locator("summary").click()
    assert MARKUP_SNIPPET in chunk.inner_text()
    # the KB search panel shows the passage as text too
    agent.get_by_role("tab", name="知识库").click()
    agent.get_by_role("searchbox", name="知识库").fill("网银页面出现代码")
    agent.keyboard.press("Enter")
    hit = agent.locator("#apanel-kb details.chunk").filter(has_text="网银页面").first
    hit.locator("summary").click()
    assert MARKUP_SNIPPET in hit.inner_text()
    assert agent.locator("#apanel-context img, #apanel-kb img, script:not([src])").count() == 0
    assert agent.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    shot(agent, "console-markup-as-text")
