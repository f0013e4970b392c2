"""The chat widget on the /demo page, in Chromium: a streamed, cited answer whose citation opens the
passage and whose thumbs-up is recorded (checked in the database); model output and KB passages shown as
text, never as HTML; keyboard use and English labels.

Why the real stack (one server for the whole tier, ``tests/e2e/server.py``): the issue asks for a real
answer to 如何申请信用卡分期？ with a citation that opens the real passage, so retrieval (e5 + FAQ index),
the tracker and the privacy layer are the production ones. The LLM is the extractive backend: it streams
the best passage token by token, deterministically and fast on a loaded 2-vCPU runner (the LLM backends
are tested against llama.cpp and vLLM in tests/integration/llm); the injection test swaps in a scripted
model for one answer, since no real model can be made to emit a given string on demand.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from llm_backend.testing import ScriptedLLM
from tests.e2e.server import MARKUP_QUESTION, MARKUP_SNIPPET, E2EServer
from tests.e2e.support import COUNT_TOKENS, W, ask, conversation_id, open_widget

pytestmark = pytest.mark.e2e


def test_customer_gets_a_streamed_cited_answer_opens_the_passage_and_rates_it(
    page: Any, e2e_server: E2EServer, shot: Callable[[Any, str], Any]
) -> None:
    open_widget(page)
    page.evaluate(COUNT_TOKENS)
    reply = ask(page, "如何申请信用卡分期？")

    assert page.evaluate("window.__tokens") > 1  # token by token, not one block
    assert reply.get_attribute("aria-busy") is None  # done streaming: screen readers read it now
    assert "分期" in reply.locator(".text").inner_text()
    source = reply.locator(".source").first
    source.wait_for()
    # the citation reads as the FAQ question, not as the uploaded file's name
    label = source.locator(".title").inner_text()
    assert "分期" in label, label
    assert label.endswith("？"), label
    assert ".csv" not in reply.inner_text()
    shot(page, "widget-answer")

    source.click()
    sheet = page.locator(f"{W} .sheet")
    sheet.wait_for()
    passage = page.locator(f"{W} .sheet-body")
    page.wait_for_function(
        "() => !document.querySelector('kefu-widget').shadowRoot.querySelector('.sheet-body')"
        ".textContent.includes('…')"
    )
    assert "分期" in passage.inner_text()
    assert "登录海港银行App" in passage.inner_text()
    assert page.locator(f"{W} #kefu-sheet-title").inner_text() == label
    assert page.locator(f"{W} .sheet-source").inner_text() == ""  # a file name is no help to a customer
    shot(page, "widget-passage")
    page.keyboard.press("Escape")
    sheet.wait_for(state="hidden")

    helpful = reply.get_by_role("button", name="有帮助", exact=True)
    helpful.click()
    page.wait_for_function(
        "() => document.querySelector('kefu-widget').shadowRoot"
        ".querySelector('.fb[aria-pressed=\"true\"]') !== null"
    )
    assert reply.get_by_role("status").inner_text() == "感谢您的反馈"
    message_id = reply.get_attribute("data-id")
    with sqlite3.connect(e2e_server.db_path) as db:
        rows = db.execute("SELECT thumbs FROM feedback WHERE message_id = ?", (message_id,)).fetchall()
    assert rows == [("up",)]
    shot(page, "widget-thumbs-up")


def test_model_html_is_shown_as_text(
    page: Any, e2e_server: E2EServer, shot: Callable[[Any, str], Any]
) -> None:
    container = e2e_server.container
    assert container is not None
    evil = "<img src=x onerror=alert(1)> 办理信用卡分期请登录手机银行 [1]"
    real = container.llm
    container.llm = ScriptedLLM([evil])  # the next answer comes from this model
    try:
        open_widget(page)
        reply = ask(page, "信用卡分期怎么申请？")
    finally:
        container.llm = real
    text = reply.locator(".text").inner_text()
    assert "<img src=x onerror=alert(1)>" in text
    assert page.locator(f"{W} .log img").count() == 0
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    shot(page, "widget-html-as-text")
    # (the page fixture fails the test if alert() ever ran)


def test_keyboard_and_english(page: Any, shot: Callable[[Any, str], Any]) -> None:
    page.goto("/demo?lang=en")
    launcher = page.get_by_role("button", name="Open customer service chat")
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_label("Type your question")
    assert box.evaluate("el => el.getRootNode().activeElement === el")  # focus went into the chat
    assert page.get_by_role("button", name="Talk to a human agent").is_visible()
    box.fill("How do I report a lost card?")
    box.press("Enter")
    reply = page.locator(f"{W} .msg.bot[data-id]").first
    reply.wait_for(timeout=60_000)
    assert reply.locator(".source").count() >= 1
    shot(page, "widget-english")
    page.keyboard.press("Escape")  # closes the panel, focus back on the launcher
    page.get_by_role("dialog", name="Harbor Bank online service").wait_for(state="hidden")
    assert launcher.evaluate("el => el.getRootNode().activeElement === el")


def test_kb_passage_markup_is_text_in_the_answer_and_the_passage_opened_by_keyboard(
    page: Any, shot: Callable[[Any, str], Any]
) -> None:
    open_widget(page)
    reply = ask(page, MARKUP_QUESTION)
    assert MARKUP_SNIPPET in reply.locator(".text").inner_text()  # quoted from the passage, as text

    source = reply.locator(".source").first
    source.focus()
    page.keyboard.press("Enter")
    sheet = page.locator(f"{W} .sheet[role=dialog]")
    sheet.wait_for()
    close = page.locator(f"{W} .sheet-head button")
    assert close.evaluate("el => el.getRootNode().activeElement === el")  # focus moved into the sheet
    passage = page.locator(f"{W} .sheet-body")
    page.wait_for_function(
        "s => document.querySelector('kefu-widget').shadowRoot.querySelector('.sheet-body')"
        ".textContent.includes(s)",
        arg=MARKUP_SNIPPET,
    )
    assert "<script>alert(3)</script>" in passage.inner_text()
    assert page.locator(f"{W} .log img, {W} .sheet img, {W} .sheet script").count() == 0
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    shot(page, "widget-kb-markup-as-text")
    page.keyboard.press("Escape")
    sheet.wait_for(state="hidden")
    assert source.evaluate("el => el.getRootNode().activeElement === el")  # focus back on the citation


def test_keyboard_only_thumbs_end_and_csat(
    page: Any, e2e_server: E2EServer, shot: Callable[[Any, str], Any]
) -> None:
    """Thumbs, ending the chat and the CSAT prompt, with the keyboard alone; both recorded."""
    page.goto("/demo")
    launcher = page.get_by_role("button", name="打开在线客服")
    launcher.focus()
    page.keyboard.press("Enter")
    page.keyboard.type("信用卡分期手续费是多少？")  # (a lost card is urgent: it goes to an agent)
    page.keyboard.press("Enter")
    reply = page.locator(f"{W} .msg.bot[data-id]").first
    reply.wait_for(timeout=60_000)
    cid = conversation_id(page)

    def focused() -> str:
        return str(
            page.evaluate(
                "() => { const a = document.querySelector('kefu-widget').shadowRoot.activeElement;"
                " return a ? a.getAttribute('aria-label') || a.id || a.textContent : ''; }"
            )
        )

    assert focused() == "kefu-input"
    page.keyboard.press("Shift+Tab")  # from the box back to the last answer's buttons
    assert focused() == "没有帮助"
    page.keyboard.press("Shift+Tab")
    assert focused() == "有帮助"
    page.keyboard.press("Space")
    reply.locator(".fb[aria-pressed='true']").wait_for()

    page.locator(f"{W} .head-btn", has_text="结束").focus()
    page.keyboard.press("Enter")
    page.locator(f"{W} .csat").wait_for()
    assert focused().startswith("1 星")  # the prompt takes the focus
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert focused().startswith("4 星")
    page.keyboard.press("Tab")
    assert focused() == "提交评价"
    page.keyboard.press("Enter")
    page.locator(f"{W} .csat").get_by_role("status").wait_for()
    shot(page, "widget-keyboard-csat")

    with sqlite3.connect(e2e_server.db_path) as db:
        rows = db.execute(
            "SELECT thumbs, csat FROM feedback WHERE conversation_id = ? ORDER BY created_at", (cid,)
        ).fetchall()
        (status,) = db.execute("SELECT status FROM conversations WHERE id = ?", (cid,)).fetchone()
    assert rows == [("up", None), (None, 4)]
    assert status == "closed"


def test_a_first_message_handoff_is_not_undone_by_the_live_feeds_late_catch_up(page: Any) -> None:
    """CI once saw 转人工 as the first message answered, yet the panel back in bot mode: the live feed's
    catch-up (GET …/messages on ``ready``) was asked for before the handoff turn committed and answered
    after it. Here the order is forced: the turn is held until the catch-up has been read (status
    ``bot``), and the catch-up's answer is held until the handoff reply is on screen."""
    catch_up: list[tuple[Any, Any]] = []
    turn: list[Any] = []

    def hold_catch_up(route: Any) -> None:
        if route.request.method == "GET" and not catch_up:
            catch_up.append((route, route.fetch()))
        else:
            route.fallback()

    def hold_turn(route: Any) -> None:
        turn.append(route)

    page.route("**/api/v1/chat/conversations/*/messages", hold_catch_up)
    page.route("**/api/v1/chat/conversations/*/messages/stream", hold_turn)
    box = open_widget(page)
    box.fill("转人工")
    box.press("Enter")
    for _ in range(200):
        if catch_up and turn:
            break
        page.wait_for_timeout(100)
    assert catch_up, "the live feed never asked for the transcript"
    assert turn, "the message was never sent"
    route, response = catch_up[0]
    assert response.json()["status"] == "bot"  # read before the turn
    turn[0].continue_()
    page.locator(f"{W} .panel[data-mode='waiting_agent']").wait_for()
    route.fulfill(response=response)
    page.wait_for_timeout(1500)  # the widget has read the late catch-up
    assert page.locator(f"{W} .panel").get_attribute("data-mode") == "waiting_agent"
