#pragma once
// Small string helpers shared by the parsers (std::string::starts_with is C++20).
#include <string>

namespace latentkit {

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace latentkit
