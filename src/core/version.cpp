#include "core/version.h"

#ifndef HEATLENS_VERSION
#error "HEATLENS_VERSION must be defined by the build (CMakeLists.txt)"
#endif

namespace heatlens {

const char* version() {
  return HEATLENS_VERSION;
}

bool threads_enabled() {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  return false;
#else
  return true;
#endif
}

std::string build_description() {
  std::string d;
#if defined(__EMSCRIPTEN__)
  d = "wasm32";
#if defined(__wasm_simd128__)
  d += ", simd128";
#endif
#else
  d = "native";
#if defined(__x86_64__)
  d += " x86_64";
#elif defined(__aarch64__)
  d += " aarch64";
#endif
#endif
  d += threads_enabled() ? ", threads" : ", single-thread";
#if defined(__SANITIZE_ADDRESS__)
  d += ", asan";
#endif
  return d;
}

}  // namespace heatlens
