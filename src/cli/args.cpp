#include "cli/args.h"

#include <cstdlib>

namespace heatlens::cli {

Args::Args(int argc, char** argv, int first, const std::vector<FlagSpec>& specs) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string value;
      bool inline_value = false;
      size_t eq = a.find('=');
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        inline_value = true;
      }
      const FlagSpec* spec = nullptr;
      for (const FlagSpec& s : specs) {
        if (s.name == a) spec = &s;
      }
      if (!spec) throw UsageError{"unknown option '" + a + "'"};
      if (spec->takes_value && !inline_value) {
        if (i + 1 >= argc) throw UsageError{"option '" + a + "' needs a value"};
        value = argv[++i];
      } else if (!spec->takes_value && inline_value) {
        throw UsageError{"option '" + a + "' takes no value"};
      }
      if (values_.count(a) && !spec->repeatable) throw UsageError{"option '" + a + "' given twice"};
      values_[a].push_back(value);
    } else {
      positional_.push_back(a);
    }
  }
}

std::string Args::get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::get_all(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int64_t Args::get_int(const std::string& flag, int64_t fallback) const {
  if (!has(flag)) return fallback;
  const std::string v = get(flag);
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end)
    throw UsageError{"option '" + flag + "' needs an integer, got '" + v + "'"};
  return n;
}

std::vector<float> Args::get_floats(const std::string& flag) const {
  std::vector<float> out;
  const std::string v = get(flag);
  size_t i = 0;
  while (i <= v.size()) {
    size_t j = v.find(',', i);
    std::string tok = v.substr(i, j == std::string::npos ? std::string::npos : j - i);
    char* end = nullptr;
    float f = std::strtof(tok.c_str(), &end);
    if (tok.empty() || *end)
      throw UsageError{"option '" + flag + "' needs numbers separated by commas, got '" + v + "'"};
    out.push_back(f);
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

}  // namespace heatlens::cli
