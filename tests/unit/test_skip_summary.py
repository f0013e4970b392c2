"""The end of a test run names each tier it skipped and the one command that adds it."""

from __future__ import annotations

from tests.conftest import skipped_tiers


def test_skip_reasons_are_grouped_by_tier_with_their_command() -> None:
    reasons = [
        "integration tier: set DATABASE_URL and REDIS_URL (`.ci/run` does)",
        "integration tier: set DATABASE_URL and REDIS_URL",
        "e2e tier: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run does it)",
        "the vLLM venv /root/.cache/kefu/vllm is not built: run scripts/prepare_vllm.sh (~3 min, once)",
        "no BANKING77 in /work/shared/data",
        "the hash fake has nothing to load",  # a test's own reason: not a tier
    ]
    tiers = skipped_tiers(reasons)
    assert tiers == {
        (
            "integration tests (PostgreSQL + Redis)",
            ".ci/run  (or: DATABASE_URL=... REDIS_URL=... make test)",
        ): 2,
        ("browser tests (Chromium)", "apt-get install -y chromium fonts-wqy-zenhei  (.ci/run does it)"): 1,
        ("vLLM tests", "make vllm-prepare"): 1,
        ("evaluation-data tests", "EVAL_DATA_DIR=/path/to/shared/data make test"): 1,
    }
