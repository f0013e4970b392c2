"""The four domain packages are libraries: they never import ``app`` or each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ("retrieval", "dialog", "llm_backend", "privacy")
FORBIDDEN_EVERYWHERE = ("fastapi", "starlette")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_package_imports_neither_app_nor_siblings(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    offenders = []
    for f in files:
        bad = _imports(f) & ({"app", *DOMAIN, *FORBIDDEN_EVERYWHERE} - {package})
        if bad:
            offenders.append(f"{f.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from app.settings import Settings\nimport retrieval.types\n", encoding="utf-8")
    assert {"app", "retrieval"} <= _imports(bad)


# app/: role folders (edge, runtime) know no feature; features never reach up into the HTTP layer; production
# never imports the evaluations (the CLI finds their commands by name: app.cli.EVAL_COMMANDS).
APP = ROOT / "app"
ROLES = ("edge", "runtime")
FEATURES = ("auth", "chat", "answering", "conversations", "agent", "kb", "analytics", "connectors", "actions")


def _app_imports(path: Path) -> set[str]:
    """The ``app.<folder>`` names a module imports (module level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "app" and len(parts) > 1:
                out.add(parts[1])
    return out


def _offenders(folders: tuple[str, ...], forbidden: set[str]) -> list[str]:
    out = []
    for folder in folders:
        for f in sorted((APP / folder).rglob("*.py")):
            bad = _app_imports(f) & (forbidden - {folder})
            if bad:
                out.append(f"{f.relative_to(ROOT)} imports app.{sorted(bad)}")
    return out


def test_app_folders_exist() -> None:
    for folder in (*ROLES, *FEATURES, "evals", "api", "db", "schemas", "cli", "web"):
        assert (APP / folder / "__init__.py").is_file(), folder


def test_edge_and_runtime_import_no_feature() -> None:
    offenders = _offenders(ROLES, {*FEATURES, "evals", "api"})
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_features_never_import_the_api() -> None:
    offenders = _offenders(FEATURES, {"api"})
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_production_never_imports_evals() -> None:
    offenders = []
    for f in sorted(APP.rglob("*.py")):
        if (APP / "evals") in f.parents:
            continue
        if "evals" in _app_imports(f):
            offenders.append(str(f.relative_to(ROOT)))
    assert not offenders, "production imports app.evals:\n" + "\n".join(offenders)


def test_app_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text(
        "from app.api import deps\nimport app.evals.bench_turn\n\ndef f():\n    from app import kb\n",
        encoding="utf-8",
    )
    assert _app_imports(bad) == {"api", "evals", "kb"}
