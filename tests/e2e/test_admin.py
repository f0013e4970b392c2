"""The admin console in Chromium: an admin uploads a DOCX and a CSV FAQ in one go, watches each file reach
"indexed", finds the new passage on the hit-testing page (draft), publishes it through the golden gate;
a customer then asks in the widget and gets an answer citing that passage. And an agent's curated answer,
edited and approved on the approvals page, lands in the draft as an indexed FAQ entry (then deleted from
the documents page).

The real stack of ``tests/e2e/server.py`` (e5 embeddings, FAISS + BM25, real ingestion jobs, the golden
gate with the demo golden questions, the extractive LLM).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import E2EServer
from tests.e2e.support import W, ask, conversation_id, open_widget
from tests.unit.app.admin.support import make_docx

pytestmark = pytest.mark.e2e

PASSAGE = (
    "海港银行“港湾星”儿童储蓄账户面向0至17周岁的儿童，由父母一方携带户口簿和本人身份证到任一网点即可代为开户，"
    "存款利率在活期利率基础上上浮0.2个百分点，每月可设置自动转存。"
)
QUESTION = "港湾星儿童储蓄账户怎么开户？"
FAQ_ROWS = [
    ("question", "answer"),
    ("港湾星账户每年有管理费吗？", "港湾星儿童储蓄账户免收账户管理费和短信通知费。"),
    (
        "Is there a fee for the Harbor Star account?",
        "The Harbor Star children's savings account has no account fee.",
    ),
]

# Every status a file row shows, in order of first appearance (the page redraws rows as the job moves).
WATCH_STATUSES = """() => {
  window.__statuses = {};
  new MutationObserver(() => {
    for (const row of document.querySelectorAll('#upload-files tr[data-source]')) {
      const seen = (window.__statuses[row.dataset.source] ||= []);
      if (seen[seen.length - 1] !== row.dataset.status) seen.push(row.dataset.status);
    }
  }).observe(document.getElementById('page-root'), { childList: true, subtree: true });
}"""


def admin_login(page: Any, server: E2EServer) -> None:
    from app.demo import ADMIN_EMAIL

    assert server.seed is not None
    page.goto("/admin")
    page.get_by_label("邮箱").fill(ADMIN_EMAIL)
    page.get_by_label("密码").fill(server.seed.admin_password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation").get_by_role("link", name="上传文件").wait_for()


def _files(tmp_path: Path) -> list[Path]:
    docx = tmp_path / "harbor-star.docx"
    docx.write_bytes(make_docx([PASSAGE], heading="港湾星儿童储蓄账户"))
    faq = tmp_path / "harbor-star-faq.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows(FAQ_ROWS)
    faq.write_text(buf.getvalue(), encoding="utf-8")
    return [docx, faq]


def test_admin_uploads_hit_tests_publishes_and_a_customer_gets_the_new_passage(
    page: Any, browser: Any, e2e_server: E2EServer, shot: Callable[[Any, str], Any], tmp_path: Path
) -> None:
    admin_login(page, e2e_server)
    page.get_by_role("link", name="上传文件").click()
    page.evaluate(WATCH_STATUSES)
    page.locator("#upload-input").set_input_files([str(p) for p in _files(tmp_path)])
    page.get_by_role("button", name="开始上传").click()

    rows = page.locator("#upload-files tr[data-source]")
    page.wait_for_function(
        "() => document.querySelectorAll('#upload-files tr[data-status=indexed]').length === 2",
        timeout=120_000,
    )
    assert rows.count() == 2
    summary = page.locator(".notice.ok")
    summary.wait_for()
    assert "2 个已索引" in summary.inner_text()
    statuses = page.evaluate("window.__statuses")
    assert set(statuses) == {"harbor-star.docx", "harbor-star-faq.csv"}
    order = ["pending", "uploading", "queued", "parsing", "embedding", "indexed"]
    for seen in statuses.values():  # each file moved forward only, from chosen through the job to indexed
        assert seen[:2] == ["pending", "uploading"], statuses
        assert seen[-1] == "indexed", statuses
        assert len(seen) > 3, statuses  # at least one of the job's stages was shown live
        assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen), statuses
    chunks = {r.get_attribute("data-source"): r.locator("td.num").inner_text() for r in rows.all()}
    assert int(chunks["harbor-star-faq.csv"]) == 2
    shot(page, "admin-upload-indexed")

    page.get_by_role("link", name="命中测试草稿").click()
    page.locator("#hit-query").fill(QUESTION)
    page.get_by_role("button", name="测试", exact=True).click()
    top = page.locator("#hit-table tr.hit").first
    top.wait_for()
    assert top.get_attribute("data-source") == "harbor-star.docx"
    assert "上浮0.2个百分点" in top.locator(".passage").inner_text()
    assert float(top.locator(".score-dense").inner_text()) > 0
    assert float(top.locator(".score-bm25").inner_text()) > 0
    assert "可以作答" in page.locator("#hit-verdict").inner_text()
    shot(page, "admin-hit-test")

    page.get_by_role("link", name="版本与发布").click()
    assert "harbor-star.docx" in page.locator(".draft-changes").inner_text()
    page.get_by_role("button", name="发布草稿").click()
    outcome = page.locator("#publish-outcome")
    outcome.wait_for(timeout=120_000)
    assert "已发布" in outcome.inner_text(), outcome.inner_text()
    page.locator("#versions-table tr[data-state=active]").wait_for()
    shot(page, "admin-published")

    customer = browser.new_context(base_url=e2e_server.base_url, locale="zh-CN").new_page()
    try:
        open_widget(customer)
        reply = ask(customer, QUESTION)
        assert "上浮0.2个百分点" in reply.locator(".text").inner_text()
        reply.locator(".source").first.click()
        passage = customer.locator(f"{W} .sheet-body")
        customer.wait_for_function(
            "() => document.querySelector('kefu-widget').shadowRoot.querySelector('.sheet-body')"
            ".textContent.includes('港湾星')"
        )
        assert "上浮0.2个百分点" in passage.inner_text()
        # The passage is labelled by the document's heading; a file name is never shown to a customer.
        assert "港湾星儿童储蓄账户" in customer.locator(f"{W} #kefu-sheet-title").inner_text()
        assert ".docx" not in customer.locator(f"{W} .sheet").inner_text()
        shot(customer, "widget-cites-new-passage")
    finally:
        customer.context.close()


def test_a_curated_answer_approved_on_the_page_lands_in_the_draft(
    page: Any, browser: Any, e2e_server: E2EServer, shot: Callable[[Any, str], Any]
) -> None:
    from app.demo import AGENT_EMAIL

    assert e2e_server.seed is not None
    customer = browser.new_context(base_url=e2e_server.base_url, locale="zh-CN").new_page()
    try:
        open_widget(customer)
        ask(customer, "外币现钞兑换需要预约吗？")
        cid = conversation_id(customer)
    finally:
        customer.context.close()
    with httpx.Client(base_url=e2e_server.base_url + "/api/v1", timeout=30) as api:
        token = api.post(
            "/auth/login", json={"email": AGENT_EMAIL, "password": e2e_server.seed.agent_password}
        )
        agent = {"Authorization": "Bearer " + token.json()["token"]}
        proposal = {"question": "外币现钞兑换需要预约吗？", "answer": "需要预约。"}
        r = api.post(f"/agent/conversations/{cid}/curated", json=proposal, headers=agent)
        assert r.status_code == 201, r.text
        curated_id = r.json()["id"]

    admin_login(page, e2e_server)
    page.get_by_role("link", name="精选答案审核").click()
    item = page.locator(f"article[data-curated='{curated_id}']")
    answer = item.get_by_label("答案")
    assert answer.input_value() == "需要预约。"
    answer.fill("外币现钞兑换超过等值1万美元需提前一天预约。<b>不是粗体</b>")
    item.get_by_role("button", name="通过并加入草稿").click()
    item.wait_for(state="detached")  # gone from the pending list
    page.get_by_role("tab", name="已通过").click()
    done = page.locator(f"article[data-curated='{curated_id}']")
    assert "<b>不是粗体</b>" in done.locator(".passage").inner_text()  # shown as text
    shot(page, "admin-curated-approved")

    page.get_by_role("link", name="文档").click()
    row = page.locator(f"#documents-table tr[data-source='curated-{curated_id[:12]}.csv']")
    row.locator(".k-badge.indexed").wait_for(timeout=60_000)
    assert "草稿" in row.inner_text()

    # Changed its mind: delete it (confirmed in the dialog); a draft without it is built, the row goes.
    row.get_by_role("button", name="删除").click()
    dialog = page.get_by_role("dialog")
    assert f"curated-{curated_id[:12]}.csv" in dialog.inner_text()
    dialog.get_by_role("button", name="删除").click()
    row.wait_for(state="detached", timeout=60_000)
