#!/usr/bin/env bash
# Serve the production MoE with vLLM on GPUs: the flags docs/LLM.md explains. Usage:
#   bench/gpu/serve_moe.sh 1gpu   # one 80-141 GB GPU (H100/H200): Qwen3-30B-A3B-Instruct-2507, FP8
#   bench/gpu/serve_moe.sh 8gpu   # 8 GPUs: Qwen3-235B-A22B-Instruct-2507, FP8, tensor + expert parallel
# MODEL_DIR may point at a local copy of the checkpoint (hosts without a model hub); PORT defaults to 8000.
set -euo pipefail
profile=${1:?usage: serve_moe.sh 1gpu|8gpu}
port=${PORT:-8000}
common=(
  --served-model-name kefu-moe --host 0.0.0.0 --port "$port"
  --enable-prefix-caching --enable-chunked-prefill --enable-prompt-tokens-details
  --kv-cache-dtype fp8 --gpu-memory-utilization 0.90
  --structured-outputs-config '{"backend":"xgrammar","disable_any_whitespace":true}'
  --generation-config vllm
)
case "$profile" in
  1gpu)
    exec python -m vllm.entrypoints.openai.api_server --model "${MODEL_DIR:-Qwen/Qwen3-30B-A3B-Instruct-2507-FP8}" \
      "${common[@]}" --max-model-len 16384 --max-num-seqs 128 --max-num-batched-tokens 8192 ;;
  8gpu)
    exec python -m vllm.entrypoints.openai.api_server --model "${MODEL_DIR:-Qwen/Qwen3-235B-A22B-Instruct-2507-FP8}" \
      "${common[@]}" --tensor-parallel-size 8 --enable-expert-parallel \
      --max-model-len 32768 --max-num-seqs 256 --max-num-batched-tokens 16384 ;;
  *) echo "unknown profile $profile (1gpu|8gpu)" >&2; exit 2 ;;
esac
