// Args: the CLI's flag parser. Flags are declared per command, so an unknown or misspelt
// flag is an error that names it (exit code 2), never silently ignored.
//
//   Args a(argc, argv, 2, {{"--top", true}, {"--json", false}});
//   int k = a.get_int("--top", 5);
#pragma once

#include <map>
#include <string>
#include <vector>

namespace heatlens::cli {

struct FlagSpec {
  std::string name;
  bool takes_value;
  bool repeatable = false;
};

class Args {
 public:
  Args(int argc, char** argv, int first, const std::vector<FlagSpec>& specs);

  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string get(const std::string& flag, const std::string& fallback = "") const;
  std::vector<std::string> get_all(const std::string& flag) const;
  int64_t get_int(const std::string& flag, int64_t fallback) const;
  std::vector<float> get_floats(const std::string& flag) const;  // "0.5,0.5,0.5"

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
};

// A bad command line or input: main() prints "heatlens: <message>" and exits with code 2.
struct UsageError {
  std::string message;
};

}  // namespace heatlens::cli
