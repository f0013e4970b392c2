"""Actions across the two faces: the bank's page embeds the widget with ``data-customer-token`` (a token
it signed for its signed-in customer ``c-1001``); the conversation starts verified, the customer freezes
the card ending 8888 (read-back, then an explicit yes) and asks for an agent; the agent who takes the
conversation over sees in the transcript who was verified, what was requested, read back, confirmed by the
customer and executed.

The bank is the demo bank inside the e2e server's process (``ACTIONS__DEMO_BANK_IN_PROCESS``); the token
is signed with the demo tenant's key (ENVIRONMENT test).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt

from tests.e2e.server import E2EServer
from tests.e2e.support import W, ask, conversation_id

BANK_PAGE = "/bank-signed-in"  # served by the test (page.route), on the app's own origin


def _bank_page(widget_key: str, token: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>网上银行</title></head>'
        "<body><h1>网上银行 · 已登录</h1>"
        f'<script src="/widget.js" data-key="{widget_key}" data-customer-token="{token}" defer></script>'
        "</body></html>"
    )


def test_a_token_page_starts_verified_and_the_agent_sees_the_executed_freeze(
    new_page: Callable[..., Any],
    e2e_server: E2EServer,
    agent_login: Callable[[Any], None],
    shot: Callable[[Any, str], Any],
) -> None:
    seed = e2e_server.seed
    assert seed is not None
    key = e2e_server.settings.actions.demo_token_key.get_secret_value()
    now = int(time.time())
    token = jwt.encode({"sub": "c-1001", "iat": now, "exp": now + 300}, key, algorithm="HS256")

    customer = new_page()
    customer.route(
        "**" + BANK_PAGE,
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=_bank_page(seed.widget_key, token)
        ),
    )
    customer.goto(BANK_PAGE)
    customer.get_by_role("button", name="打开在线客服").click()
    customer.get_by_label("输入您的问题").wait_for()

    readback = ask(customer, "请帮我冻结尾号8888的信用卡")
    assert "8888" in readback.inner_text(), readback.inner_text()  # read back, not asked to sign in
    done = ask(customer, "确认")
    assert "已冻结" in done.inner_text(), done.inner_text()
    ask(customer, "转人工")
    customer.locator(f"{W} .panel[data-mode='waiting_agent']").wait_for()
    cid = conversation_id(customer)

    agent = new_page()
    agent_login(agent)
    agent.locator(f".queue-item[data-conversation='{cid}']").click()
    agent.locator("#btn-join").click()
    agent.locator("#conv-status").filter(has_text="人工处理中").wait_for()

    transcript = agent.locator("#transcript")
    verified = transcript.locator(".action-step[data-step='verified']")
    verified.wait_for()
    assert "客户 c-1001" in verified.inner_text()
    freeze = "[data-action='freeze_card']"
    steps = [s.get_attribute("data-step") for s in transcript.locator(f".action-step{freeze}").all()]
    assert steps == ["requested", "read_back", "confirmed", "finished"], steps
    read_back = transcript.locator(f".action-step{freeze}[data-step='read_back']")
    assert "card_last4=8888" in read_back.inner_text()
    confirmed = transcript.locator(f".action-step{freeze}[data-step='confirmed']")
    assert "客户已确认" in confirmed.inner_text()
    assert "客户 c-1001" in confirmed.inner_text()
    executed = transcript.locator(f".action-step{freeze}[data-step='finished'][data-outcome='executed']")
    assert "已执行" in executed.inner_text()
    assert "智能助手" in executed.inner_text()  # done by the assistant, on the customer's confirmation
    # Between the messages: the customer's steps after the message that took them, the assistant's before
    # its reply.
    order = agent.evaluate(
        """() => [...document.querySelectorAll('#transcript > *')].map((e) => e.dataset.step
             || (e.dataset.role || '') + ':' + (e.querySelector('.bubble') || e).textContent.slice(0, 12))"""
    )
    flow = [
        o
        for o in order
        if o in ("requested", "read_back", "confirmed", "finished") or o.startswith(("user:", "bot:"))
    ]
    assert flow[:8] == [
        "user:请帮我冻结尾号8888的",
        "requested",
        "read_back",
        flow[3],
        "user:确认",
        "confirmed",
        "finished",
        flow[7],
    ], order
    assert flow[3].startswith("bot:"), order
    assert flow[7].startswith("bot:已办理"), order
    shot(agent, "console-actions")
