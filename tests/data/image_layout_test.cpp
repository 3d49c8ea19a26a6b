// image_rows, image_shape_of and to_pixel_levels against arrays whose every element is known:
// element (n, c, h, w) holds a value computed from its indices, so the expected C,H,W row is a
// direct loop, independent of the permutes inside.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "latentkit/data/image_layout.h"
#include "latentkit/error.h"
#include "test_files.h"

namespace image_layout_test {

using latentkit::image_rows;
using latentkit::image_shape_of;
using latentkit::ImageShape;
using latentkit::to_pixel_levels;

// Distinct for n < 2, c < 3, h < 6, w < 6, and below 256 so that uint8 arrays hold it too.
float value(int64_t n, int64_t c, int64_t h, int64_t w) {
  return float(n * 128 + c * 36 + h * 6 + w);
}

// [N, C, H, W] (or [N, H, W, C] when nhwc) filled with value(), as `dtype`.
torch::Tensor images(int64_t n, int64_t c, int64_t h, int64_t w, bool nhwc,
                     torch::ScalarType dtype = torch::kFloat64) {
  torch::Tensor t = nhwc ? torch::empty({n, h, w, c}, torch::kFloat64)
                         : torch::empty({n, c, h, w}, torch::kFloat64);
  auto a = t.accessor<double, 4>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          (nhwc ? a[i][y][x][k] : a[i][k][y][x]) = value(i, k, y, x);
  return t.to(dtype);
}

// The expected rows: element (n, c*H*W + h*W + w) = value(n, c, h, w).
void expect_chw_rows(const torch::Tensor& rows, int64_t n, int64_t c, int64_t h, int64_t w) {
  ASSERT_EQ(rows.scalar_type(), torch::kFloat32);
  ASSERT_EQ(rows.sizes(), (std::vector<int64_t>{n, c * h * w}));
  auto r = rows.accessor<float, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          ASSERT_EQ(r[i][k * h * w + y * w + x], value(i, k, y, x)) << i << k << y << x;
}

TEST(ImageRows, NchwAndNhwcGiveTheSameChwRows) {
  const ImageShape s{3, 5, 6};
  expect_chw_rows(image_rows(images(2, 3, 5, 6, false), s, 90, "a.npy"), 2, 3, 5, 6);
  expect_chw_rows(image_rows(images(2, 3, 5, 6, true), s, 90, "a.npy"), 2, 3, 5, 6);
  // Without a shape the channel axis is found by its size (3 at the front or the back).
  expect_chw_rows(image_rows(images(2, 3, 5, 6, false), std::nullopt, 90, "a.npy"), 2, 3, 5, 6);
  expect_chw_rows(image_rows(images(2, 3, 5, 6, true), std::nullopt, -1, "a.npy"), 2, 3, 5, 6);
}

TEST(ImageRows, AnyNumericDtype) {
  const ImageShape s{3, 2, 2};
  for (auto dtype : {torch::kUInt8, torch::kInt32, torch::kInt64, torch::kFloat32})
    expect_chw_rows(image_rows(images(2, 3, 2, 2, true, dtype), s, 12, "a"), 2, 3, 2, 2);
}

TEST(ImageRows, FlatRowsAndGreyImages) {
  const torch::Tensor grey = images(3, 1, 4, 6, false);
  const torch::Tensor flat = grey.reshape({3, 24});
  expect_chw_rows(image_rows(flat, ImageShape{1, 4, 6}, 24, "f"), 3, 1, 4, 6);
  expect_chw_rows(image_rows(flat, std::nullopt, 24, "f"), 3, 1, 4, 6);
  expect_chw_rows(image_rows(grey.reshape({3, 4, 6}), ImageShape{1, 4, 6}, 24, "f"), 3, 1, 4, 6);
  expect_chw_rows(image_rows(grey.reshape({3, 4, 6}), std::nullopt, 24, "f"), 3, 1, 4, 6);
  // Flat rows of colour images are already in C, H, W order: passed through unchanged.
  const torch::Tensor colour = images(2, 3, 2, 2, false).reshape({2, 12});
  expect_chw_rows(image_rows(colour, ImageShape{3, 2, 2}, 12, "f"), 2, 3, 2, 2);
}

TEST(ImageRows, CubicImagesReadAsNchw) {
  // C == H == W: both layouts fit; the array is read channels-first.
  expect_chw_rows(image_rows(images(1, 3, 3, 3, false), ImageShape{3, 3, 3}, 27, "c"), 1, 3, 3, 3);
}

TEST(ImageRows, MismatchesNameTheFileAndBothShapes) {
  const ImageShape s{3, 4, 4};
  EXPECT_INPUT_ERROR(image_rows(images(2, 3, 5, 6, false), s, 48, "x.npy"), "x.npy",
                     "has shape [2, 3, 5, 6], the model expects images 3x4x4");
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2, 47}), s, 48, "x.npy"), "x.npy",
                     "has shape [2, 47]");
  // [N, H, W] is one channel: refused for a colour model.
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2, 4, 4}), s, 48, "x.npy"), "x.npy",
                     "has shape [2, 4, 4], the model expects images 3x4x4");
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2}), s, 48, "x.npy"), "x.npy", "has shape [2]");
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2, 1, 1, 1, 1}), s, 48, "x.npy"), "x.npy",
                     "has shape [2, 1, 1, 1, 1]");
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2, 10}), std::nullopt, 12, "t.csv"), "t.csv",
                     "has shape [2, 10], the model expects rows of 12 values");
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2, 3, 5, 5}), std::nullopt, 12, "t.npy"), "t.npy",
                     "(images 3x5x5), the model expects rows of 12 values");
  // Channels-like sizes at both ends cannot be told apart without a shape.
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2, 3, 4, 1}), std::nullopt, -1, "t.npy"), "t.npy",
                     "cannot tell whether the channels");
  EXPECT_INPUT_ERROR(image_rows(torch::zeros({2, 5, 4, 6}), std::nullopt, -1, "t.npy"), "t.npy",
                     "cannot tell whether the channels");
}

TEST(ImageShapeOf, ReadsTheLayout) {
  const ImageShape a = image_shape_of(torch::zeros({2, 7, 9}), "a");
  EXPECT_EQ((std::vector<int64_t>{a.channels, a.height, a.width}), (std::vector<int64_t>{1, 7, 9}));
  const ImageShape b = image_shape_of(torch::zeros({2, 3, 8, 6}), "b");
  EXPECT_EQ((std::vector<int64_t>{b.channels, b.height, b.width}), (std::vector<int64_t>{3, 8, 6}));
  const ImageShape c = image_shape_of(torch::zeros({2, 8, 6, 3}), "c");
  EXPECT_EQ((std::vector<int64_t>{c.channels, c.height, c.width}), (std::vector<int64_t>{3, 8, 6}));
  EXPECT_INPUT_ERROR(image_shape_of(torch::zeros({2, 8}), "d.npy"), "d.npy", "expected images");
}

TEST(PixelLevels, Uint8AndLevelsUnchangedIntensitiesScaled) {
  const torch::Tensor u = torch::tensor({0, 7, 255}, torch::kUInt8);
  EXPECT_TRUE(torch::equal(to_pixel_levels(u, "u"), torch::tensor({0.f, 7.f, 255.f})));
  const torch::Tensor levels = torch::tensor({0.0, 2.0, 254.5});
  EXPECT_TRUE(torch::equal(to_pixel_levels(levels, "l"), levels.to(torch::kFloat32)));
  const torch::Tensor unit = torch::tensor({0.0, 0.5, 1.0}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(to_pixel_levels(unit, "i"), torch::tensor({0.f, 127.5f, 255.f})));
  // Integer arrays are levels even when they hold only 0 and 1.
  EXPECT_TRUE(torch::equal(to_pixel_levels(torch::tensor({0, 1}, torch::kInt32), "b"),
                           torch::tensor({0.f, 1.f})));
}

TEST(PixelLevels, OutOfRangeNamesTheFileAndTheRange) {
  EXPECT_INPUT_ERROR(to_pixel_levels(torch::tensor({-1.0, 3.0}), "neg.npy"), "neg.npy",
                     "found -1.000000..3.000000");
  EXPECT_INPUT_ERROR(to_pixel_levels(torch::tensor({0, 300}, torch::kInt32), "big.npy"),
                     "big.npy", "pixel levels in 0..255");
  EXPECT_INPUT_ERROR(to_pixel_levels(torch::tensor({0.0, std::nan("")}), "nan.npy"), "nan.npy",
                     "NaN");
}

}  // namespace image_layout_test
