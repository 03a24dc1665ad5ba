#!/usr/bin/env bash
# Puts cuDNN 9 and cuBLAS headers and link-time libraries into .deps/cuda/{include,lib}, taken
# from NVIDIA's wheels on the configured Python package index, so that the CUDA backend compiles
# and links on machines without a system cuDNN (CMakeLists.txt looks there).
#
# By default only what compiling and linking needs is unzipped: libcudnn.so.9 is cuDNN's small
# front library that exports the whole API and dlopens its engine libraries (about 1 GB) at run
# time; libcublasLt stays because libcublas.so needs it to link. That is enough for CI, but a
# cuDNN call then fails at run time, so on a GPU machine pass --runtime to unzip the engine
# libraries too (or point CUDNN_ROOT at a full cuDNN). Safe to re-run: skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.deps/cuda
cudnn_libs='*/lib/libcudnn.so.*'
ready=$dest/lib/libcudnn.so
if [[ ${1:-} == --runtime ]]; then
  cudnn_libs='*/lib/libcudnn*.so.*'
  ready=$dest/lib/libcudnn_graph.so
fi

if [[ -e $dest/include/cudnn_version.h && -e $dest/include/cublas_v2.h &&
      -e $ready && -e $dest/lib/libcublas.so ]]; then
  echo "fetch-cuda-deps: $dest is already there (delete it to fetch again)"
  exit 0
fi

start=$SECONDS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$dest.partial"' EXIT

PIP_RETRIES=0 python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" \
  'nvidia-cudnn-cu13==9.*' 'nvidia-cublas==13.*'

# -j drops the wheels' folder names (nvidia/cudnn/..., nvidia/cu13/...).
unzip -q -o -j "$tmp"/nvidia_cudnn_cu13-*.whl '*/include/*.h' "$cudnn_libs" -d "$tmp/files"
unzip -q -o -j "$tmp"/nvidia_cublas-*.whl '*/include/*.h' '*/lib/libcublas.so.*' '*/lib/libcublasLt.so.*' \
  -d "$tmp/files"
mkdir -p "$dest.partial/include" "$dest.partial/lib"
mv "$tmp"/files/*.h "$dest.partial/include/"
mv "$tmp"/files/*.so.* "$dest.partial/lib/"

# The wheels ship only libX.so.N; the linker looks for libX.so.
for lib in "$dest.partial"/lib/*.so.*; do
  base=$(basename "$lib")
  ln -sf "$base" "$dest.partial/lib/${base%%.so.*}.so"
done

rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "fetch-cuda-deps: $(ls "$dest/lib" | tr '\n' ' ')"
echo "fetch-cuda-deps: $dest filled in $((SECONDS - start)) s, $(du -sh "$dest" | cut -f1) unzipped"
