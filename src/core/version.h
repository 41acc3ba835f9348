// The engine's version and a description of the build it was compiled into.
//
//   std::printf("heatlens %s (%s)\n", heatlens::version(), heatlens::build_description().c_str());
#pragma once

#include <string>

namespace heatlens {

// Semantic version of the engine, the same as package.json's "version".
const char* version();

// Facts about this build, e.g. "native x86_64, avx2, threads" or "wasm32, simd128, single-thread".
std::string build_description();

// True when the build can run work on several threads (native, or wasm with pthreads).
bool threads_enabled();

}  // namespace heatlens
