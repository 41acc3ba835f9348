// Sample-rate conversion by polyphase windowed-sinc interpolation (Kaiser window, β = 8.6,
// 48 zero crossings per side, cut-off at 0.9 of the lower Nyquist frequency): the passband is
// kept and content above the new Nyquist frequency is attenuated by more than 60 dB.
//
//   std::vector<float> y = resample(x, 44100, 16000);
#pragma once

#include <vector>

namespace heatlens {

std::vector<float> resample(const std::vector<float>& x, int from_rate, int to_rate);

}  // namespace heatlens
