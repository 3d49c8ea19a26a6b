#pragma once
// Reading a file the user named (a dataset, an --input, a checkpoint, a config): only regular
// files, sized before anything is allocated, and every failure one InputError naming the path.
// A FIFO blocks open() and read() for ever, /dev/zero never ends, and a directory or a socket
// has no bytes to read, so those are refused up front instead of hanging.
#include <cstdint>
#include <string>

namespace latentkit {

// Throws InputError "<path>: <problem>" unless `path` is an existing regular file (symlinks
// followed): "no such file", "is a directory, expected a file", "is a FIFO (named pipe), not a
// regular file", "is a character device, ..." For readers that hand the path to a library.
void require_regular_file(const std::string& path);

// Reads the whole regular file (the checks of require_regular_file, made again on the opened
// descriptor). Also refuses a file larger than `max_bytes` or than this machine's memory, and
// reports a failed allocation, a read error or a file that shrinks while read, naming the path.
std::string read_regular_file(const std::string& path, uint64_t max_bytes = UINT64_MAX);

// For a catch (...) around the reading of `path`: rethrows an allocation failure (std::bad_alloc,
// LibTorch's "can't allocate memory") or a std::filesystem error as InputError naming the path;
// anything else unchanged.
[[noreturn]] void rethrow_reading_error(const std::string& path);

// Runs fn(), a reader of `path`, with its allocation and filesystem failures named as above.
template <typename Fn>
auto reading(const std::string& path, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    rethrow_reading_error(path);
  }
}

}  // namespace latentkit
