"""Browser tests (marker ``e2e``): the app served by uvicorn on 127.0.0.1 (``server.E2EServer``: the real
stack, the extractive LLM), driven in Debian's Chromium by Playwright. Each test saves screenshots under
``test-output/e2e/``.

Fixtures: ``e2e_server`` (session: one server for all browser tests), ``browser`` (session),
``new_page`` (a factory: each page in a fresh browser context; the test fails on a JavaScript error or an
``alert()`` in any of them), ``page`` (one such page), ``shot``
(``shot(page, "name")`` saves ``test-output/e2e/name.png``), ``agent_login`` (logs the demo agent into the
console page).

Chromium is ``/usr/bin/chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it). Without it
these tests skip locally and fail in CI (``CI`` set).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import ROOT, E2EServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUTPUT = ROOT / "test-output" / "e2e"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"e2e tier: {CHROMIUM} is missing (apt-get install -y chromium; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def e2e_server(chromium_path: Path) -> Iterator[E2EServer]:
    server = E2EServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(
    browser: Any, e2e_server: E2EServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``new_page(locale="zh-CN")``: a page in a browser context of its own (its own cookies and storage: a
    customer and an agent side by side). At the end each page's last state is saved as
    ``test-output/e2e/<test>-<n>.png`` (pass or fail). The test fails if any page raised a JavaScript
    error or opened a dialog (``alert()``)."""
    contexts: list[Any] = []
    problems: list[str] = []

    def make(locale: str = "zh-CN") -> Any:
        context = browser.new_context(
            base_url=e2e_server.base_url, locale=locale, viewport={"width": 1280, "height": 860}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        pg = context.new_page()
        pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        pg.on("dialog", lambda d: (problems.append(f"dialog: {d.type} {d.message}"), d.dismiss()))
        return pg

    try:
        yield make
    finally:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        for n, context in enumerate(contexts, 1):
            for pg in context.pages:
                try:
                    pg.screenshot(path=str(OUTPUT / f"{request.node.name}-{n}.png"))
                except Exception as exc:  # a crashed page: the test reports its own failure
                    problems.append(f"screenshot of page {n} failed: {exc}")
            context.close()
    assert problems == [], problems


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """One page (``new_page()``), Chinese locale."""
    return new_page()


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    OUTPUT.mkdir(parents=True, exist_ok=True)

    def take(pg: Any, name: str) -> Path:
        path = OUTPUT / f"{name}.png"
        pg.screenshot(path=str(path), full_page=False)
        return path

    return take


@pytest.fixture
def agent_login(e2e_server: E2EServer) -> Callable[[Any], None]:
    """Log the demo agent into ``/console`` in ``pg`` (through the login form)."""

    def login(pg: Any, *, admin: bool = False) -> None:
        from app.demo import ADMIN_EMAIL, AGENT_EMAIL

        seed = e2e_server.seed
        assert seed is not None
        pg.goto("/console")
        pg.get_by_label("邮箱").fill(ADMIN_EMAIL if admin else AGENT_EMAIL)
        pg.get_by_label("密码").fill(seed.admin_password if admin else seed.agent_password)
        pg.get_by_role("button", name="登录").click()
        pg.get_by_role("heading", name="会话队列").wait_for()

    return login
