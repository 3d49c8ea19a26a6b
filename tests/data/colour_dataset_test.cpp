// Colour image sets through load_dataset and load_inputs: .npy arrays [N, H, W, C] / [N, C, H, W]
// and 4-D IDX files, each element a known function of its indices, so the expected C, H, W rows
// and their unit scaling are direct loops.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "test_files.h"

namespace colour_dataset_test {

using latentkit::DataConfig;
using latentkit::load_dataset;
using latentkit::testing::TempDir;

constexpr int kN = 5, kC = 3, kH = 2, kW = 5;

// Pixel level of image n, channel c, row h, column w.
int level(int n, int c, int h, int w) { return (n * 40 + c * 11 + h * 5 + w * 2) % 256; }

// A version 1.0 .npy file with the given dict (padded to 64 bytes) and data.
std::string npy(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string s = "\x93NUMPY";
  s += char(1);
  s += '\0';
  s += char(header.size() & 0xff);
  s += char(header.size() >> 8);
  return s + header + data;
}

// The images as bytes, NHWC or NCHW; uint8, or float32 intensities level / 255.
std::string image_bytes(bool nhwc, bool as_float) {
  std::string s;
  auto put = [&](int n, int c, int h, int w) {
    if (!as_float) {
      s += char(uint8_t(level(n, c, h, w)));
      return;
    }
    const float v = float(level(n, c, h, w)) / 255.0f;
    s.append(reinterpret_cast<const char*>(&v), 4);
  };
  for (int n = 0; n < kN; ++n)
    if (nhwc) {
      for (int h = 0; h < kH; ++h)
        for (int w = 0; w < kW; ++w)
          for (int c = 0; c < kC; ++c) put(n, c, h, w);
    } else {
      for (int c = 0; c < kC; ++c)
        for (int h = 0; h < kH; ++h)
          for (int w = 0; w < kW; ++w) put(n, c, h, w);
    }
  return s;
}

// Every row of x is one of the images in C, H, W order, scaled by 1/255; returns which ones.
std::vector<int> match_rows(const torch::Tensor& x) {
  std::vector<int> found;
  for (int64_t r = 0; r < x.size(0); ++r) {
    int which = -1;
    for (int n = 0; n < kN && which < 0; ++n) {
      bool same = true;
      for (int c = 0; c < kC; ++c)
        for (int h = 0; h < kH; ++h)
          for (int w = 0; w < kW; ++w)
            same = same && std::abs(x[r][c * kH * kW + h * kW + w].item<float>() -
                                    level(n, c, h, w) / 255.0f) < 1e-5f;
      if (same) which = n;
    }
    EXPECT_GE(which, 0) << "row " << r << " is none of the images";
    found.push_back(which);
  }
  return found;
}

void expect_colour_set(const latentkit::Dataset& d) {
  ASSERT_TRUE(d.image.has_value());
  EXPECT_EQ((std::vector<int64_t>{d.image->channels, d.image->height, d.image->width}),
            (std::vector<int64_t>{kC, kH, kW}));
  ASSERT_EQ(d.dim(), kC * kH * kW);
  EXPECT_EQ(d.train.size() + d.test.size(), kN);
  EXPECT_FALSE(d.train.labelled());
  std::vector<int> all = match_rows(d.train.x), test = match_rows(d.test.x);
  all.insert(all.end(), test.begin(), test.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<int>{0, 1, 2, 3, 4}));  // each image once, across both splits
}

TEST(ColourNpy, Uint8NhwcAndNchwAreTheSameImageSet) {
  TempDir dir;
  const auto hwc = dir.write(
      "hwc.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 2, 5, 3), }",
                     image_bytes(true, false)));
  const auto chw = dir.write(
      "chw.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 3, 2, 5), }",
                     image_bytes(false, false)));
  DataConfig c;
  c.source = "npy:" + hwc;
  const auto a = load_dataset(c);
  expect_colour_set(a);
  c.source = "npy:" + chw;
  const auto b = load_dataset(c);
  expect_colour_set(b);
  // The same seed splits both the same way, so the tensors are equal.
  EXPECT_TRUE(torch::equal(a.train.x, b.train.x));
  EXPECT_TRUE(torch::equal(a.test.x, b.test.x));
}

TEST(ColourNpy, FloatIntensitiesBecomeLevels) {
  TempDir dir;
  const auto f = dir.write(
      "f.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 2, 5, 3), }",
                   image_bytes(true, true)));
  DataConfig c;
  c.source = "npy:" + f;
  const auto d = load_dataset(c);
  expect_colour_set(d);  // x = raw / 255 with raw = intensity * 255: the levels / 255 again
}

TEST(ColourNpy, BadValuesAndLabelColumnNameTheFile) {
  TempDir dir;
  const float bad[2] = {-2.0f, 300.0f};
  std::string data(kN * kC * kH * kW * 4, '\0');
  std::memcpy(data.data(), bad, 8);
  const auto f = dir.write(
      "bad.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 3, 2, 5), }", data));
  DataConfig c;
  c.source = "npy:" + f;
  EXPECT_INPUT_ERROR(load_dataset(c), f, "pixel levels in 0..255");
  const auto u = dir.write(
      "u.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 3, 2, 5), }",
                   image_bytes(false, false)));
  c.source = "npy:" + u;
  c.label_column = 0;
  EXPECT_INPUT_ERROR(load_dataset(c), u, "no label column");
  const auto r1 = dir.write(
      "r1.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "ab"));
  c.source = "npy:" + r1;
  c.label_column = -1;
  EXPECT_INPUT_ERROR(load_dataset(c), r1, "rank 1, expected a 2-D table or images");
}

// An IDX ubyte file of the images as [N, H, W, C].
std::string idx_nhwc() {
  std::string s{0, 0, 0x08, 4, 0, 0, 0, char(kN), 0, 0, 0, char(kH), 0, 0, 0, char(kW),
                0, 0, 0, char(kC)};
  return s + image_bytes(true, false);
}

TEST(ColourIdx, FourDimensionalFilesAndInputs) {
  TempDir dir;
  dir.write_gz("train-images-idx3-ubyte.gz", idx_nhwc());
  dir.write("train-labels-idx1-ubyte", std::string{0, 0, 0x08, 1, 0, 0, 0, char(kN), 0, 1, 2, 0, 1});
  dir.write("t10k-images-idx3-ubyte", idx_nhwc());
  dir.write("t10k-labels-idx1-ubyte", std::string{0, 0, 0x08, 1, 0, 0, 0, char(kN), 2, 2, 1, 0, 0});
  DataConfig c;
  c.source = "idx:" + dir.path().string();
  const auto d = load_dataset(c);
  ASSERT_TRUE(d.image.has_value());
  EXPECT_EQ(d.image->channels, kC);
  // Given splits keep the file order: row n is image n.
  EXPECT_EQ(match_rows(d.train.x), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(match_rows(d.test.x), (std::vector<int>{0, 1, 2, 3, 4}));

  // --input of the same file for a model of 30 inputs: the same rows as the data set's.
  const auto path = (dir.path() / "t10k-images-idx3-ubyte").string();
  const auto x = latentkit::load_inputs(path, d.preprocess, kC * kH * kW);
  EXPECT_TRUE(torch::allclose(x, d.test.x));
  EXPECT_INPUT_ERROR(latentkit::load_inputs(path, d.preprocess, 784), path,
                     "the model expects rows of 784 values");
}

}  // namespace colour_dataset_test
