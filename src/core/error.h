// Error handling for the whole engine.
//
// Every failure the user can cause (bad file, unsupported operator, wrong shape) is an
// Error with a message that names the problem; surfaces (CLI, bindings) catch it and show
// the message. Internal invariants use HEATLENS_CHECK too, so nothing fails silently.
//
//   HEATLENS_CHECK(shape.size() == 4, "Conv '" << name << "' expects a 4-D input");
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace heatlens {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

[[noreturn]] inline void fail(const std::string& message) {
  throw Error(message);
}

}  // namespace heatlens

// Throws heatlens::Error with a streamed message when `cond` is false.
#define HEATLENS_CHECK(cond, stream_expr)         \
  do {                                            \
    if (!(cond)) {                                \
      std::ostringstream heatlens_check_os_;      \
      heatlens_check_os_ << stream_expr;          \
      ::heatlens::fail(heatlens_check_os_.str()); \
    }                                             \
  } while (false)
