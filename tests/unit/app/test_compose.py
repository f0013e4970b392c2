"""docker-compose.yml parses, has the services the deployment needs, and every variable it gives the app
is a real Settings field (a typo there would be silently ignored by pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _is_setting(name: str) -> bool:
    model: type[BaseModel] = Settings
    parts = name.lower().split("__")
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        if i < len(parts) - 1:
            sub = field.annotation
            if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
                return False
            model = sub
    return True


def test_services_and_healthchecks(compose: dict) -> None:
    services = compose["services"]
    assert {"db", "redis", "migrate", "app", "worker", "vllm"} <= set(services)
    for name in ("db", "redis", "app", "vllm"):
        assert "healthcheck" in services[name], name
    assert services["vllm"]["profiles"] == ["gpu"]
    assert services["migrate"]["restart"] == "no"
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"] == ["kefu", "worker"]


@pytest.mark.parametrize("service", ["migrate", "app", "worker"])
def test_app_environment_names_are_settings(compose: dict, service: str) -> None:
    env = compose["services"][service]["environment"]
    unknown = [name for name in env if not _is_setting(name)]
    assert not unknown, f"{service}: not Settings fields: {unknown}"
    assert "DATABASE_URL" in env
    assert "REDIS_URL" in env


def test_checker_rejects_typos() -> None:
    assert _is_setting("LLM__BASE_URL")
    assert not _is_setting("LLM__BASEURL")
    assert not _is_setting("DATABSE_URL")
    assert not _is_setting("HOST__PORT")
