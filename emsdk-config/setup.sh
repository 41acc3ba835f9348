#!/usr/bin/env bash
# Installs what heatlens needs and is missing, from Debian's packages and npm only.
# Idempotent: a second run checks and returns in a second or two.
#   bash emsdk-config/setup.sh           # packages for build + tests
#   bash emsdk-config/setup.sh --python  # also torch/onnx for tests/golden and models/train
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

packages=(
  cmake ninja-build g++ clang-format     # native toolchain
  emscripten                             # wasm toolchain (3.1.6, clang 14)
  catch2 libstb-dev nlohmann-json3-dev   # header-only libraries
  libeigen3-dev                          # header-only: its FFT module (audio front end)
  chromium                               # browser tests (playwright-core drives it)
  libonnx-testdata                       # ONNX operator conformance tests
  python3-numpy                          # reading .npy fixtures in scripts
  dataset-fashion-mnist                  # test inputs for the bundled fashion-cnn model
  fluidsynth musescore-general-soundfont # notes for the instruments models' tests and demos
)
if [[ "${1:-}" == "--python" ]]; then
  packages+=(python3-torch python3-torchvision python3-onnx)
  packages+=(fluid-soundfont-gm timgm6mb-soundfont)  # the instruments models' training fonts
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# npm packages (playwright-core, onnxruntime-web, ...) from package-lock.json; reinstall only
# when the lock file changed since the last install.
stamp=node_modules/.heatlens-lock-stamp
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# Sample photos for the cifar10-resnet demo inputs and model test: scikit-image's data files,
# taken from Debian's python3-skimage package without installing it (its dependency tree is
# large and nothing else needs it).
skimage_data=build/skimage-data
if [[ ! -f "$skimage_data/chelsea.png" ]]; then
  installed=/usr/lib/python3/dist-packages/skimage/data
  mkdir -p "$skimage_data"
  if [[ -f "$installed/chelsea.png" ]]; then
    cp "$installed"/{chelsea.png,horse.png} "$skimage_data"/
  else
    echo "setup: scikit-image sample photos (python3-skimage's data files)"
    tmp=$(mktemp -d)
    chmod 777 "$tmp"
    if (cd "$tmp" && apt-get download -qq python3-skimage 2>/dev/null) && dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"; then
      cp "$tmp"/x/usr/lib/python3/dist-packages/skimage/data/{chelsea.png,horse.png} "$skimage_data"/
    else
      echo "setup: could not fetch python3-skimage; the cifar10-resnet demo photos are skipped" >&2
    fi
    rm -rf "$tmp"
  fi
fi
