"""The agent console on a laptop screen (1280–1400 px wide), in both languages: nothing of a queue card is
cut at its right edge (the reason badge, the id, the waiting time), and every assist tab — the last one,
"Canned", included — is whole, without scrolling the tab strip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.support import W, ask, conversation_id, open_widget

# Parts of a queue card or the tab strip drawn past their box's right edge, or cut short by an ellipsis
# (CSS px, rounding allowed).
OVERFLOW = """(sel) => {
  const out = [];
  for (const box of document.querySelectorAll(sel)) {
    const right = box.getBoundingClientRect().right + 0.5;
    for (const el of box.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      const what = (el.className || el.tagName) + ': ' + (el.textContent || '').trim();
      if (r.width && r.right > right) out.push('past the edge ' + what);
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth) out.push('truncated ' + what);
    }
    if (box.scrollWidth > box.clientWidth + 1) out.push(sel + ' scrolls: ' + box.scrollWidth + ' > ' + box.clientWidth);
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1280, 1400])
def test_queue_cards_and_assist_tabs_are_whole(
    width: int,
    new_page: Callable[..., Any],
    agent_login: Callable[[Any], None],
    shot: Callable[[Any, str], Any],
) -> None:
    customer = new_page()
    open_widget(customer)
    ask(customer, "转人工")
    customer.locator(f"{W} .panel[data-mode='waiting_agent']").wait_for()
    cid = conversation_id(customer)

    agent = new_page()
    agent.set_viewport_size({"width": width, "height": 860})
    agent_login(agent)
    item = agent.locator(f".queue-item[data-conversation='{cid}']")
    item.wait_for()
    item.click()
    agent.locator("#conv-status").wait_for()
    for lang in ("zh", "en"):
        if lang == "en":
            agent.locator("#lang-toggle").click()
            agent.get_by_role("tab", name="Canned").wait_for()
        assert agent.evaluate(OVERFLOW, ".queue-item") == [], f"{lang} {width}px: queue card cut"
        assert agent.evaluate(OVERFLOW, "#assist-tabs") == [], f"{lang} {width}px: assist tab cut"
        shot(agent, f"console-layout-{lang}-{width}")
