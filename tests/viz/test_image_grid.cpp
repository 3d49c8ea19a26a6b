#include "latentkit/viz/image_grid.h"

#include <gtest/gtest.h>
#include <stb/stb_image.h>  // implementation lives in Debian's libstb.so
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "latentkit/error.h"

namespace fs = std::filesystem;

namespace image_grid_test {

// A decoded PNG: width, height, channels as stored in the file, and the interleaved bytes.
struct Decoded {
  int width = 0, height = 0, channels = 0;
  std::vector<unsigned char> pixels;
  int at(int row, int col, int ch = 0) const {
    return pixels.at((static_cast<size_t>(row) * width + col) * channels + ch);
  }
};

Decoded decode_bytes(const std::vector<unsigned char>& bytes) {
  Decoded d;
  unsigned char* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()),
                                              &d.width, &d.height, &d.channels, 0);
  if (!data) throw std::runtime_error(std::string("stb_image failed: ") + stbi_failure_reason());
  d.pixels.assign(data, data + static_cast<size_t>(d.width) * d.height * d.channels);
  stbi_image_free(data);
  return d;
}

Decoded decode_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  return decode_bytes(bytes);
}

class ImageGridTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("latentkit_viz_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// Independent expectation for a value in [0, 1] (values chosen away from .5 rounding ties).
int expected_byte(double v) { return static_cast<int>(std::round(255.0 * v)); }

constexpr int kBackground = 128;  // documented mid-grey padding


TEST_F(ImageGridTest, GreyGridGeometryAndPixels) {
  const int64_t n = 7, h = 4, w = 5, columns = 3, pad = 2;
  // Image i is filled with (i + 0.1) / 10.
  auto images = torch::empty({n, h * w});
  for (int64_t i = 0; i < n; ++i) images[i].fill_((i + 0.1) / 10.0);
  const fs::path path = dir_ / "grid.png";
  latentkit::write_image_grid(path.string(), images, {1, h, w}, columns, pad);

  const Decoded d = decode_file(path);
  const int64_t rows = 3;  // ceil(7 / 3)
  EXPECT_EQ(d.width, columns * (w + pad) + pad);
  EXPECT_EQ(d.height, rows * (h + pad) + pad);
  EXPECT_EQ(d.channels, 1);

  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = pad + (i / columns) * (h + pad);
    const int64_t left = pad + (i % columns) * (w + pad);
    const int want = expected_byte((i + 0.1) / 10.0);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        ASSERT_EQ(d.at(top + y, left + x), want) << "image " << i << " y " << y << " x " << x;
  }
  // Padding: outer border, the gaps between cells, and the empty cells of the last row.
  EXPECT_EQ(d.at(0, 0), kBackground);
  EXPECT_EQ(d.at(d.height - 1, d.width - 1), kBackground);
  EXPECT_EQ(d.at(pad, pad - 1), kBackground);            // left of image 0
  EXPECT_EQ(d.at(pad, pad + w), kBackground);            // gap between images 0 and 1
  EXPECT_EQ(d.at(pad + h, pad), kBackground);            // gap below image 0
  EXPECT_EQ(d.at(pad + 2 * (h + pad), pad + (w + pad) + 1), kBackground);  // empty cell 7
  EXPECT_EQ(d.at(pad + 2 * (h + pad), pad + 2 * (w + pad) + 1), kBackground);  // empty cell 8
  // Every pixel is either background or one of the image values.
  int64_t background = 0;
  for (unsigned char p : d.pixels) background += p == kBackground;
  EXPECT_EQ(background, d.width * d.height - n * h * w);
}

TEST_F(ImageGridTest, PixelOrderWithinAnImage) {
  // One 2x3 image with distinct values; checks row-major placement (no transposition).
  const std::vector<float> v = {0.0f, 0.2f, 0.41f, 0.6f, 0.81f, 1.0f};
  auto images = torch::tensor(v).reshape({1, 6});
  const fs::path path = dir_ / "order.png";
  latentkit::write_image_grid(path.string(), images, {1, 2, 3}, 1, 1);
  const Decoded d = decode_file(path);
  ASSERT_EQ(d.width, 3 + 2);
  ASSERT_EQ(d.height, 2 + 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_EQ(d.at(1 + y, 1 + x), expected_byte(v[y * 3 + x]));
}

TEST_F(ImageGridTest, RgbChannelOrder) {
  const int64_t h = 3, w = 2, pad = 1;
  // Two RGB images in channel-major layout: image 0 is pure red, image 1 is (0.2, 0.41, 0.8).
  auto images = torch::zeros({2, 3, h, w});
  images[0][0].fill_(1.0);
  images[1][0].fill_(0.2);
  images[1][1].fill_(0.41);
  images[1][2].fill_(0.8);
  // A single marked pixel: image 1, channel 2 (blue), y = 2, x = 1, value 0.11.
  images[1][2][2][1] = 0.11;
  const fs::path path = dir_ / "rgb.png";
  latentkit::write_image_grid(path.string(), images.reshape({2, 3 * h * w}), {3, h, w}, 2, pad);

  const Decoded d = decode_file(path);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.width, 2 * (w + pad) + pad);
  EXPECT_EQ(d.height, 1 * (h + pad) + pad);
  // Image 0, pixel (0, 0) -> grid (pad, pad).
  EXPECT_EQ(d.at(pad, pad, 0), 255);
  EXPECT_EQ(d.at(pad, pad, 1), 0);
  EXPECT_EQ(d.at(pad, pad, 2), 0);
  // Image 1, pixel (0, 0) -> grid (pad, pad + w + pad).
  const int left1 = pad + w + pad;
  EXPECT_EQ(d.at(pad, left1, 0), expected_byte(0.2));
  EXPECT_EQ(d.at(pad, left1, 1), expected_byte(0.41));
  EXPECT_EQ(d.at(pad, left1, 2), expected_byte(0.8));
  // The marked pixel changes blue only.
  EXPECT_EQ(d.at(pad + 2, left1 + 1, 0), expected_byte(0.2));
  EXPECT_EQ(d.at(pad + 2, left1 + 1, 1), expected_byte(0.41));
  EXPECT_EQ(d.at(pad + 2, left1 + 1, 2), expected_byte(0.11));
  EXPECT_EQ(d.at(pad + 1, left1 + 1, 2), expected_byte(0.8));
  // Padding is grey in all three channels.
  for (int ch = 0; ch < 3; ++ch) {
    EXPECT_EQ(d.at(0, 0, ch), kBackground);
    EXPECT_EQ(d.at(pad, pad + w, ch), kBackground);
  }
}

TEST_F(ImageGridTest, ClampsAndMapsNaNToZero) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  auto images = torch::tensor(std::vector<float>{-0.5f, 1.7f, nan, inf, -inf, 0.5f}).reshape({1, 6});
  const fs::path path = dir_ / "clamp.png";
  latentkit::write_image_grid(path.string(), images, {1, 1, 6}, 4, 0);
  const Decoded d = decode_file(path);
  ASSERT_EQ(d.width, 4 * 6);
  ASSERT_EQ(d.height, 1);
  EXPECT_EQ(d.at(0, 0), 0);
  EXPECT_EQ(d.at(0, 1), 255);
  EXPECT_EQ(d.at(0, 2), 0);
  EXPECT_EQ(d.at(0, 3), 255);
  EXPECT_EQ(d.at(0, 4), 0);
  EXPECT_NEAR(d.at(0, 5), 127.5, 0.5);
  EXPECT_EQ(d.at(0, 6), kBackground);  // columns 1..3 are empty cells, padding 0
}

TEST_F(ImageGridTest, AcceptsOtherDtypesAndNonContiguousInput) {
  // Double input, transposed (non-contiguous) view: row i of the view is filled with (i+0.1)/4.
  auto base = torch::empty({4, 3}, torch::kFloat64);
  for (int64_t i = 0; i < 3; ++i) base.select(1, i).fill_((i + 0.1) / 4.0);
  auto images = base.t();  // [3, 4], non-contiguous
  ASSERT_FALSE(images.is_contiguous());
  const fs::path path = dir_ / "dtype.png";
  latentkit::write_image_grid(path.string(), images, {1, 2, 2}, 3, 1);
  const Decoded d = decode_file(path);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(d.at(1 + 1, 1 + i * 3 + 1), expected_byte((i + 0.1) / 4.0));
}

TEST_F(ImageGridTest, OverwritesAtomicallyAndLeavesNoTemporary) {
  const fs::path path = dir_ / "again.png";
  latentkit::write_image_grid(path.string(), torch::zeros({1, 4}), {1, 2, 2}, 1, 0);
  latentkit::write_image_grid(path.string(), torch::ones({2, 4}), {1, 2, 2}, 2, 0);
  const Decoded d = decode_file(path);
  EXPECT_EQ(d.width, 4);
  EXPECT_EQ(d.at(0, 0), 255);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(ImageGridTest, RejectsBadShapes) {
  const std::string p = (dir_ / "bad.png").string();
  using latentkit::InputError;
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({2, 4, 4}), {1, 4, 4}, 2), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({16}), {1, 4, 4}, 2), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({2, 16}), {4, 4}, 2), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({2, 16}), {1, 1, 4, 4}, 2), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({2, 16}), {1, 4, 5}, 2), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({2, 32}), {2, 4, 4}, 2), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({2, 16}), {1, 4, 4}, 0), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({2, 16}), {1, 4, 4}, 2, -1), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::zeros({0, 16}), {1, 4, 4}, 2), InputError);
  EXPECT_THROW(latentkit::write_image_grid(p, torch::Tensor(), {1, 4, 4}, 2), InputError);
  EXPECT_FALSE(fs::exists(p));
  // An unwritable destination is an InputError naming the path.
  const std::string missing = (dir_ / "no_such_dir" / "x.png").string();
  try {
    latentkit::write_image_grid(missing, torch::zeros({1, 16}), {1, 4, 4}, 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
}

TEST_F(ImageGridTest, EncodePngRoundTrip) {
  const int w = 3, h = 2;
  std::vector<unsigned char> rgba(w * h * 4);
  for (size_t i = 0; i < rgba.size(); ++i) rgba[i] = static_cast<unsigned char>(i * 7);
  const auto png = latentkit::encode_png(rgba.data(), w, h, 4);
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png[0], 0x89);
  EXPECT_EQ(png[1], 'P');
  const Decoded d = decode_bytes(png);
  EXPECT_EQ(d.width, w);
  EXPECT_EQ(d.height, h);
  EXPECT_EQ(d.channels, 4);
  EXPECT_EQ(d.pixels, rgba);
  EXPECT_THROW(latentkit::encode_png(rgba.data(), w, h, 2), latentkit::InputError);
  EXPECT_THROW(latentkit::encode_png(rgba.data(), 0, h, 1), latentkit::InputError);
}

TEST_F(ImageGridTest, WorksOnCudaTensors) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA not available";
  auto images = torch::full({2, 4}, 0.41, torch::TensorOptions().device(torch::kCUDA));
  const fs::path path = dir_ / "cuda.png";
  latentkit::write_image_grid(path.string(), images, {1, 2, 2}, 2, 1);
  const Decoded d = decode_file(path);
  EXPECT_EQ(d.width, 2 * 3 + 1);
  EXPECT_EQ(d.at(1, 1), expected_byte(0.41));
  EXPECT_EQ(d.at(2, 5), expected_byte(0.41));
}

}  // namespace image_grid_test
