#pragma once
// Errors caused by what the user gave us (a file, a flag, data). The CLI prints what() as one
// line and exits with status 2; anything else that escapes is a bug and exits with status 1.
#include <stdexcept>
#include <string>

namespace latentkit {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws InputError("<where>: <problem>"); `where` is usually a file path or a flag name.
[[noreturn]] inline void fail(const std::string& where, const std::string& problem) {
  throw InputError(where + ": " + problem);
}

}  // namespace latentkit
