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


def test_the_file_is_valid_against_the_compose_specification(compose: dict) -> None:
    """``data/compose_spec.json`` is the Compose Specification's JSON schema (Apache-2.0) as shipped by
    docker-compose 1.29.2 (Debian ``docker-compose``, ``compose/config/compose_spec.json``); the same
    check as ``docker-compose config -q``, without Docker. A misspelt key fails it."""
    import copy
    import json

    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "compose_spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    assert [e.message for e in validator.iter_errors(compose)] == []
    typo = copy.deepcopy(compose)
    typo["services"]["app"]["healthchek"] = typo["services"]["app"].pop("healthcheck")
    assert list(validator.iter_errors(typo))
