#include "core/denormals.h"

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__EMSCRIPTEN__)
#include <xmmintrin.h>
#define HEATLENS_MXCSR 1
#endif

namespace heatlens {

#if defined(HEATLENS_MXCSR)
FlushDenormals::FlushDenormals() : saved_(_mm_getcsr()) {
  _mm_setcsr(saved_ | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
}
FlushDenormals::~FlushDenormals() {
  _mm_setcsr(saved_);
}
#else
FlushDenormals::FlushDenormals() {
  (void)saved_;
}
FlushDenormals::~FlushDenormals() {}
#endif

}  // namespace heatlens
