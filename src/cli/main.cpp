// heatlens command-line tool: the only translation unit with main().
//
//   heatlens --version
//   heatlens help
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "core/version.h"

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "heatlens %s - explain the decisions of ONNX classifiers\n"
               "\n"
               "usage: heatlens <command> [options]\n"
               "\n"
               "commands:\n"
               "  version    print the version and build\n"
               "  help       show this message\n",
               heatlens::version());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      print_usage(stderr);
      return 2;
    }
    std::string command = argv[1];
    if (command == "version" || command == "--version" || command == "-V") {
      std::printf("heatlens %s (%s)\n", heatlens::version(), heatlens::build_description().c_str());
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      print_usage(stdout);
      return 0;
    }
    std::fprintf(stderr, "heatlens: unknown command '%s' (try 'heatlens help')\n", command.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatlens: %s\n", e.what());
    return 2;
  }
}
