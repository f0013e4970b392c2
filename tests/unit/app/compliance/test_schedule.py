"""With Redis the purge is arq's cron job in ``kefu worker``, at the configured UTC time, once per run."""

from __future__ import annotations

from app.settings import Settings
from app.worker import JOB_FUNCTIONS, retention_purge_job, worker_options


def test_the_worker_runs_the_purge_daily_at_the_configured_time() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        redis_url="redis://127.0.0.1:6379/0",
        compliance={"purge_hour": 4, "purge_minute": 5},
    )
    [job] = worker_options(settings)["cron_jobs"]
    assert job.coroutine is retention_purge_job
    assert (job.hour, job.minute, job.unique) == ({4}, {5}, True)
    assert JOB_FUNCTIONS["retention_purge_job"] is retention_purge_job
