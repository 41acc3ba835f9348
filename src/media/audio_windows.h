// Long recordings: the model's window (the front end's duration) slides over the recording;
// each window is one model input, and per-window relevance goes back onto the frame grid of
// the whole recording (mean over the windows covering each frame), so explanations and
// listenable explanations cover the whole recording with the frame positions kept.
//
//   AudioWindows w = audio_windows(front, read_wav("song.wav"), 0.5);
//   // run the model on w.inputs ([W, ...]); explain window k as batch_item(w.inputs, k)
//   Tensor r = place_relevance(front, w, per_window);  // [1, 1, F, frames of the recording]
#pragma once

#include <vector>

#include "core/tensor.h"
#include "media/audio_frontend.h"

namespace heatlens {

struct AudioWindows {
  std::vector<int64_t> starts;   // first sample of each window, at the front end's rate
  Tensor inputs;                 // [W, ...]: the model input of each window
  std::vector<float> recording;  // mono, at the front end's rate, padded to the last window's end
  int sample_rate = 0;
  double seconds(size_t k) const { return static_cast<double>(starts[k]) / sample_rate; }
};

// hop: seconds between window starts (0: half the window), rounded to whole STFT hops so the
// windows' frames fall on the recording's frame grid. A recording no longer than one window
// is one window. At most `max_windows` windows (an error names the length otherwise).
AudioWindows audio_windows(const AudioFrontend& f, const Audio& audio, double hop = 0,
                           int64_t max_windows = 2000);

// The front end for the whole (padded) recording: its duration, no peak normalisation (each
// window was normalised on its own).
AudioFrontend recording_frontend(const AudioFrontend& f, const AudioWindows& w);

// Per-window relevance [W, ...] → the recording's: spectrogram features [1, 1, F, frames of
// the recording] (mean over the windows covering each frame); the log-frequency DFT has no
// time axis, so its windows are averaged [1, 2, bins].
Tensor place_relevance(const AudioFrontend& f, const AudioWindows& w, const Tensor& relevance);

}  // namespace heatlens
