#include "explain/params.h"

#include <cstdlib>

#include "core/error.h"

namespace heatlens {

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::integer:
      return "integer";
    case ParamType::number:
      return "number";
    case ParamType::choice:
      return "choice";
    case ParamType::text:
      return "text";
    case ParamType::boolean:
      return "boolean";
  }
  return "text";
}

namespace {

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return *end == '\0';
}

void check_value(const ParamSpec& spec, const std::string& key, const std::string& v) {
  double x = 0;
  switch (spec.type) {
    case ParamType::integer:
      HEATLENS_CHECK(parse_number(v, x) && x == static_cast<double>(static_cast<int64_t>(x)),
                     "parameter '" << key << "' must be an integer, got '" << v << "'");
      break;
    case ParamType::number:
      HEATLENS_CHECK(parse_number(v, x),
                     "parameter '" << key << "' must be a number, got '" << v << "'");
      break;
    case ParamType::boolean:
      HEATLENS_CHECK(v == "true" || v == "false",
                     "parameter '" << key << "' must be true or false, got '" << v << "'");
      return;
    case ParamType::choice: {
      bool ok = false;
      std::string list;
      for (const auto& c : spec.choices) {
        ok = ok || c == v;
        list += (list.empty() ? "" : ", ") + c;
      }
      HEATLENS_CHECK(ok,
                     "parameter '" << key << "' must be one of " << list << ", got '" << v << "'");
      return;
    }
    case ParamType::text:
      return;
  }
  if (spec.min != spec.max) {
    HEATLENS_CHECK(x >= spec.min && x <= spec.max, "parameter '" << key << "' must be between "
                                                                 << spec.min << " and " << spec.max
                                                                 << ", got " << v);
  }
}

}  // namespace

ParamValues ParamValues::resolve(const std::vector<ParamSpec>& schema,
                                 const std::map<std::string, std::string>& given) {
  ParamValues out;
  for (const ParamSpec& spec : schema) {
    if (spec.name.back() != '*') out.values_[spec.name] = spec.default_value;
  }
  for (const auto& [key, value] : given) {
    const ParamSpec* match = nullptr;
    for (const ParamSpec& spec : schema) {
      if (spec.name == key) match = &spec;
      if (spec.name.back() == '*' &&
          key.compare(0, spec.name.size() - 1, spec.name, 0, spec.name.size() - 1) == 0 &&
          key.size() >= spec.name.size()) {
        match = &spec;
      }
    }
    if (!match) {
      std::string names;
      for (const ParamSpec& spec : schema) names += (names.empty() ? "" : ", ") + spec.name;
      fail("unknown parameter '" + key +
           "' (this method takes: " + (names.empty() ? "none" : names) + ")");
    }
    check_value(*match, key, value);
    out.values_[key] = value;
  }
  return out;
}

const std::string& ParamValues::text(const std::string& name) const {
  auto it = values_.find(name);
  HEATLENS_CHECK(it != values_.end(), "parameter '" << name << "' has no value");
  return it->second;
}

int64_t ParamValues::integer(const std::string& name) const {
  return std::strtoll(text(name).c_str(), nullptr, 10);
}
double ParamValues::number(const std::string& name) const {
  return std::strtod(text(name).c_str(), nullptr);
}
bool ParamValues::flag(const std::string& name) const {
  return text(name) == "true";
}

std::map<std::string, std::string> ParamValues::with_prefix(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : values_) {
    if (k.compare(0, prefix.size(), prefix) == 0) out[k.substr(prefix.size())] = v;
  }
  return out;
}

std::pair<std::string, std::string> parse_param(const std::string& text) {
  const size_t eq = text.find('=');
  HEATLENS_CHECK(eq != std::string::npos && eq > 0,
                 "a parameter is written name=value, got '" << text << "'");
  // The first '=' splits: values (rule names, paths) may contain '=', parameter names do not.
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace heatlens
