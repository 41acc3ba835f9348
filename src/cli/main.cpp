// heatlens command-line tool: the only translation unit with main().
//
//   heatlens info model.onnx
//   heatlens run model.onnx --input digit.png --top 3
//   heatlens onnx-test /usr/share/libonnx-testdata/data/node/test_relu
#include <cstdio>
#include <exception>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/version.h"

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(
      out,
      "heatlens %s - explain the decisions of ONNX classifiers\n"
      "\n"
      "usage: heatlens <command> [options]\n"
      "\n"
      "commands:\n"
      "  info MODEL.onnx [--json]               inputs, outputs, operators, unsupported nodes\n"
      "  run MODEL.onnx --input FILE [--top K]  classify a .npy tensor or an image\n"
      "      [--json] [--threads N] [--out Y.npy] [--size H,W] [--mean a,b,c] [--std a,b,c]\n"
      "      [--range lo,hi]\n"
      "  explain MODEL.onnx --input FILE --method NAME [--target K] [--output logit|prob|logprob]\n"
      "      [--param k=v]... [--out R.npy] [--png H.png [--colormap NAME] [--overlay]]\n"
      "      [--json M.json] [--layer-out MAP.npy] [--shared-mask (rde, matching-pursuit: one "
      "mask\n"
      "      for the whole batch)]\n"
      "      [--audio-out E.wav] [--residual-out R.wav] [--audio-threshold T] (a .wav input:\n"
      "      the sound under the relevance mask, and the rest)\n"
      "  methods [--json | --markdown]          explanation methods, citations and parameters\n"
      "  eval MODEL.onnx --inputs DIR|LIST|X.npy --methods a,b:k=v --metrics x,y:k=v\n"
      "      [--boxes BOXES.json] [--target K] [--out results.csv|.json|.md] [--curves C.json]\n"
      "                                         a method × metric table (mean ± std over inputs)\n"
      "  metrics [--json | --markdown]          evaluation metrics, citations and parameters\n"
      "  bench MODEL.onnx [--method forward|gradient|lrp] [--batch N] [--threads N] [--iters N]\n"
      "      [--json]; or bench --gemm M,N,K    time a model, or the GEMM kernel\n"
      "  onnx-test DIR                          run one ONNX backend node test\n"
      "  ops [--json | --markdown]              the operator support matrix\n"
      "  version                                print the version and build\n"
      "  help                                   show this message\n",
      heatlens::version());
}

// Explanations run the model many times and allocate the same large tensors on every pass.
// glibc's defaults give freed memory back to the kernel (heap trimming, a moving mmap
// threshold), so every pass faulted its pages in again: EfficientNet-B0's LRP spent 16% of its
// time in page faults and took 110-125 ms a run instead of 64-68. Freed memory now stays with
// the process for the next pass; the peak is the same.
void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 64 << 20);  // fixed: blocks under 64 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // the heap's free top is kept, not returned
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using namespace heatlens::cli;
  keep_freed_memory();
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  try {
    if (command == "version" || command == "--version" || command == "-V") {
      std::printf("heatlens %s (%s)\n", heatlens::version(), heatlens::build_description().c_str());
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      print_usage(stdout);
      return 0;
    }
    if (command == "info") return cmd_info(argc, argv);
    if (command == "run") return cmd_run(argc, argv);
    if (command == "onnx-test") return cmd_onnx_test(argc, argv);
    if (command == "ops") return cmd_ops(argc, argv);
    if (command == "explain") return cmd_explain(argc, argv);
    if (command == "methods") return cmd_methods(argc, argv);
    if (command == "eval") return cmd_eval(argc, argv);
    if (command == "metrics") return cmd_metrics(argc, argv);
    if (command == "bench") return cmd_bench(argc, argv);
    std::fprintf(stderr, "heatlens: unknown command '%s' (try 'heatlens help')\n", command.c_str());
    return 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "heatlens %s: %s\n", command.c_str(), e.message.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatlens %s: %s\n", command.c_str(), e.what());
    return 2;
  }
}
