// The audio front end: WAV decoding of every supported sample format and its errors,
// resampling that keeps the passband and removes what the new rate cannot hold, STFT/ISTFT
// against torch.stft and as a round trip, mel filter banks, log-mel and the log-frequency DFT
// against the references of tests/golden/make_audio_goldens.py.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "media/audio_features.h"
#include "media/audio_frontend.h"
#include "media/audio_windows.h"
#include "media/npy.h"
#include "media/resample.h"
#include "media/wav.h"

using heatlens::Audio;

namespace {

const std::string kDir = std::string(HEATLENS_SOURCE_DIR) + "/tests/golden/audio/";

// A WAV with the given format code, bits, channels and raw sample bytes.
std::vector<uint8_t> wav(uint16_t format, uint16_t bits, uint16_t channels, int rate,
                         const std::vector<uint8_t>& data, bool extensible = false) {
  std::vector<uint8_t> out;
  auto put = [&](uint32_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto tag = [&](const char* s) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(s[i]));
  };
  const uint32_t fmt_size = extensible ? 40 : 16;
  tag("RIFF");
  put(4 + 8 + fmt_size + 8 + static_cast<uint32_t>(data.size()), 4);
  tag("WAVE");
  tag("fmt ");
  put(fmt_size, 4);
  put(extensible ? 0xFFFE : format, 2);
  put(channels, 2);
  put(rate, 4);
  put(rate * channels * bits / 8, 4);
  put(channels * bits / 8, 2);
  put(bits, 2);
  if (extensible) {
    put(22, 2);
    put(bits, 2);
    put(0, 4);
    put(format, 2);
    for (int i = 0; i < 14; ++i) out.push_back(0);
  }
  tag("data");
  put(static_cast<uint32_t>(data.size()), 4);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Audio decode(const std::vector<uint8_t>& bytes) {
  return heatlens::decode_wav(bytes.data(), bytes.size(), "test.wav");
}

double rms(const std::vector<float>& x, size_t from = 0, size_t to = 0) {
  to = to ? to : x.size();
  double s = 0;
  for (size_t i = from; i < to; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s / (to - from));
}

std::vector<float> sine(double hz, int rate, int n, double amp = 0.5) {
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(amp * std::sin(2 * 3.14159265358979 * hz * i / rate));
  return x;
}

std::vector<float> load(const std::string& name) {
  const heatlens::Tensor t = heatlens::read_npy(kDir + name);
  return std::vector<float>(t.f32(), t.f32() + t.numel());
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

}  // namespace

TEST_CASE("WAV: every sample format decodes to the same mono signal", "[audio]") {
  // 8-bit unsigned, 16/24/32-bit signed, float32/64: the values 0.5 and −0.25.
  const Audio u8 = decode(wav(1, 8, 1, 8000, {192, 96}));
  CHECK(u8.samples == std::vector<float>{0.5f, -0.25f});
  const Audio s16 = decode(wav(1, 16, 1, 8000, {0x00, 0x40, 0x00, 0xE0}));
  CHECK(s16.samples == std::vector<float>{0.5f, -0.25f});
  const Audio s24 = decode(wav(1, 24, 1, 8000, {0, 0, 0x40, 0, 0, 0xE0}));
  CHECK(s24.samples == std::vector<float>{0.5f, -0.25f});
  const Audio s32 = decode(wav(1, 32, 1, 8000, {0, 0, 0, 0x40, 0, 0, 0, 0xE0}, true));
  CHECK(s32.samples == std::vector<float>{0.5f, -0.25f});
  std::vector<uint8_t> f64(16);
  const double v[2] = {0.5, -0.25};
  std::memcpy(f64.data(), v, 16);
  CHECK(decode(wav(3, 64, 1, 8000, f64)).samples == std::vector<float>{0.5f, -0.25f});
  // Stereo is mixed down: (0.5 + 0) / 2, (−0.25 − 0.25) / 2.
  const Audio stereo = decode(wav(1, 16, 2, 44100, {0x00, 0x40, 0, 0, 0x00, 0xE0, 0x00, 0xE0}));
  CHECK(stereo.samples == std::vector<float>{0.25f, -0.25f});
  CHECK(stereo.file_channels == 2);
  CHECK(stereo.sample_rate == 44100);
  // Encoding round trips (float exactly, 16-bit within a step).
  const std::vector<float> x = sine(440, 16000, 100);
  CHECK(decode(heatlens::encode_wav(x, 16000)).samples == x);
  const Audio p16 = decode(heatlens::encode_wav(x, 16000, true));
  for (size_t i = 0; i < x.size(); ++i) CHECK(std::fabs(p16.samples[i] - x[i]) < 1.0 / 32767);
}

TEST_CASE("WAV: malformed and truncated files are errors that name the problem", "[audio]") {
  std::vector<uint8_t> good = wav(1, 16, 1, 8000, {0, 0, 0, 0});
  CHECK_THROWS_WITH(decode({'R', 'I', 'F', 'X'}), Catch::Contains("not a WAV file"));
  std::vector<uint8_t> truncated(good.begin(), good.end() - 2);
  CHECK_THROWS_WITH(decode(truncated), Catch::Contains("truncated"));
  CHECK_THROWS_WITH(decode(wav(1, 12, 1, 8000, {0, 0})), Catch::Contains("12-bit PCM"));
  CHECK_THROWS_WITH(decode(wav(2, 16, 1, 8000, {0, 0})), Catch::Contains("format 2"));
  CHECK_THROWS_WITH(decode(wav(1, 16, 0, 8000, {0, 0})), Catch::Contains("0 channels"));
  std::vector<uint8_t> no_data(good.begin(), good.begin() + 36);
  no_data[4] = 28;
  CHECK_THROWS_WITH(decode(no_data), Catch::Contains("no data chunk"));
  CHECK_THROWS_WITH(heatlens::read_wav("/nonexistent.wav"), Catch::Contains("cannot open"));
}

TEST_CASE("resampling keeps a 1 kHz tone and removes what the new rate cannot hold", "[audio]") {
  // 44.1 kHz → 16 kHz: 1 kHz stays 1 kHz at the same level.
  const std::vector<float> y = heatlens::resample(sine(1000, 44100, 44100), 44100, 16000);
  REQUIRE(y.size() == 16000);
  const auto spectrum = heatlens::rfft(std::vector<float>(y.begin(), y.end()));
  size_t peak = 1;
  for (size_t k = 1; k < spectrum.size(); ++k)
    if (std::abs(spectrum[k]) > std::abs(spectrum[peak])) peak = k;
  CHECK(peak == 1000);  // 16000-point FFT of 1 s: one bin per Hz
  CHECK(rms(y, 2000, 14000) == Approx(0.5 / std::sqrt(2.0)).epsilon(0.01));
  // 12 kHz cannot exist at 16 kHz: attenuated by at least 60 dB.
  const std::vector<float> alias = heatlens::resample(sine(12000, 44100, 44100), 44100, 16000);
  CHECK(rms(alias, 2000, 14000) < 1e-3 * (0.5 / std::sqrt(2.0)));
  // Upsampling 16 kHz → 44.1 kHz keeps the tone too.
  const std::vector<float> up = heatlens::resample(sine(1000, 16000, 16000), 16000, 44100);
  CHECK(up.size() == 44100);
  const std::vector<float> ref = sine(1000, 44100, 44100);
  double err = 0;
  for (size_t i = 4000; i < 40000; ++i)
    err = std::max(err, static_cast<double>(std::fabs(up[i] - ref[i])));
  CHECK(err < 2e-3);
}

TEST_CASE("STFT matches torch.stft and the inverse reconstructs the signal", "[audio]") {
  std::ifstream f(kDir + "cases.json");
  REQUIRE(f.good());
  const nlohmann::json cases = nlohmann::json::parse(f);
  const std::vector<float> x = load("signal.npy");
  for (const auto& c : cases.at("stft")) {
    INFO(c.dump());
    heatlens::StftConfig cfg;
    cfg.n_fft = c.at("n_fft");
    cfg.hop = c.at("hop");
    cfg.win_length = c.at("win_length");
    cfg.window = c.at("window");
    const heatlens::Spectrum s = heatlens::stft(x, cfg);
    const std::vector<float> ref = load(c.at("file"));  // [2, frames, bins]
    REQUIRE(static_cast<int64_t>(ref.size()) == 2 * s.frames * s.bins);
    double diff = 0;
    const int64_t n = s.frames * s.bins;
    for (int64_t i = 0; i < n; ++i)
      diff = std::max(diff, std::abs(s.values[i] - std::complex<float>(ref[i], ref[n + i])) * 1.0);
    CHECK(diff <= 1e-4 * max_abs(ref));
    // Round trip: relative error < 1e-5.
    const std::vector<float> y = heatlens::istft(s, cfg, static_cast<int64_t>(x.size()));
    double num = 0, den = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      num += (y[i] - x[i]) * (y[i] - x[i]);
      den += static_cast<double>(x[i]) * x[i];
    }
    CHECK(std::sqrt(num / den) < 1e-5);
  }
}

TEST_CASE("mel filter banks, log-mel, log-magnitude and the log-frequency DFT match the references",
          "[audio]") {
  std::ifstream f(kDir + "cases.json");
  const nlohmann::json cases = nlohmann::json::parse(f);
  const std::vector<float> x = load("signal.npy");
  heatlens::StftConfig cfg;
  cfg.n_fft = 256;
  cfg.hop = 64;
  const heatlens::Spectrum s = heatlens::stft(x, cfg);
  for (const auto& c : cases.at("mel")) {
    INFO(c.dump());
    const auto scale =
        c.at("scale") == "htk" ? heatlens::MelScale::htk : heatlens::MelScale::slaney;
    const std::vector<float> fb = heatlens::mel_filterbank(
        129, 16000, c.at("n_mels"), c.at("f_min"), c.at("f_max"), scale, c.at("slaney_norm"));
    const std::vector<float> ref = load(c.at("fbank"));
    REQUIRE(fb.size() == ref.size());
    for (size_t i = 0; i < fb.size(); ++i)
      CHECK(fb[i] == Approx(ref[i]).margin(1e-6 * max_abs(ref)));
    const std::vector<float> lm = heatlens::log_mel(s, fb, c.at("n_mels"));
    const std::vector<float> lref = load(c.at("logmel"));
    REQUIRE(lm.size() == lref.size());
    for (size_t i = 0; i < lm.size(); ++i) CHECK(lm[i] == Approx(lref[i]).margin(1e-3));
  }
  const std::vector<float> mag = heatlens::log_magnitude(s), mref = load("logmag.npy");
  REQUIRE(mag.size() == mref.size());
  for (size_t i = 0; i < mag.size(); ++i) CHECK(mag[i] == Approx(mref[i]).margin(1e-3));
  const std::vector<float> dft = heatlens::log_frequency_dft(x, 16000, 128, 20, 8000);
  const std::vector<float> dref = load("logfreq_dft.npy");
  REQUIRE(dft.size() == dref.size());
  for (size_t i = 0; i < 128; ++i) CHECK(dft[i] == Approx(dref[i]).margin(1e-5));
  // Phases: compare as angles (±π are the same), where the magnitude is not negligible.
  for (size_t i = 0; i < 128; ++i) {
    if (dref[i] < 1e-4) continue;
    const double d = std::remainder(dft[128 + i] - dref[128 + i], 2 * 3.14159265358979);
    CHECK(std::fabs(d) < 1e-3);
  }
  CHECK(heatlens::mel_to_hz(heatlens::hz_to_mel(3000, heatlens::MelScale::slaney),
                            heatlens::MelScale::slaney) == Approx(3000));
  CHECK_THROWS_WITH(heatlens::log_frequency_dft(x, 16000, 128, 20, 9000),
                    Catch::Contains("Nyquist"));
}

TEST_CASE("the instruments models' cards give the features their training script computed",
          "[audio]") {
  std::ifstream f(kDir + "cases.json");
  const nlohmann::json cases = nlohmann::json::parse(f);
  REQUIRE(cases.at("instruments").size() == 2);
  for (const auto& c : cases.at("instruments")) {
    const std::string model = c.at("model");
    INFO(model);
    std::ifstream card_file(std::string(HEATLENS_SOURCE_DIR) + "/models/" + model + "/card.json");
    REQUIRE(card_file.good());
    const nlohmann::json card = nlohmann::json::parse(card_file);
    const heatlens::AudioFrontend front = heatlens::parse_audio_frontend(card.at("audio_frontend"));
    Audio a;
    a.sample_rate = 16000;
    a.samples = load(c.at("signal"));
    const heatlens::Tensor x = heatlens::audio_features(front, heatlens::audio_clip(front, a));
    const heatlens::Tensor ref = heatlens::read_npy(kDir + c.at("features").get<std::string>());
    // The card's input shape without its batch dimension is the feature's shape.
    const nlohmann::json& shape = card.at("input").at("shape");
    REQUIRE(x.shape().size() == shape.size());
    REQUIRE(x.numel() == ref.numel());
    for (size_t d = 1; d < shape.size(); ++d) CHECK(x.shape()[d] == shape[d].get<int64_t>());
    const bool dft = front.feature == "log-frequency-dft";
    const int64_t half = x.numel() / 2;
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (dft && i >= half) {  // phase: as angles, where the magnitude is not negligible
        if (ref.f32()[i - half] < 1e-4) continue;
        CHECK(std::fabs(std::remainder(x.f32()[i] - ref.f32()[i], 2 * 3.14159265358979)) < 1e-3);
      } else {
        CHECK(x.f32()[i] == Approx(ref.f32()[i]).margin(dft ? 1e-5 : 1e-3));
      }
    }
  }
}

TEST_CASE("an audio card's front end makes the model input and listenable explanations",
          "[audio]") {
  CHECK_THROWS_WITH(heatlens::parse_audio_frontend({{"feature", "cqt"}}),
                    Catch::Contains("log-magnitude, log-mel"));
  heatlens::AudioFrontend f = heatlens::parse_audio_frontend({{"sample_rate", 16000},
                                                              {"duration", 0.5},
                                                              {"feature", "log-magnitude"},
                                                              {"n_fft", 256},
                                                              {"hop", 64}});
  CHECK(f.f_max == 8000);
  CHECK_THROWS_WITH(heatlens::parse_audio_frontend({{"normalise", "rms"}}),
                    Catch::Contains("'normalise' must be none or peak"));
  {  // Peak normalisation: any level gives the same clip; silence is an error, not NaNs.
    heatlens::AudioFrontend peak = f;
    peak.peak_normalise = true;
    Audio quiet;
    quiet.sample_rate = 16000;
    quiet.samples = sine(440, 16000, 8000, 0.01);
    CHECK(max_abs(heatlens::audio_clip(peak, quiet)) == Approx(1.0));
    quiet.samples.assign(8000, 0.0f);
    CHECK_THROWS_WITH(heatlens::audio_clip(peak, quiet), Catch::Contains("silent"));
  }
  // A 0.25 s recording at 44.1 kHz: resampled to 16 kHz and zero-padded to 0.5 s.
  Audio a;
  a.sample_rate = 44100;
  a.samples = sine(440, 44100, 11025);
  const std::vector<float> clip = heatlens::audio_clip(f, a);
  REQUIRE(clip.size() == 8000);
  CHECK(clip[7000] == 0.0f);
  CHECK(rms(clip, 500, 3500) == Approx(0.5 / std::sqrt(2.0)).epsilon(0.01));
  const heatlens::Tensor x = heatlens::audio_features(f, clip);
  CHECK(x.shape() == heatlens::Shape{1, 1, 129, 126});  // frequency rows, 1 + 8000 / 64 frames
  heatlens::AudioFrontend mel = f;
  mel.feature = "log-mel";
  mel.n_mels = 40;
  CHECK(heatlens::audio_features(mel, clip).shape() == heatlens::Shape{1, 1, 40, 126});
  heatlens::AudioFrontend dft = f;
  dft.feature = "log-frequency-dft";
  dft.bins = 64;
  dft.f_min = 20;
  CHECK(heatlens::audio_features(dft, clip).shape() == heatlens::Shape{1, 2, 64});
  CHECK_THROWS_WITH(heatlens::listenable_explanation(dft, clip, heatlens::Tensor({1, 2, 64}), 0.1),
                    Catch::Contains("spectrogram"));

  // Two tones; relevance everywhere gives back the input, nowhere gives silence.
  std::vector<float> two = sine(440, 16000, 8000);
  const std::vector<float> high = sine(3000, 16000, 8000);
  for (size_t i = 0; i < two.size(); ++i) two[i] += high[i];
  heatlens::Tensor all({1, 1, 129, 126});
  for (int64_t i = 0; i < all.numel(); ++i) all.f32()[i] = 1.0f;
  heatlens::Listenable l = heatlens::listenable_explanation(f, two, all, 0.1);
  CHECK(rms(l.residual) < 1e-5 * rms(two));
  l = heatlens::listenable_explanation(f, two, heatlens::Tensor({1, 1, 129, 126}), 0.1);
  CHECK(rms(l.explanation) == 0.0);
  // Relevance on the rows around 3 kHz (bin 48 of 129 at 62.5 Hz per bin): the explanation is
  // the 3 kHz tone, the residual the 440 Hz one.
  heatlens::Tensor band({1, 1, 129, 126});
  for (int64_t r = 44; r <= 52; ++r)
    for (int64_t t = 0; t < 126; ++t) band.f32()[r * 126 + t] = 1.0f;
  for (const heatlens::AudioFrontend* cfg : {&f, &mel}) {
    INFO(cfg->feature);
    heatlens::Tensor rel = band;
    if (cfg == &mel) {
      // The mel bands covering 2.8–3.2 kHz.
      rel = heatlens::Tensor({1, 1, 40, 126});
      for (int64_t m = 0; m < 40; ++m) {
        const double lo =
            heatlens::mel_to_hz(heatlens::hz_to_mel(8000, heatlens::MelScale::slaney) * m / 41,
                                heatlens::MelScale::slaney);
        const double hi = heatlens::mel_to_hz(
            heatlens::hz_to_mel(8000, heatlens::MelScale::slaney) * (m + 2) / 41,
            heatlens::MelScale::slaney);
        if (lo < 3000 && hi > 3000)
          for (int64_t t = 0; t < 126; ++t) rel.f32()[m * 126 + t] = 1.0f;
      }
    }
    l = heatlens::listenable_explanation(*cfg, two, rel, 0.1);
    const auto e =
        heatlens::rfft(std::vector<float>(l.explanation.begin(), l.explanation.begin() + 8000));
    const auto r =
        heatlens::rfft(std::vector<float>(l.residual.begin(), l.residual.begin() + 8000));
    // 8000-point FFT at 16 kHz: 2 Hz per bin; 440 Hz → bin 220, 3 kHz → bin 1500.
    CHECK(std::abs(e[1500]) > 30 * std::abs(e[220]));
    // Mel bands overlap, so a mel mask is soft at the band edges: only the linear one removes the
    // tone from the residual completely.
    if (cfg == &f) CHECK(std::abs(r[220]) > 30 * std::abs(r[1500]));
    CHECK(std::abs(r[220]) >
          0.99 * std::abs(heatlens::rfft(std::vector<float>(two.begin(), two.end()))[220]));
  }
}

TEST_CASE("long recordings: windows slide over them and relevance returns to their frames",
          "[audio]") {
  heatlens::AudioFrontend f = heatlens::parse_audio_frontend({{"sample_rate", 16000},
                                                              {"duration", 0.5},
                                                              {"normalise", "peak"},
                                                              {"feature", "log-magnitude"},
                                                              {"n_fft", 256},
                                                              {"hop", 64}});
  // 2.3 s: a quiet 440 Hz tone, then silence from 1.2 s.
  Audio a;
  a.sample_rate = 16000;
  a.samples = sine(440, 16000, 36800, 0.05);
  std::fill(a.samples.begin() + 19200, a.samples.end(), 0.0f);
  const heatlens::AudioWindows w = heatlens::audio_windows(f, a);
  // Half-window hops rounded to whole STFT hops: 4000 → 4032 samples (63 × 64).
  REQUIRE(w.starts.size() == 9);
  for (size_t k = 0; k < w.starts.size(); ++k) CHECK(w.starts[k] == static_cast<int64_t>(k) * 4032);
  CHECK(w.seconds(1) == Approx(0.252));
  CHECK(w.recording.size() == 8 * 4032 + 8000);
  CHECK(w.inputs.shape() == heatlens::Shape{9, 1, 129, 126});
  // Each window is its own peak-normalised clip; the silent last one stays silent.
  for (size_t k : {size_t(0), size_t(8)}) {
    Audio piece;
    piece.sample_rate = 16000;
    piece.samples.assign(w.recording.begin() + w.starts[k],
                         w.recording.begin() + w.starts[k] + 8000);
    heatlens::AudioFrontend plain = f;
    plain.peak_normalise = k == 0;
    const heatlens::Tensor ref =
        heatlens::audio_features(plain, heatlens::audio_clip(plain, piece));
    for (int64_t i = 0; i < ref.numel(); i += 97)
      CHECK(w.inputs.f32()[k * ref.numel() + i] == Approx(ref.f32()[i]).margin(1e-4));
  }
  // Relevance k on window k: each recording frame gets the mean over the windows covering it.
  heatlens::Tensor rel(w.inputs.shape());
  const int64_t per = rel.numel() / 9;
  for (int64_t k = 0; k < 9; ++k)
    for (int64_t i = 0; i < per; ++i) rel.f32()[k * per + i] = static_cast<float>(k);
  const heatlens::Tensor placed = heatlens::place_relevance(f, w, rel);
  const int64_t frames = 1 + static_cast<int64_t>(w.recording.size()) / 64;
  REQUIRE(placed.shape() == heatlens::Shape{1, 1, 129, frames});
  CHECK(placed.f32()[10] == 0.0f);               // frame 10: window 0 only
  CHECK(placed.f32()[63 + 10] == Approx(0.5));   // frame 73: windows 0 and 1
  CHECK(placed.f32()[frames - 1] == Approx(8));  // the last frame: window 8 only
  // The whole recording's front end inverts the placed relevance into sound of its length.
  heatlens::Tensor ones(placed.shape());
  for (int64_t i = 0; i < ones.numel(); ++i) ones.f32()[i] = 1.0f;
  const heatlens::Listenable l =
      heatlens::listenable_explanation(heatlens::recording_frontend(f, w), w.recording, ones, 0.1);
  CHECK(l.explanation.size() == w.recording.size());
  CHECK(rms(l.residual) < 1e-5);
  // A short recording is one window, as audio_clip makes it; too many windows is an error.
  a.samples.resize(3000);
  CHECK(heatlens::audio_windows(f, a).starts.size() == 1);
  a.samples.assign(16000 * 60, 0.1f);
  CHECK_THROWS_WITH(heatlens::audio_windows(f, a, 0.004, 100), Catch::Contains("more than 100"));
  CHECK_THROWS_WITH(heatlens::place_relevance(f, w, heatlens::Tensor({2, 1, 129, 126})),
                    Catch::Contains("does not match"));
}
