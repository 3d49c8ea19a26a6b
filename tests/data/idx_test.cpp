// read_idx against IDX files written byte by byte (plain and gzipped), and its rejections.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "test_files.h"

using latentkit::read_idx;

namespace idx_test {

using latentkit::testing::TempDir;

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s += char(uint8_t(v));
  return s;
}

// A 2x3x2 ubyte array holding 10*i + 1 at flat index i.
const std::string kHeader = bytes({0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2});
std::string ubyte_2x3x2() {
  std::string s = kHeader;
  for (int i = 0; i < 12; ++i) s += char(uint8_t(10 * i + 1));
  return s;
}

void expect_ubyte_2x3x2(const torch::Tensor& t) {
  ASSERT_EQ(t.scalar_type(), torch::kUInt8);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, 2}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k)
        EXPECT_EQ(t[i][j][k].item<int>(), 10 * (6 * i + 2 * j + k) + 1)
            << i << "," << j << "," << k;
}


TEST(ReadIdx, PlainUbyte) {
  TempDir dir;
  expect_ubyte_2x3x2(read_idx(dir.write("a-idx3-ubyte", ubyte_2x3x2())));
}

TEST(ReadIdx, GzipDetectedByContentNotName) {
  TempDir dir;
  expect_ubyte_2x3x2(read_idx(dir.write_gz("a-idx3-ubyte.gz", ubyte_2x3x2())));
  expect_ubyte_2x3x2(read_idx(dir.write_gz("no-suffix", ubyte_2x3x2())));
}

TEST(ReadIdx, SignedAndWideTypesBecomeFloat) {
  TempDir dir;
  // sbyte [3]: 0xFF = -1, 0x7F = 127, 0x80 = -128
  auto t = read_idx(dir.write("sbyte", bytes({0, 0, 0x09, 1, 0, 0, 0, 3, 0xFF, 0x7F, 0x80})));
  ASSERT_EQ(t.scalar_type(), torch::kFloat32);
  EXPECT_EQ(t[0].item<float>(), -1.0f);
  EXPECT_EQ(t[1].item<float>(), 127.0f);
  EXPECT_EQ(t[2].item<float>(), -128.0f);
  // short [2]: 0xFFFE = -2, 0x0100 = 256
  t = read_idx(dir.write("short", bytes({0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x00})));
  EXPECT_EQ(t[0].item<float>(), -2.0f);
  EXPECT_EQ(t[1].item<float>(), 256.0f);
  // int [2]: 0xFFFFFFFF = -1, 0x00010000 = 65536
  t = read_idx(
      dir.write("int", bytes({0, 0, 0x0C, 1, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 0, 0})));
  EXPECT_EQ(t[0].item<float>(), -1.0f);
  EXPECT_EQ(t[1].item<float>(), 65536.0f);
  // float [1, 3]: 0x3FC00000 = 1.5, 0xC0000000 = -2, 0x3E800000 = 0.25
  t = read_idx(dir.write("float", bytes({0,    0,    0x0D, 2, 0,    0, 0, 1, 0,    0,    0, 3,
                                         0x3F, 0xC0, 0,    0, 0xC0, 0, 0, 0, 0x3E, 0x80, 0, 0})));
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(t[0][0].item<float>(), 1.5f);
  EXPECT_EQ(t[0][1].item<float>(), -2.0f);
  EXPECT_EQ(t[0][2].item<float>(), 0.25f);
  // double [1]: 0x3FF0000000000000 = 1.0... and 0xC004000000000000 = -2.5
  t = read_idx(dir.write("double", bytes({0, 0, 0x0E, 1, 0,    0,    0, 2, 0x3F, 0xF0, 0, 0,
                                          0, 0, 0,    0, 0xC0, 0x04, 0, 0, 0,    0,    0, 0})));
  EXPECT_EQ(t[0].item<float>(), 1.0f);
  EXPECT_EQ(t[1].item<float>(), -2.5f);
}

TEST(ReadIdx, EmptyDimensionIsAnEmptyArray) {
  TempDir dir;
  const auto t = read_idx(dir.write("empty", bytes({0, 0, 0x08, 2, 0, 0, 0, 0, 0, 0, 0, 5})));
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{0, 5}));
}

TEST(ReadIdx, RejectsWrongMagic) {
  TempDir dir;
  std::string s = ubyte_2x3x2();
  s[0] = 0x01;
  s[1] = 0x02;
  const auto p = dir.write("magic", s);
  EXPECT_INPUT_ERROR(read_idx(p), p, "wrong magic number 0x01020803 (not an IDX file)");
}

TEST(ReadIdx, RejectsUnknownElementType) {
  TempDir dir;
  std::string s = ubyte_2x3x2();
  s[2] = 0x0A;
  const auto p = dir.write("type", s);
  EXPECT_INPUT_ERROR(read_idx(p), p, "unknown element type 0x0A");
}

TEST(ReadIdx, RejectsTruncatedData) {
  TempDir dir;
  const std::string s = ubyte_2x3x2().substr(0, kHeader.size() + 10);
  const auto plain = dir.write("short", s);
  EXPECT_INPUT_ERROR(read_idx(plain), plain, "truncated: expected 12 bytes of data, found 10");
  const auto gz = dir.write_gz("short.gz", s);
  EXPECT_INPUT_ERROR(read_idx(gz), gz, "truncated: expected 12 bytes of data, found 10");
}

TEST(ReadIdx, RejectsTruncatedHeader) {
  TempDir dir;
  const auto p = dir.write("header", kHeader.substr(0, 9));
  EXPECT_INPUT_ERROR(read_idx(p), p, "truncated: the header declares 3 dimensions");
  const auto tiny = dir.write("tiny", bytes({0, 0}));
  EXPECT_INPUT_ERROR(read_idx(tiny), tiny, "truncated");
}

TEST(ReadIdx, RejectsTruncatedGzipStream) {
  TempDir dir;
  // A full-size payload so the deflate stream is long enough to cut in the middle.
  std::string s = bytes({0, 0, 0x08, 1, 0, 0, 0x10, 0});
  for (int i = 0; i < 4096; ++i) s += char(uint8_t(i * 7 % 251));
  const auto whole = dir.write_gz("whole.gz", s);
  std::ifstream in(whole, std::ios::binary);
  const std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(gz.size(), 40u);
  const auto cut = dir.write("cut.gz", gz.substr(0, gz.size() / 2));
  EXPECT_INPUT_ERROR(read_idx(cut), cut, "truncated gzip data");
  EXPECT_EQ(read_idx(whole).size(0), 4096);
}

TEST(ReadIdx, RejectsTrailingGarbage) {
  TempDir dir;
  const auto p = dir.write("trailing", ubyte_2x3x2() + "xyz");
  EXPECT_INPUT_ERROR(read_idx(p), p, "3 bytes of trailing garbage");
}

TEST(ReadIdx, RejectsNaNAndInfInFloatFiles) {
  TempDir dir;
  // float [2]: 1.0, NaN (0x7FC00000)
  const auto nan =
      dir.write("nan", bytes({0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3F, 0x80, 0, 0, 0x7F, 0xC0, 0, 0}));
  EXPECT_INPUT_ERROR(read_idx(nan), nan, "NaN at element [1]");
  // float [2]: +Inf (0x7F800000), 1.0
  const auto inf =
      dir.write("inf", bytes({0, 0, 0x0D, 1, 0, 0, 0, 2, 0x7F, 0x80, 0, 0, 0x3F, 0x80, 0, 0}));
  EXPECT_INPUT_ERROR(read_idx(inf), inf, "infinite value at element [0]");
}

TEST(ReadIdx, RejectsMissingFile) {
  TempDir dir;
  const std::string p = (dir.path() / "absent").string();
  EXPECT_INPUT_ERROR(read_idx(p), p, "no such file");
}

}  // namespace idx_test
