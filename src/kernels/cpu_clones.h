// HEATLENS_CPU_CLONES before a function compiles it three times (AVX-512F, AVX2, plain
// x86-64) and picks the version the CPU runs at load time (GCC's function multiversioning,
// through an ifunc), so loops the compiler vectorises use the widest vectors the CPU has while
// the library stays portable. Templates inlined into such a function are compiled with it.
// Elsewhere (wasm, clang, other CPUs, sanitizer builds, whose runtimes start after ifunc
// resolvers run) it is empty.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__EMSCRIPTEN__) && \
    !defined(__SANITIZE_ADDRESS__) && defined(__linux__)
#define HEATLENS_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HEATLENS_CPU_CLONES
#endif
