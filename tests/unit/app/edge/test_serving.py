"""``kefu serve --workers N``: what is refused before any worker starts, and ``/metrics`` adding up the
workers' values (prometheus_client's multiprocess mode, in real child processes). The served workers
themselves: ``tests/integration/test_serve_workers.py``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import build_cli
from app.edge.serving import WorkersRefused, limit_model_threads, serve, shared_state_problems
from app.runtime.metrics import Metrics
from app.settings import Settings

SHARED = {
    "database_url": "postgresql://postgres@127.0.0.1:5432/kefu",
    "redis_url": "redis://127.0.0.1:6379/0",
    "llm": {"backend": "openai", "base_url": "http://127.0.0.1:8001/v1"},
}


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, environment="test", **values)  # type: ignore[arg-type]


def test_postgres_redis_and_a_model_server_can_be_shared() -> None:
    assert shared_state_problems(settings(**SHARED)) == []
    assert shared_state_problems(settings(**SHARED, jobs_backend="arq")) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"redis_url": None}, "REDIS_URL is not set"),
        ({"database_url": None}, "DATABASE_URL is not PostgreSQL"),
        ({"database_url": "sqlite+aiosqlite:///var/x.db"}, "DATABASE_URL is not PostgreSQL"),
        ({"jobs_backend": "inprocess"}, "JOBS_BACKEND=inprocess"),
        ({"llm": {"backend": "llama_cpp"}}, "LLM__BACKEND=llama_cpp"),
    ],
)
def test_each_per_process_part_is_named(change: dict[str, object], named: str) -> None:
    problems = shared_state_problems(settings(**{**SHARED, **change}))
    assert len(problems) == (2 if change == {"redis_url": None} else 1), problems  # no Redis: no arq either
    assert named in problems[0]


def test_serve_refuses_before_starting_anything() -> None:
    # the embedded default, whatever the environment says (CI exports DATABASE_URL and REDIS_URL)
    embedded = settings(database_url=None, redis_url=None, jobs_backend="auto", llm={"backend": "llama_cpp"})
    with pytest.raises(WorkersRefused) as refused:
        serve(embedded, host="127.0.0.1", port=1, workers=2)  # port 1: binding would fail loudly
    assert refused.value.code == "workers_need_shared_state"
    assert str(refused.value).startswith("[workers_need_shared_state] SERVER__WORKERS=2 ")
    assert len(refused.value.problems) == 4  # Redis, SQLite, in-process jobs, in-process model
    with pytest.raises(ValueError, match="at least 1"):
        serve(settings(**SHARED), host="127.0.0.1", port=1, workers=0)


def test_cli_exits_2_with_the_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in {"DATA_DIR": str(tmp_path), "SERVER__WORKERS": "3"}.items():
        monkeypatch.setenv(name, value)
    for name in ("REDIS_URL", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(build_cli(), ["serve", "--port", "1"])
    assert result.exit_code == 2, result.output
    assert "[workers_need_shared_state] SERVER__WORKERS=3" in result.output
    result = CliRunner().invoke(build_cli(), ["serve", "--port", "1", "--workers", "0"])
    assert result.exit_code == 2  # refused by the option itself
    assert "--workers" in result.output


def test_workers_setting_is_bounded() -> None:
    assert settings().server.workers == 1
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        settings(server={"workers": 0})


def test_model_threads_setting_is_bounded() -> None:
    assert settings().server.model_threads == 1
    assert settings(server={"model_threads": 0}).server.model_threads == 0
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        settings(server={"model_threads": -1})


def test_model_threads_are_limited_in_the_process() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        limit_model_threads(0)  # 0: left as it is
        assert torch.get_num_threads() == 2
        limit_model_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


_WORKER = """
import sys
from pathlib import Path
from app.runtime.metrics import Metrics
m = Metrics(multiprocess_dir=Path(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    m.turns.labels(decision="answer").inc()
    m.turn_seconds.observe(0.2)
"""


def _turns(text: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('kefu_turns_total{decision="answer"}')
    )


def test_metrics_of_every_worker_are_added_up(tmp_path: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    root = Path(__file__).resolve().parents[4]
    for count in (3, 4):  # two "workers", each its own process (its own pid, its own files)
        subprocess.run(
            [sys.executable, "-c", _WORKER, str(tmp_path), str(count)], env=env, cwd=root, check=True
        )
    render = "from pathlib import Path; import sys; from app.runtime.metrics import Metrics; " + (
        "sys.stdout.write(Metrics(multiprocess_dir=Path(sys.argv[1])).render().decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", render, str(tmp_path)],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert _turns(out) == 7
    assert "kefu_turn_seconds_count 7.0" in out


def test_multiprocess_folder_without_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PROMETHEUS_MULTIPROC_DIR must be set in the environment"):
        Metrics(multiprocess_dir=tmp_path)
    assert b"kefu_turns" in Metrics().render()  # one process: its own registry, as before
