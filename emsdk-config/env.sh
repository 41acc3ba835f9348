# Environment Debian's Emscripten needs on these machines; sourced by the build scripts.
#   source emsdk-config/env.sh
# The JS optimizer needs Debian's node modules (acorn), which the machine's own node does not
# see without NODE_PATH.
heatlens_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
# Debian ships a frozen, prebuilt cache in /usr/share/emscripten/cache. Emscripten locks it
# while compiling, so a user who cannot write there works on a copy in the build tree.
if [[ -z "${EM_CACHE:-}" && ! -w /usr/share/emscripten/cache ]]; then
  export EM_CACHE="$heatlens_root/build/em-cache"
  if [[ ! -f "$EM_CACHE/sysroot_install.stamp" ]]; then
    mkdir -p "$EM_CACHE"
    cp -r /usr/share/emscripten/cache/. "$EM_CACHE/"
  fi
fi
