#pragma once
// Shared by the data tests: a temporary directory that writes files byte for byte (plain or
// gzipped), and an assertion that a statement throws InputError naming a path and a problem.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "latentkit/error.h"

namespace latentkit::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/latentkit_data_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `bytes` to <dir>/<name> and returns the file's path.
  std::string write(const std::string& name, const std::string& bytes) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  // The same, gzip-compressed with zlib.
  std::string write_gz(const std::string& name, const std::string& bytes) const {
    const std::string p = (path_ / name).string();
    gzFile f = gzopen(p.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace latentkit::testing

#define EXPECT_INPUT_ERROR(statement, path, phrase)                         \
  do {                                                                      \
    std::string msg_;                                                       \
    EXPECT_THROW(                                                           \
        try { statement; } catch (const latentkit::InputError& e_) {        \
          msg_ = e_.what();                                                 \
          throw;                                                            \
        },                                                                  \
        latentkit::InputError);                                             \
    EXPECT_NE(msg_.find(path), std::string::npos) << "message: " << msg_;   \
    EXPECT_NE(msg_.find(phrase), std::string::npos) << "message: " << msg_; \
  } while (0)
