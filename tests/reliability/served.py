"""The app served by real uvicorn in a child process, for the tests that signal it (graceful shutdown).

The API is the real one (``create_app`` + ``app.edge.serving``'s uvicorn options, the same as ``kefu serve``);
the models are the unit fakes (``tests.unit.app.helpers``: regex masker, keyword retriever, trained-free
tracker), except the LLM: the real OpenAI-compatible client against the stub model server given by
``--llm-url``. A SQLite database is built by the migrations under ``--workdir``; the seeded tenant is
written to ``<workdir>/tenant.json`` before the server starts.

Run: ``python -m tests.reliability.served --port P --workdir D --llm-url http://127.0.0.1:N/v1
[--grace 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from pathlib import Path

from app.db.engine import create_engine, session_factory
from app.db.migrate import upgrade
from app.edge.serving import server
from app.main import create_app
from llm_backend.config import LLMConfig
from llm_backend.factory import build_llm_client
from tests.reliability.conftest import make_settings
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import fake_container, seed_tenant


async def main(port: int, workdir: Path, llm_url: str, grace: float) -> None:
    settings = make_settings(workdir, port=port, edge={"shutdown_grace_s": grace}, log_json=False)
    await asyncio.to_thread(upgrade, settings.sqlalchemy_url)
    llm_config = LLMConfig.model_validate(
        {
            "backend": "openai",
            "base_url": llm_url,
            "model": "kefu-stub",
            "cache": {"enabled": False},
            "stream_idle_timeout_s": 10.0,
            "timeout_s": 60.0,
        }  # fmt: skip
    )
    engine = create_engine(settings.sqlalchemy_url)
    knowledge = StaticKnowledgeBases()
    container = fake_container(settings, engine, session_factory(engine), knowledge=knowledge)
    container.llm = build_llm_client(llm_config, workdir)
    await container.llm.warm_up()
    tenant = await seed_tenant(container, "served", knowledge)
    (workdir / "tenant.json").write_text(json.dumps(dataclasses.asdict(tenant)))
    try:
        await server(create_app(settings, container), settings, host="127.0.0.1", port=port).serve()
    finally:
        await container.llm.aclose()
        await engine.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--llm-url", required=True)
    p.add_argument("--grace", type=float, default=20.0)
    a = p.parse_args()
    asyncio.run(main(a.port, a.workdir, a.llm_url, a.grace))
