// Parameter schemas: each method declares its parameters once (name, type, default, range or
// choices, one-line help). The CLI flags, the web form, the docs table and the bindings are all
// generated from these schemas; ParamValues validates what a user gives against them.
//
//   ParamValues v = ParamValues::resolve(method.params, {{"steps", "64"}});
//   int64_t steps = v.integer("steps");
#pragma once

#include <map>
#include <string>
#include <vector>

namespace heatlens {

enum class ParamType { integer, number, choice, text, boolean };
const char* param_type_name(ParamType t);

struct ParamSpec {
  std::string name;  // "node:*" accepts any key starting with "node:" (per-node overrides)
  ParamType type = ParamType::number;
  std::string default_value;
  double min = 0, max = 0;  // for integer/number; min == max means unbounded
  std::vector<std::string> choices;
  std::string help;
};

class ParamValues {
 public:
  // Checks names, types, ranges and choices (errors name the parameter and what is allowed)
  // and fills in defaults.
  static ParamValues resolve(const std::vector<ParamSpec>& schema,
                             const std::map<std::string, std::string>& given);

  int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  const std::string& text(const std::string& name) const;
  bool flag(const std::string& name) const;
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  // Keys with a prefix, e.g. "node:" overrides, without the prefix.
  std::map<std::string, std::string> with_prefix(const std::string& prefix) const;
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// Parses "k=v" into a key/value pair (CLI --param, the page's URL state).
std::pair<std::string, std::string> parse_param(const std::string& text);

}  // namespace heatlens
