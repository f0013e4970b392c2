#!/usr/bin/env bash
# Install llama-cpp-python into the given venv from a portable wheel, building it once per flag set.
# The native build crashes on these VMs ("Illegal instruction": the CPU lists AMX it cannot run), so the
# wheel is built with explicit, portable flags and kept in a cache keyed by those flags; pip's own cache is
# bypassed so a native build can never be reused by accident.
set -euo pipefail
venv=${1:?usage: install_llama_cpp.sh VENV}
version=0.3.36
flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
key=$(printf '%s %s' "$version" "$flags" | sha256sum | cut -c1-12)
cache=${KEFU_WHEEL_CACHE:-$HOME/.cache/kefu/wheels}/llama-$key
if "$venv/bin/python" -c "import llama_cpp, sys; sys.exit(0 if llama_cpp.__version__ == '$version' else 1)" 2>/dev/null; then
  exit 0
fi
if ! ls "$cache"/llama_cpp_python-$version-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $version (portable flags; ~7 min, once per machine) into $cache"
  mkdir -p "$cache"
  CMAKE_ARGS="$flags" "$venv/bin/pip" wheel --no-cache-dir --no-deps -w "$cache" "llama-cpp-python==$version"
fi
"$venv/bin/pip" install -q "diskcache==5.6.3" "jinja2>=2.11.3" "typing-extensions>=4.5.0" "numpy>=1.20.0"
"$venv/bin/pip" install -q --no-index --no-deps --find-links "$cache" "llama-cpp-python==$version"
