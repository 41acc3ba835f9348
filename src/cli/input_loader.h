// Loading a model input from the command line: .npy as an exact tensor, or an image
// preprocessed by the model card beside the model, overridden by --size/--mean/--std/--range.
#pragma once

#include <optional>
#include <string>

#include "cli/args.h"
#include "core/tensor.h"
#include "graph/graph.h"
#include "media/audio_windows.h"
#include "media/model_card.h"

namespace heatlens::cli {

// The flags every command that reads an input accepts.
std::vector<FlagSpec> input_flags();

Tensor load_input(const Args& args, const Graph& graph, const ModelCard& card);
// The same for one path (the image flags --size/--mean/--std/--range still apply).
Tensor load_input_file(const std::string& path, const Args& args, const Graph& graph,
                       const ModelCard& card);
// A .wav --input of a model whose card has an audio front end: the model's window sliding over
// the whole recording (--window-hop seconds apart; one window when the recording is no longer).
// Nothing for other inputs.
std::optional<AudioWindows> load_audio_windows(const Args& args, const ModelCard& card);
// .npy or an image the loader reads.
bool is_input_file(const std::string& path);

}  // namespace heatlens::cli
