#pragma once
// What every fuzz target shares: the fuzzer's bytes as a file (the readers take paths, as the
// CLI gives them), and the one outcome besides success a reader may have on any input: an
// InputError naming the file. Anything else (another exception, a crash, a sanitizer report,
// a hang) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "latentkit/error.h"

namespace latentkit::fuzz {

// Writes data to a file of this process (under TMPDIR, /dev/shm by default: no disk wear) whose
// name ends in `suffix`, and returns its path. The file is rewritten for every input.
inline std::string as_file(const uint8_t* data, size_t size, const std::string& suffix) {
  const char* dir = std::getenv("TMPDIR");
  const std::string path = std::string(dir && *dir ? dir : "/dev/shm") + "/latentkit-fuzz-" +
                           std::to_string(::getpid()) + suffix;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness's own failure, not the reader's
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// Runs `read`; an InputError is an accepted outcome, and must name the file.
template <class F>
void expect_success_or_input_error(const std::string& path, F&& read) {
  try {
    read();
  } catch (const InputError& e) {
    if (std::string(e.what()).find(path) == std::string::npos) {
      std::fprintf(stderr, "InputError without the file's name: %s\n", e.what());
      std::abort();
    }
  }
}

}  // namespace latentkit::fuzz
