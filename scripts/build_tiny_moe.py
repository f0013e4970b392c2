"""Build the tiny Qwen2-MoE that real vLLM (CPU) serves in tests and benchmarks; print its folder.

A real Mixture-of-Experts architecture (8 experts, top-2 routing, a shared expert) with random weights,
so vLLM's MoE code path, batching, prefix caching and structured outputs are exercised for real in CI;
answers are gibberish, so tests assert structure, not content. The Qwen2.5 tokenizer (and its chat
template) is read from the packaged Qwen2.5 GGUF, so prompts tokenize exactly as for the real model.

Seeded and byte-reproducible: the same inputs give the same files; the output folder is named by a hash
of this script and the tokenizer source, and is reused when complete.

Run with the vLLM venv (it has transformers, torch, gguf):
    python scripts/build_tiny_moe.py --gguf var/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf \
        --cache ~/.cache/kefu/models
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

SEED = 1234
SERVED_NAME = "kefu-tiny-moe"


def _key(gguf: Path) -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(gguf.name.encode())
    h.update(str(gguf.stat().st_size).encode())
    return h.hexdigest()[:12]


def build(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, Qwen2MoeConfig

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    if not tokenizer.chat_template:
        raise SystemExit(f"{gguf} carries no chat template")
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    config = Qwen2MoeConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        moe_intermediate_size=32,
        shared_expert_intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=1,  # head_dim 64: a size every vLLM CPU attention kernel supports
        num_key_value_heads=1,
        num_experts=8,
        num_experts_per_tok=2,
        decoder_sparse_step=1,
        max_position_embeddings=4096,
        # Untied: with tied embeddings a random model just echoes its last input token ("\n" after
        # "<|im_start|>assistant"), i.e. whitespace; an independent head gives visible (random) text.
        tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=eos,
    )
    torch.manual_seed(SEED)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.generation_config = GenerationConfig(eos_token_id=[eos], pad_token_id=tokenizer.pad_token_id)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    (tmp / "SERVED_NAME").write_text(SERVED_NAME + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gguf", type=Path, required=True, help="the Qwen2.5 GGUF to take the tokenizer from"
    )
    parser.add_argument("--cache", type=Path, required=True, help="folder that holds built models")
    args = parser.parse_args()
    out = args.cache / f"tiny-qwen2-moe-{_key(args.gguf)}"
    if not (out / "SERVED_NAME").is_file():
        args.cache.mkdir(parents=True, exist_ok=True)
        build(args.gguf.resolve(), out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
