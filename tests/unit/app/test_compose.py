"""docker-compose.yml parses, has the services the deployment needs, and every variable it gives the app
is a real Settings field (a typo there would be silently ignored by pydantic-settings)."""

from __future__ import annotations

import re
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


# --- encrypted transport: the TLS-terminating proxy ------------------------------------------------------

CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"


def _caddy_lines() -> list[str]:
    return [line.split("#", 1)[0].strip() for line in CADDYFILE.read_text(encoding="utf-8").splitlines()]


def test_only_the_tls_proxy_is_published(compose: dict) -> None:
    services = compose["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:2")
    published = {str(p).rsplit(":", 1)[-1] for p in proxy["ports"]}
    assert published == {"443", "80"}
    mounts = {v.split(":")[1]: v.split(":")[0] for v in proxy["volumes"]}
    assert (ROOT / mounts["/etc/caddy/Caddyfile"]).resolve() == CADDYFILE.resolve()
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    for name, service in services.items():  # nothing else is reachable from outside the compose network
        if name != "proxy":
            assert "ports" not in service, name
    assert services["app"]["expose"] == ["8000"]


def test_the_proxy_redirects_to_https_sets_hsts_and_streams() -> None:
    lines = _caddy_lines()
    site = next(line for line in lines if line.startswith("{$KEFU_DOMAIN"))
    assert "http://" not in site  # a bare name: HTTPS with automatic certificates, HTTP redirected
    hsts = next(line for line in lines if line.startswith("Strict-Transport-Security"))
    max_age = int(hsts.split("max-age=")[1].split(";")[0].strip('"'))
    assert max_age >= 31536000
    assert "dynamic a app 8000 {" in lines  # every app replica
    assert "flush_interval -1" in lines  # SSE answers are not buffered
    assert f"max_header_size {Settings().edge.max_header_bytes // 1024}KB" in lines
    blocks = re.sub(r"\{\$[^}]*\}", "", "\n".join(lines))  # env placeholders are not blocks
    assert blocks.count("{") == blocks.count("}")


def test_the_app_behind_the_proxy_is_production_grade(compose: dict) -> None:
    env = compose["services"]["app"]["environment"]
    assert env["ENVIRONMENT"] == "production"  # refuses default or weak secrets (app.settings)
    assert env["COOKIE_SECURE"] == "true"
    # the proxy's fixed address on the network it shares with the app only (tests/reliability/test_hardening.py)
    assert env["EDGE__TRUSTED_PROXIES"] == compose["services"]["proxy"]["networks"]["edge"]["ipv4_address"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # no default: compose refuses to start without
    assert env["VAULT_KEY"].startswith("${VAULT_KEY:?")
