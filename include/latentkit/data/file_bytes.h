#pragma once
// Whole-file reading for the loaders: a plain "no such file" message instead of strerror's
// wording, and transparent gzip decompression detected by content (0x1f 0x8b), not by name.
#include <string>
#include <string_view>

namespace latentkit {

// Reads the whole file (util/input_file.h: regular files only). Throws InputError naming the
// path: "no such file", "is a directory, expected a file", "is a FIFO (named pipe), ...".
std::string read_input_file(const std::string& path);

// True when the bytes start with the gzip magic 0x1f 0x8b.
bool is_gzip(std::string_view bytes);

// Decompresses gzip data (concatenated members included). `path` only names the file in
// errors: a truncated stream, corrupt data, or trailing bytes that are not another member.
std::string gunzip(const std::string& path, std::string_view compressed);

}  // namespace latentkit
