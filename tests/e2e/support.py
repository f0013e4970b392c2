"""Helpers of the browser tests: driving the chat widget on /demo as a customer.

Playwright's CSS selectors pierce the widget's open shadow root, so ``f"{W} .msg.bot"`` finds its messages.
"""

from __future__ import annotations

from typing import Any

W = "kefu-widget"  # the widget's host element

# Counts the SSE ``token`` events the widget's stream request receives (its fetch is wrapped; the widget
# reads the same bytes). Counting rendered text nodes raced: when every event of a fast answer arrives in
# one network read, the final event ends the streaming state before a MutationObserver callback runs.
COUNT_TOKENS = """() => {
  window.__tokens = 0;
  const plain = window.fetch;
  window.fetch = async (...args) => {
    const res = await plain(...args);
    const url = String((args[0] && args[0].url) || args[0]);
    if (!url.endsWith('/messages/stream') || !res.body) return res;
    const decoder = new TextDecoder();
    let tail = '';
    const counted = res.body.pipeThrough(new TransformStream({
      transform(chunk, out) {
        const text = tail + decoder.decode(chunk, { stream: true });
        const lines = text.split(/\\r?\\n/);
        tail = lines.pop();
        for (const line of lines) if (line === 'event: token') window.__tokens++;
        out.enqueue(chunk);
      },
    }));
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
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
