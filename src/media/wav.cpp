#include "media/wav.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "media/npy.h"

namespace heatlens {

namespace {

uint32_t u32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t{p[3]} << 24);
}
uint16_t u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

constexpr uint16_t kPcm = 1, kFloat = 3, kExtensible = 0xFFFE;

}  // namespace

Audio decode_wav(const uint8_t* data, size_t size, const std::string& what) {
  HEATLENS_CHECK(
      size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WAVE", 4) == 0,
      what << " is not a WAV file (no RIFF/WAVE header)");
  Audio a;
  uint16_t format = 0, channels = 0, block_align = 0;
  const uint8_t* samples = nullptr;
  size_t sample_bytes = 0;
  bool have_fmt = false;
  for (size_t pos = 12; pos + 8 <= size;) {
    const uint32_t chunk = u32(data + pos + 4);
    const uint8_t* body = data + pos + 8;
    const size_t available = size - pos - 8;
    if (std::memcmp(data + pos, "fmt ", 4) == 0) {
      HEATLENS_CHECK(chunk >= 16 && available >= 16, what << ": the fmt chunk is truncated");
      format = u16(body);
      channels = u16(body + 2);
      a.sample_rate = static_cast<int>(u32(body + 4));
      block_align = u16(body + 12);
      a.bits = u16(body + 14);
      if (format == kExtensible) {
        HEATLENS_CHECK(chunk >= 40 && available >= 40,
                       what << ": the extensible fmt chunk is truncated");
        format = u16(body + 24);  // the sub-format GUID starts with the format code
      }
      have_fmt = true;
    } else if (std::memcmp(data + pos, "data", 4) == 0) {
      HEATLENS_CHECK(have_fmt, what << ": the data chunk comes before the fmt chunk");
      HEATLENS_CHECK(chunk <= available, what << " is truncated: the data chunk declares " << chunk
                                              << " bytes, " << available << " are present");
      samples = body;
      sample_bytes = chunk;
      break;
    }
    pos += 8 + chunk + (chunk & 1);  // chunks are padded to an even size
  }
  HEATLENS_CHECK(have_fmt, what << ": no fmt chunk");
  HEATLENS_CHECK(samples, what << ": no data chunk");
  HEATLENS_CHECK(channels >= 1, what << ": 0 channels");
  HEATLENS_CHECK(a.sample_rate > 0 && a.sample_rate <= 1000000,
                 what << ": sample rate " << a.sample_rate << " Hz is not usable");
  a.float_format = format == kFloat;
  HEATLENS_CHECK(format == kPcm || format == kFloat,
                 what << ": WAV format " << format << " is not supported (PCM or IEEE float)");
  const bool supported = a.float_format
                             ? (a.bits == 32 || a.bits == 64)
                             : (a.bits == 8 || a.bits == 16 || a.bits == 24 || a.bits == 32);
  HEATLENS_CHECK(supported, what << ": " << a.bits << "-bit " << (a.float_format ? "float" : "PCM")
                                 << " samples are not supported");
  const int bytes = a.bits / 8;
  HEATLENS_CHECK(block_align == channels * bytes, what << ": block align " << block_align
                                                       << " does not match " << channels
                                                       << " channels of " << a.bits << " bits");
  a.file_channels = channels;
  const size_t frames = sample_bytes / block_align;
  a.samples.resize(frames);
  for (size_t f = 0; f < frames; ++f) {
    double sum = 0;
    for (int c = 0; c < channels; ++c) {
      const uint8_t* p = samples + f * block_align + c * bytes;
      double v = 0;
      if (a.float_format && bytes == 4) {
        float x;
        std::memcpy(&x, p, 4);
        v = x;
      } else if (a.float_format) {
        double x;
        std::memcpy(&x, p, 8);
        v = x;
      } else if (bytes == 1) {
        v = (p[0] - 128) / 128.0;  // 8-bit WAV is unsigned
      } else if (bytes == 2) {
        v = static_cast<int16_t>(u16(p)) / 32768.0;
      } else if (bytes == 3) {
        const int32_t x =
            static_cast<int32_t>((p[0] << 8) | (p[1] << 16) | (uint32_t{p[2]} << 24)) >> 8;
        v = x / 8388608.0;
      } else {
        v = static_cast<int32_t>(u32(p)) / 2147483648.0;
      }
      sum += v;
    }
    a.samples[f] = static_cast<float>(sum / channels);
  }
  return a;
}

Audio read_wav(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  HEATLENS_CHECK(f.good(), "cannot open '" << path << "'");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                   std::istreambuf_iterator<char>());
  return decode_wav(bytes.data(), bytes.size(), "'" + path + "'");
}

std::vector<uint8_t> encode_wav(const std::vector<float>& samples, int sample_rate, bool pcm16) {
  const uint32_t bytes = pcm16 ? 2 : 4;
  const uint32_t data = static_cast<uint32_t>(samples.size()) * bytes;
  std::vector<uint8_t> out(44 + static_cast<size_t>(data));
  size_t at = 0;
  auto put = [&](uint32_t v, int n) {
    for (int i = 0; i < n; ++i) out[at++] = static_cast<uint8_t>(v >> (8 * i));
  };
  auto tag = [&](const char* s) {
    std::memcpy(&out[at], s, 4);
    at += 4;
  };
  tag("RIFF");
  put(36 + data, 4);
  tag("WAVE");
  tag("fmt ");
  put(16, 4);
  put(pcm16 ? kPcm : kFloat, 2);
  put(1, 2);
  put(static_cast<uint32_t>(sample_rate), 4);
  put(static_cast<uint32_t>(sample_rate) * bytes, 4);
  put(bytes, 2);
  put(bytes * 8, 2);
  tag("data");
  put(data, 4);
  for (float s : samples) {
    if (pcm16) {
      const float c = std::clamp(s, -1.0f, 1.0f);
      put(static_cast<uint16_t>(static_cast<int16_t>(std::lround(c * 32767.0f))), 2);
    } else {
      uint32_t v;
      std::memcpy(&v, &s, 4);
      put(v, 4);
    }
  }
  return out;
}

void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate,
               bool pcm16) {
  write_file(path, encode_wav(samples, sample_rate, pcm16));
}

}  // namespace heatlens
