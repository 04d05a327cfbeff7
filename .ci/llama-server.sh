#!/usr/bin/env bash
# Builds llama.cpp's OpenAI-compatible `llama-server` and a tiny random-weight model for the
# real-server tests (tests/real_server.rs), into a cache folder that later runs reuse.
#
#   .ci/llama-server.sh [DIR]     DIR defaults to ${XDG_CACHE_HOME:-~/.cache}/kasauti-realserver
#
# llama.cpp's sources come from the llama-cpp-python source package on PyPI, which vendors them;
# the build takes 10-15 minutes on 2 cores the first time and a few seconds after. Prints DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/kasauti-realserver}
version=0.3.36
mkdir -p "$dir"
cd "$dir"
if [ -x build/bin/llama-server ] && [ -f tiny-random-llama.gguf ]; then
  echo "$dir"
  exit 0
fi
[ -x venv/bin/python ] || python3 -m venv venv
venv/bin/pip install -q -U pip wheel setuptools cmake ninja scikit-build-core numpy gguf==0.19.0
src=sdist/llama_cpp_python-$version/vendor/llama.cpp
if [ ! -d "$src" ]; then
  mkdir -p sdist
  venv/bin/pip download -q --no-deps --no-binary llama-cpp-python --no-build-isolation \
    -d sdist "llama-cpp-python==$version"
  tar -xzf "sdist/llama_cpp_python-$version.tar.gz" -C sdist
fi
if [ ! -x build/bin/llama-server ]; then
  export PATH="$dir/venv/bin:$PATH"
  cmake -S "$src" -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_APP=OFF >build.log
  cmake --build build --target llama-server -j "$(nproc)" >>build.log
fi
venv/bin/python "$here/tiny_gguf.py" tiny-random-llama.gguf
echo "$dir"
