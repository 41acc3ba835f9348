// WAV files: decoding PCM 8/16/24/32-bit integer and 32/64-bit float (WAVE_FORMAT_EXTENSIBLE
// too), any sample rate, channels mixed down to mono; encoding mono float or 16-bit PCM.
// Malformed or truncated files are an Error that names the problem.
//
//   Audio a = read_wav("note.wav");       // a.samples in [-1, 1], a.sample_rate
//   write_wav("explanation.wav", samples, 16000);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heatlens {

struct Audio {
  int sample_rate = 0;
  std::vector<float> samples;  // mono, nominally in [-1, 1]
  int file_channels = 1;       // before the mix-down
  int bits = 0;                // per sample in the file
  bool float_format = false;
};

Audio decode_wav(const uint8_t* data, size_t size, const std::string& what);
Audio read_wav(const std::string& path);

// 32-bit float (pcm16 = false) or 16-bit PCM with clipping (pcm16 = true).
std::vector<uint8_t> encode_wav(const std::vector<float>& samples, int sample_rate,
                                bool pcm16 = false);
void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate,
               bool pcm16 = false);

}  // namespace heatlens
