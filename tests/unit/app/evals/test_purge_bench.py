"""``kefu bench purge`` on a small scratch SQLite database: the seeded expired conversations are purged,
the held tenth kept, and the figures add up."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.evals.purge_bench import bench


async def test_the_bench_purges_the_expired_and_keeps_the_held(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "bench.db")
    out = await bench(
        n=50, database_url=f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}", data_dir=tmp_path, batch_size=20
    )
    assert out["held"] == 5
    assert out["purged"] == 45
    # 4 messages and 8 events each; feedback on the first 25, of which 3 (0, 10, 20) are held
    assert out["rows_deleted"] == 45 * (4 + 8) + 22
    assert out["conversations_per_s"] > 0
