"""Helpers of the browser tests: driving the chat widget on /demo as a customer.

Playwright's CSS selectors pierce the widget's open shadow root, so ``f"{W} .msg.bot"`` finds its messages.
"""

from __future__ import annotations

from typing import Any

W = "kefu-widget"  # the widget's host element

# Counts the answer's text nodes added while it streams (the bubble is aria-busy until the final event).
COUNT_TOKENS = """() => {
  const root = document.querySelector('kefu-widget').shadowRoot;
  window.__tokens = 0;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes)
      if (n.nodeType === 3 && r.target.closest && r.target.closest('[aria-busy="true"]')) window.__tokens++;
  }).observe(root, { childList: true, subtree: true });
}"""


def open_widget(page: Any, path: str = "/demo") -> Any:
    """Open ``path`` and the chat panel (Chinese labels); returns the question box."""
    page.goto(path)
    page.get_by_role("button", name="打开在线客服").click()
    box = page.get_by_label("输入您的问题")
    box.wait_for()
    return box


def ask(page: Any, text: str) -> Any:
    """Type ``text``, press Enter, wait for the bot's finished reply (it has its message id then);
    returns its locator."""
    before = page.locator(f"{W} .msg.bot[data-id]").count()
    box = page.get_by_label("输入您的问题")
    box.fill(text)
    box.press("Enter")
    reply = page.locator(f"{W} .msg.bot[data-id]").nth(before)
    reply.wait_for(timeout=60_000)
    return reply


def conversation_id(page: Any) -> str:
    """The widget's conversation id (kept in the tab's sessionStorage)."""
    cid = page.evaluate(
        """() => { for (let i = 0; i < sessionStorage.length; i++) {
             const k = sessionStorage.key(i);
             if (k.startsWith('kefu.widget.')) return JSON.parse(sessionStorage.getItem(k)).id; }
           return null; }"""
    )
    assert isinstance(cid, str), "the widget has no conversation yet"
    return cid
