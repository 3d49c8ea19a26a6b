// read_npy / write_npy against .npy files built byte by byte (header included).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "test_files.h"

using latentkit::read_npy;

namespace npy_test {

using latentkit::testing::TempDir;

// A .npy file: magic, version, little-endian header length, the dict padded with spaces to a
// 64-byte boundary and ended by '\n', then the data.
std::string npy(const std::string& dict, const std::string& data, int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string s = "\x93NUMPY";
  s += char(major);
  s += '\0';
  const size_t n = header.size();
  s += char(n & 0xff);
  s += char((n >> 8) & 0xff);
  if (major != 1) s += std::string(2, '\0');
  return s + header + data;
}

template <typename T>
std::string raw(std::initializer_list<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), values.begin(), s.size());  // the test host is little-endian, like '<'
  return s;
}


TEST(ReadNpy, Float32COrder) {
  TempDir dir;
  const auto p =
      dir.write("a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                             raw<float>({1, 2, 3, 4, 5, 6.5f})));
  const auto x = read_npy(p);
  ASSERT_EQ(x.scalar_type(), torch::kFloat32);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 3}));
  const float expected[2][3] = {{1, 2, 3}, {4, 5, 6.5f}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(x[i][j].item<float>(), expected[i][j]);
}

TEST(ReadNpy, Float64) {
  TempDir dir;
  const auto p =
      dir.write("b.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                             raw<double>({0.5, -1.25, 3, 1e-3})));
  const auto x = read_npy(p);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(x[0][0].item<float>(), 0.5f);
  EXPECT_EQ(x[0][1].item<float>(), -1.25f);
  EXPECT_EQ(x[1][0].item<float>(), 3.0f);
  EXPECT_EQ(x[1][1].item<float>(), float(1e-3));
}

TEST(ReadNpy, FortranOrderIsTransposedBack) {
  TempDir dir;
  // The 2x3 array [[1, 2, 3], [4, 5, 6]] stored column by column.
  const auto p =
      dir.write("f.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                             raw<float>({1, 4, 2, 5, 3, 6})));
  const auto x = read_npy(p);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(x[i][j].item<float>(), float(3 * i + j + 1));
}

TEST(ReadNpy, Version2HeaderAndUint8AndDoubleQuotes) {
  TempDir dir;
  const auto p =
      dir.write("v2.npy", npy("{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (1, 3)}",
                              std::string("\x00\x7f\xff", 3), 2));
  const auto x = read_npy(p);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(x[0][0].item<float>(), 0.0f);
  EXPECT_EQ(x[0][1].item<float>(), 127.0f);
  EXPECT_EQ(x[0][2].item<float>(), 255.0f);
}

TEST(ReadNpy, RejectsUnsupportedDtype) {
  TempDir dir;
  const auto p = dir.write(
      "f2.npy",
      npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }", raw<float>({7})));
  EXPECT_INPUT_ERROR(read_npy(p), p, "unsupported dtype '<f2'");
  const auto b = dir.write(
      "be.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1), }", raw<float>({7})));
  EXPECT_INPUT_ERROR(read_npy(b), b, "unsupported dtype '>f4'");
}

TEST(ReadNpy, RejectsRank3AndRank1) {
  TempDir dir;
  const auto p3 =
      dir.write("r3.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 2), }",
                              raw<float>({1, 2, 3, 4})));
  EXPECT_INPUT_ERROR(read_npy(p3), p3, "rank 3, expected a 2-D array");
  const auto p1 = dir.write(
      "r1.npy",
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", raw<float>({1, 2})));
  EXPECT_INPUT_ERROR(read_npy(p1), p1, "rank 1, expected a 2-D array");
}

TEST(ReadNpy, RejectsTruncatedData) {
  TempDir dir;
  const auto p =
      dir.write("t.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                             raw<float>({1, 2, 3, 4, 5})));
  EXPECT_INPUT_ERROR(read_npy(p), p, "truncated: expected 24 bytes of data, found 20");
  const std::string whole = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "");
  const auto h = dir.write("h.npy", whole.substr(0, 40));
  EXPECT_INPUT_ERROR(read_npy(h), h, "truncated: the file ends inside the .npy header");
}

TEST(ReadNpy, RejectsBadMagicAndMalformedHeader) {
  TempDir dir;
  const auto p = dir.write("m.npy", "PK\x03\x04 this is a zip");
  EXPECT_INPUT_ERROR(read_npy(p), p, "bad magic");
  const auto q = dir.write("h.npy", npy("{'descr': '<f4', 'shape': (1, 1), }", raw<float>({1})));
  EXPECT_INPUT_ERROR(read_npy(q), q, "malformed .npy header");
}

TEST(ReadNpy, RejectsNaNAndInf) {
  TempDir dir;
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  const auto pn = dir.write("nan.npy", npy(dict, raw<float>({1, 2, nan, 4})));
  EXPECT_INPUT_ERROR(read_npy(pn), pn, "NaN at row 1, column 0");
  const auto pi = dir.write("inf.npy", npy(dict, raw<float>({1, -inf, 3, 4})));
  EXPECT_INPUT_ERROR(read_npy(pi), pi, "infinite value at row 0, column 1");
}

TEST(WriteNpy, ExactBytesVersion1Aligned) {
  TempDir dir;
  const std::string p = (dir.path() / "out.npy").string();
  const float values[] = {1, -2, 0.5f, 3, 4, 5};
  latentkit::write_npy(p, torch::from_blob((void*)values, {2, 3}, torch::kFloat32));
  std::ifstream in(p, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" is 60 characters: with the
  // 10-byte prefix and '\n' it pads to 128 bytes, i.e. a header length of 118 = 0x76.
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict;
  expected += std::string(128 - 1 - expected.size(), ' ') + "\n";
  expected += raw<float>({1, -2, 0.5f, 3, 4, 5});
  EXPECT_EQ(bytes.size(), expected.size());
  EXPECT_EQ(bytes, expected);
}

TEST(ReadNpyArray, ImageArraysKeepShapeAndIntegerType) {
  TempDir dir;
  // [2, 3, 1, 2] uint8 in C order: element (n, c, 0, w) = 100 n + 10 c + w.
  std::string bytes;
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int w = 0; w < 2; ++w) bytes += char(100 * n + 10 * c + w);
  const auto p = dir.write(
      "u8.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 1, 2), }", bytes));
  const auto x = latentkit::read_npy_array(p);
  ASSERT_EQ(x.scalar_type(), torch::kUInt8);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 3, 1, 2}));
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int w = 0; w < 2; ++w) EXPECT_EQ(x[n][c][0][w].item<int>(), 100 * n + 10 * c + w);
  // The table reader still wants two dimensions.
  EXPECT_INPUT_ERROR(read_npy(p), p, "rank 4, expected a 2-D array");
}

TEST(ReadNpyArray, IntegerTypesAndFortranOrder) {
  TempDir dir;
  const auto i8 = dir.write(
      "i8.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }",
                    raw<int64_t>({7, -3})));
  const auto a = latentkit::read_npy_array(i8);
  ASSERT_EQ(a.scalar_type(), torch::kInt64);
  EXPECT_EQ(a[0][0].item<int64_t>(), 7);
  EXPECT_EQ(a[0][1].item<int64_t>(), -3);
  const auto u2 = dir.write(
      "u2.npy", npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }",
                    raw<uint16_t>({65535, 1})));
  const auto b = latentkit::read_npy_array(u2);
  ASSERT_EQ(b.scalar_type(), torch::kInt32);
  EXPECT_EQ(b[0].item<int32_t>(), 65535);
  // Fortran order of a [2, 2, 2] array: the first index varies fastest in the file.
  std::vector<float> stored(8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) stored[i + 2 * j + 4 * k] = float(100 * i + 10 * j + k);
  std::string data(32, '\0');
  std::memcpy(data.data(), stored.data(), 32);
  const auto f = dir.write(
      "f.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2, 2), }", data));
  const auto c = latentkit::read_npy_array(f);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) EXPECT_EQ(c[i][j][k].item<float>(), 100 * i + 10 * j + k);
}

}  // namespace npy_test
