// Flush denormal floats to zero while the engine runs (x86: MXCSR FTZ + DAZ). Activations of
// 1e-38 carry no information for an explanation, but each one costs the CPU a microcode
// assist, which made some layers several times slower. PyTorch (set_flush_denormal) and ONNX
// Runtime (set_denormal_as_zero) offer the same. Elsewhere (wasm, ARM) it does nothing.
//
//   { FlushDenormals scope; run(); }   // the previous mode is restored on exit
#pragma once

namespace heatlens {

class FlushDenormals {
 public:
  FlushDenormals();
  ~FlushDenormals();
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace heatlens
