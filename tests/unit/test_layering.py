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
