#!/usr/bin/env bash
# Builds heatlens. Targets (default: all):
#   native   build/native   heatlens CLI, libheatlens.a, unit tests (ctest)
#   asan     build/asan     unit tests under AddressSanitizer + UBSan
#   wasm     build/wasm     heatlens.{js,wasm} (single thread, SIMD128) + unit tests for node
#   wasm-mt  build/wasm-mt  heatlens-mt.{js,wasm} (pthreads + SIMD128)
#   web      copies the wasm modules into web/engine/ (served by npm start)
#   docs     regenerates web/docs/{operators,methods,metrics}.md from the registries (needs native)
# Builds run one after another: these machines have two cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source emsdk-config/env.sh
jobs="${HEATLENS_JOBS:-$(nproc)}"
targets=("$@")
((${#targets[@]})) || targets=(native asan wasm wasm-mt web)

configure_and_build() {  # dir, configure command...
  local dir=$1
  shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    "$@" -S . -B "$dir" -G Ninja >/dev/null
  fi
  cmake --build "$dir" -j "$jobs"
}

for t in "${targets[@]}"; do
  echo "build: $t"
  case "$t" in
    native) configure_and_build build/native cmake -DCMAKE_BUILD_TYPE=Release ;;
    asan) configure_and_build build/asan cmake -DCMAKE_BUILD_TYPE=Debug -DHEATLENS_SANITIZE=ON ;;
    wasm) configure_and_build build/wasm emcmake cmake -DCMAKE_BUILD_TYPE=Release ;;
    wasm-mt)
      configure_and_build build/wasm-mt emcmake cmake -DCMAKE_BUILD_TYPE=Release -DHEATLENS_THREADS=ON ;;
    web)
      mkdir -p web/engine
      for f in build/wasm/heatlens.{js,wasm} build/wasm-mt/heatlens-mt.{js,wasm,worker.js}; do
        [[ -f "$f" ]] && cp -u "$f" web/engine/
      done
      # Front-end libraries from npm, served from our own origin.
      mkdir -p web/vendor
      cp -u node_modules/marked/lib/marked.esm.js web/vendor/
      # onnxruntime-web: the wasm execution provider (the "verify" button, models with operators
      # heatlens lacks) and the WebGPU one (the page's "ONNX Runtime (WebGPU)" runner).
      mkdir -p web/vendor/ort
      for f in ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm \
               ort.webgpu.min.mjs ort-wasm-simd-threaded.asyncify.mjs ort-wasm-simd-threaded.asyncify.wasm; do
        cp -u "node_modules/onnxruntime-web/dist/$f" web/vendor/ort/
      done
      # Bundled models (with their cards) and demo inputs, served beside the app.
      node emsdk-config/stage_models.mjs
      node models/make_demo_inputs.mjs
      node emsdk-config/write_precache.mjs
      ;;
    docs)  # generated documentation tables (committed; tests/docs_check.mjs keeps them current)
      build/native/heatlens ops --markdown > web/docs/operators.md
      build/native/heatlens methods --markdown > web/docs/methods.md
      build/native/heatlens metrics --markdown > web/docs/metrics.md ;;
    *) echo "build: unknown target '$t'" >&2; exit 2 ;;
  esac
done
