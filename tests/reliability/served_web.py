"""The app served by real uvicorn in a child process, for the staff-stream tests (a stream held open while
the session behind it is revoked; a job-progress stream across a server restart).

The API is the real one (``create_app`` + ``app.edge.serving``'s uvicorn options, the same as ``kefu serve``)
with the unit fakes for the models (``tests.unit.app.helpers``). A SQLite database is built by the
migrations under ``--workdir`` and one tenant is seeded there the first time (``<workdir>/tenant.json``);
a restart on the same folder serves the same database. ``--settings`` takes a JSON object of setting
overrides.

Run: ``python -m tests.reliability.served_web --port P --workdir D [--settings '{"k": v}']``.
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
from retrieval.testing import KeywordRetriever
from tests.reliability.conftest import make_settings
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import KB, fake_container, seed_tenant


async def main(port: int, workdir: Path, overrides: dict[str, object]) -> None:
    settings = make_settings(workdir, port=port, log_json=False, **overrides)
    await asyncio.to_thread(upgrade, settings.sqlalchemy_url)
    engine = create_engine(settings.sqlalchemy_url)
    knowledge = StaticKnowledgeBases()
    container = fake_container(settings, engine, session_factory(engine), knowledge=knowledge)
    seeded = workdir / "tenant.json"
    if seeded.exists():
        tenant = json.loads(seeded.read_text())
        knowledge.by_tenant[tenant["id"]] = KeywordRetriever(KB, floor=0.2)  # type: ignore[index]
    else:
        made = await seed_tenant(container, "served", knowledge)
        seeded.write_text(json.dumps(dataclasses.asdict(made)))
    try:
        await server(create_app(settings, container), settings, host="127.0.0.1", port=port).serve()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--settings", default="{}")
    a = p.parse_args()
    asyncio.run(main(a.port, a.workdir, json.loads(a.settings)))
