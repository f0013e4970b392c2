"""The app served for the browser tests: real uvicorn on a free 127.0.0.1 port, in a thread with its own
event loop, over a fresh SQLite database (built by the migrations) under a temporary folder.

The stack is the real one (``build_container``: e5 embeddings, FAISS + BM25, Presidio, the trained
tracker and policy, in-process stores and channel), seeded by ``kefu demo``'s own code with the demo FAQ
(``data/demo_kb/faq.csv``, bilingual, to keep start-up short), one FAQ entry quoting HTML markup
(``MARKUP_*``) and the default canned responses. The
language model is the extractive backend (quotes the best passage, streamed), so answers are fast and
deterministic; a test may swap ``container.llm`` (e.g. for a ``ScriptedLLM``) while the server runs.

Run it by hand to look at the pages: ``.venv/bin/python -m tests.e2e.server`` (prints the URLs and
credentials, Ctrl+C stops it).
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.container import Container
from app.demo import DemoSeed
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A KB entry whose text contains markup (a bank's FAQ quoting what a broken page shows): the widget and the
# console must show it as text wherever the passage appears (answer, citation sheet, context package).
MARKUP_QUESTION = "网银页面出现一段代码怎么办？"
MARKUP_SNIPPET = "<img src=x onerror=alert(2)>"
MARKUP_ANSWER = (
    f"如果网银页面出现 {MARKUP_SNIPPET} 或 <script>alert(3)</script> 这样的代码，"
    "说明页面没有加载完整，请清除浏览器缓存后重新登录网上银行。"
)


# Passage vectors are cached on disk by content and embedder (``retrieval.embedders.cache``): kept per
# machine, outside the throw-away work folder, so only the first run on a machine pays for embedding the
# demo FAQ (the cache is correct for any text; deleting it only costs time).
EMBEDDING_CACHE = Path.home() / ".cache" / "kefu" / "e2e" / "embeddings"


def e2e_settings(workdir: Path, port: int, **overrides: Any) -> Settings:
    kb = workdir / "kb"
    kb.mkdir(parents=True, exist_ok=True)
    EMBEDDING_CACHE.mkdir(parents=True, exist_ok=True)
    if not (workdir / "embeddings").exists():
        (workdir / "embeddings").symlink_to(EMBEDDING_CACHE, target_is_directory=True)
    for name in ("faq.csv", "golden_questions.jsonl"):
        shutil.copy(ROOT / "data" / "demo_kb" / name, kb / name)
    with (kb / "markup_faq.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [("question", "answer", "lang", "product"), (MARKUP_QUESTION, MARKUP_ANSWER, "zh", "security")]
        )
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": f"sqlite+aiosqlite:///{workdir / 'kefu.db'}",
        "redis_url": None,
        "data_dir": workdir,
        "demo_kb_dir": kb,
        "port": port,
        "log_json": False,
        "log_level": "WARNING",
        "cookie_secure": False,
        # The demo bank inside the server's process, on a port of its own: the demo tenant's actions work.
        "actions": {"demo_bank_in_process": True, "fake_bank_port": free_port()},
        # Generous model deadlines: on a loaded CI machine the stream guard's checks can outlast the
        # production ones, and a fallback answer arrives whole (no token events). The deadlines themselves
        # are tested in tests/reliability/test_faults_llm.py.
        "llm": {
            "backend": "extractive",
            "cache": {"enabled": False},
            "timeout_s": 300,
            "first_token_timeout_s": 120,
            "stream_idle_timeout_s": 120,
        },
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class E2EServer:
    """``start()`` blocks until the app answers; ``stop()`` shuts it down. ``run(coro)`` runs a coroutine on
    the server's loop (to use ``container`` from a test: its engine and stores belong to that loop)."""

    def __init__(self, workdir: Path | None = None, **overrides: Any) -> None:
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="kefu-e2e-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.settings = e2e_settings(self.workdir, self.port, **overrides)
        self.container: Container | None = None
        self.seed: DemoSeed | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def db_path(self) -> Path:
        return self.workdir / "kefu.db"

    def start(self, timeout_s: float = 600.0) -> E2EServer:
        from app.db.migrate import upgrade

        upgrade(self.settings.sqlalchemy_url)
        self._thread = threading.Thread(target=self._main, name="kefu-e2e-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s) or self._error is not None:
            raise RuntimeError(f"the e2e server did not start: {self._error!r}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the e2e server does not answer /healthz")

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        import uvicorn

        from app import demo
        from app.agent import canned
        from app.main import create_app
        from app.wiring import build_container

        self._loop = asyncio.get_running_loop()
        container = await build_container(self.settings)
        try:
            self.seed = await demo.seed(container, if_empty=False)
            async with container.sessions() as session:
                assert self.seed is not None
                await canned.seed_defaults(session, tenant_id=self.seed.tenant_id)
                await session.commit()
            self.container = container
            app = create_app(self.settings, container)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", access_log=False
            )
            self._server = uvicorn.Server(config)
            self._ready.set()
            await self._server.serve()
        finally:
            await container.aclose()

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 60.0) -> T:
        assert self._loop is not None
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result(timeout_s)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    server = E2EServer().start()
    assert server.seed is not None
    print(f"demo:    {server.base_url}/demo\nconsole: {server.base_url}/console\n")
    print(server.seed.credentials_text())
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
