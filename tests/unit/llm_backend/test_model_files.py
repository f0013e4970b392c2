"""Assembling the packaged GGUF: order, checksum, atomic replace, cached verification."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from llm_backend.errors import LLMModelFileError
from llm_backend.model_files import PART_MODULES, assemble, resolve_gguf


def _parts(tmp_path: Path) -> tuple[list[Path], str]:
    chunks = [b"GGUF" + bytes([i]) * 1000 for i in range(3)]
    paths = []
    for i, chunk in enumerate(chunks):
        p = tmp_path / f"part{i}.bin"
        p.write_bytes(chunk)
        paths.append(p)
    return paths, hashlib.sha256(b"".join(chunks)).hexdigest()


def test_concatenates_in_order_and_verifies(tmp_path: Path) -> None:
    parts, sha = _parts(tmp_path)
    target = assemble(parts, tmp_path / "models" / "m.gguf", sha)
    assert target.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert not list(target.parent.glob("*.part"))  # no temporary file left behind


def test_wrong_checksum_refuses_and_leaves_nothing(tmp_path: Path) -> None:
    parts, _ = _parts(tmp_path)
    target = tmp_path / "models" / "m.gguf"
    with pytest.raises(LLMModelFileError, match="sha256"):
        assemble(parts, target, "0" * 64)
    assert not target.exists()
    assert not list(target.parent.glob("*"))


def test_corrupted_existing_file_is_rebuilt(tmp_path: Path) -> None:
    parts, sha = _parts(tmp_path)
    target = assemble(parts, tmp_path / "m.gguf", sha)
    target.write_bytes(b"truncated")
    assemble(parts, target, sha)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_configured_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(LLMModelFileError, match="not a file"):
        resolve_gguf(tmp_path / "missing.gguf", tmp_path)
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"x")
    assert resolve_gguf(f, tmp_path) == f


def test_part_packages_are_installed() -> None:
    import importlib

    for name in PART_MODULES:
        assert Path(importlib.import_module(name).get_part_path()).stat().st_size > 1_000_000
