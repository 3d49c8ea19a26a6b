#pragma once
// Atomic writes: content goes to "<path>.tmp.<pid>", is flushed, then renamed over <path>, so
// a reader never sees a half-written file. Throws InputError naming the path on failure.
#include <string>
#include <string_view>

namespace latentkit {

void write_file_atomic(const std::string& path, std::string_view bytes);
// Reads a whole file; throws InputError("<path>: cannot open ...") when it cannot.
std::string read_file(const std::string& path);

}  // namespace latentkit
