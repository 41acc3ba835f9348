// heatlens command-line tool: the only translation unit with main().
//
//   heatlens info model.onnx
//   heatlens run model.onnx --input digit.png --top 3
//   heatlens onnx-test /usr/share/libonnx-testdata/data/node/test_relu
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#include <unistd.h>
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

// The heap in transparent huge pages: where the kernel gives them only on request (THP's
// "madvise" mode, Debian's default), the weights and activations a run sweeps through sat in
// 4 KiB pages and missed the TLB; in 2 MiB pages forward passes and gradients took 5-12% less
// time (every bench model, 1 and 2 threads) for 2 MiB more peak memory. glibc's malloc asks for
// them when its glibc.malloc.hugetlb tunable says so (glibc 2.35 on), and reads tunables only at
// start-up, so the CLI sets it and runs itself again. GLIBC_TUNABLES=glibc.malloc.hugetlb=0
// opts out; where exec fails the run carries on in small pages.
void restart_with_huge_pages(char** argv) {
#if defined(__GLIBC__) && defined(__linux__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb") != nullptr) return;
  const std::string before = tunables != nullptr ? tunables : "";
  const std::string value =
      before.empty() ? "glibc.malloc.hugetlb=1" : before + ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Still here: no exec; leave the environment as it was for anything this run starts.
  if (tunables != nullptr)
    setenv("GLIBC_TUNABLES", before.c_str(), 1);
  else
    unsetenv("GLIBC_TUNABLES");
#else
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using namespace heatlens::cli;
  restart_with_huge_pages(argv);
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
