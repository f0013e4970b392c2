"""Compliance in Chromium: the admin console's Compliance page loads the tenant's retention policy and
AI disclosure, saves a new retention period and a new disclosure (both still there after a reload); the
widget then shows that disclosure under its welcome before the customer writes. The disclosure is set
back at the end (one server serves every browser test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.server import E2EServer
from tests.e2e.support import W, open_widget
from tests.e2e.test_admin import admin_login

pytestmark = pytest.mark.e2e

DISCLOSURE = "您好，我是海港银行的AI智能助手，不是真人；输入“转人工”可随时联系人工客服。"


def _compliance_page(page: Any) -> None:
    page.get_by_role("navigation").get_by_role("link", name="合规").click()
    page.wait_for_function("() => document.getElementById('ret-transcripts_days')?.value !== ''")


def _save(page: Any, button: str) -> None:
    page.locator(".k-toast").evaluate_all("nodes => nodes.forEach(n => n.remove())")
    page.locator(button).click()
    page.locator(".k-toast", has_text="已保存").wait_for()


def test_compliance_page_saves_retention_and_the_widget_shows_the_disclosure(
    page: Any, new_page: Callable[..., Any], e2e_server: E2EServer, shot: Callable[[Any, str], Any]
) -> None:
    admin_login(page, e2e_server)
    _compliance_page(page)
    transcripts = page.locator("#ret-transcripts_days")
    before = transcripts.input_value()
    assert int(before) > 0
    wanted = "365" if before != "365" else "400"  # not shorter than the feedback and package periods
    transcripts.fill(wanted)
    _save(page, "#retention-save")
    original = page.locator("#disclosure-zh").input_value()
    assert original  # the default disclosure (COMPLIANCE__DISCLOSURE__ZH) when the tenant set none
    page.locator("#disclosure-zh").fill(DISCLOSURE)
    _save(page, "#disclosure-save")
    shot(page, "compliance-saved")

    page.reload()
    _compliance_page(page)
    assert page.locator("#ret-transcripts_days").input_value() == wanted
    assert page.locator("#disclosure-zh").input_value() == DISCLOSURE

    customer = new_page()
    open_widget(customer)
    note = customer.locator(f"{W} .note.disclosure")
    note.wait_for()
    assert note.inner_text() == DISCLOSURE
    assert customer.locator(f"{W} .note.welcome + .note.disclosure").count() == 1  # right under the welcome
    shot(customer, "widget-disclosure")

    page.locator("#disclosure-zh").fill(original)
    _save(page, "#disclosure-save")
    transcripts.fill(before)
    _save(page, "#retention-save")
