// Folders of PNG/JPEG files (read_image_folder, `--data images:DIR`, PNG inputs): the test
// writes each image from a known function of its indices, so the expected C, H, W rows, labels,
// crops and channel conversions are direct loops.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>  // JPEG files for the decoder; implementation in libstb.so

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "latentkit/data/data_config.h"
#include "latentkit/data/image_folder.h"
#include "latentkit/viz/image_grid.h"
#include "test_files.h"

namespace image_folder_test {

namespace fs = std::filesystem;
using latentkit::ImageSize;
using latentkit::read_image_folder;
using latentkit::testing::TempDir;

// Pixel level of image `id`, channel c, row h, column w.
int level(int id, int c, int h, int w) { return (id * 37 + c * 71 + h * 13 + w * 5) % 256; }

// Writes an H x W image with `channels` channels (1, 2, 3 or 4) of level(id, ...) as PNG (by
// stb_image_write: latentkit's own encode_png writes no grey+alpha).
std::string write_png(const fs::path& file, int id, int height, int width, int channels) {
  fs::create_directories(file.parent_path());
  std::vector<unsigned char> hwc;
  for (int h = 0; h < height; ++h)
    for (int w = 0; w < width; ++w)
      for (int c = 0; c < channels; ++c) hwc.push_back(uint8_t(level(id, c, h, w)));
  EXPECT_TRUE(stbi_write_png(file.c_str(), width, height, channels, hwc.data(), width * channels));
  return file.string();
}

// Row of image `id` as read_image_folder returns it: C, H, W order.
std::vector<float> expected_row(int id, int channels, int height, int width) {
  std::vector<float> row;
  for (int c = 0; c < channels; ++c)
    for (int h = 0; h < height; ++h)
      for (int w = 0; w < width; ++w) row.push_back(float(level(id, c, h, w)));
  return row;
}

std::vector<float> row_of(const torch::Tensor& x, int64_t i) {
  const torch::Tensor r = x[i].contiguous();
  return std::vector<float>(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
}

TEST(ImageFolder, ClassFoldersGiveSortedLabelsAndExactColourRows) {
  TempDir dir;
  // Written out of order: classes and files are read sorted by name.
  write_png(dir.path() / "zebra" / "b.png", 3, 4, 6, 3);
  write_png(dir.path() / "zebra" / "a.png", 2, 4, 6, 3);
  write_png(dir.path() / "cat" / "x.png", 1, 4, 6, 3);
  write_png(dir.path() / "cat" / "notes.txt", 9, 1, 1, 1);  // not an image name: ignored
  const auto f = read_image_folder(dir.path().string(), {});
  EXPECT_FALSE(f.has_split);
  EXPECT_EQ(f.classes, (std::vector<std::string>{"cat", "zebra"}));
  EXPECT_EQ(f.shape.channels, 3);
  EXPECT_EQ(f.shape.height, 4);
  EXPECT_EQ(f.shape.width, 6);
  ASSERT_EQ(f.train_x.sizes(), (std::vector<int64_t>{3, 72}));
  EXPECT_EQ(f.train_y.numel(), 3);
  const std::vector<int64_t> labels(f.train_y.data_ptr<int64_t>(), f.train_y.data_ptr<int64_t>() + 3);
  EXPECT_EQ(labels, (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(row_of(f.train_x, 0), expected_row(1, 3, 4, 6));
  EXPECT_EQ(row_of(f.train_x, 1), expected_row(2, 3, 4, 6));
  EXPECT_EQ(row_of(f.train_x, 2), expected_row(3, 3, 4, 6));
  EXPECT_EQ(latentkit::image_folder_classes(dir.path().string()), f.classes);
  EXPECT_EQ(latentkit::class_names("images:" + dir.path().string()), f.classes);
}

TEST(ImageFolder, OwnSplitUnlabelledAndGreyJoinsColour) {
  TempDir dir;
  write_png(dir.path() / "train" / "1.png", 1, 3, 2, 1);  // grey
  write_png(dir.path() / "train" / "2.png", 2, 3, 2, 1);  // grey
  write_png(dir.path() / "test" / "1.png", 5, 3, 2, 4);   // RGBA: colour, alpha dropped
  const auto f = read_image_folder(dir.path().string(), {});
  EXPECT_TRUE(f.has_split);
  EXPECT_TRUE(f.classes.empty());
  EXPECT_FALSE(f.train_y.defined());
  EXPECT_EQ(f.shape.channels, 3);
  ASSERT_EQ(f.train_x.sizes(), (std::vector<int64_t>{2, 18}));
  ASSERT_EQ(f.test_x.sizes(), (std::vector<int64_t>{1, 18}));
  // The grey image's one channel is repeated into R, G and B.
  std::vector<float> grey = expected_row(2, 1, 3, 2), repeated;
  for (int c = 0; c < 3; ++c) repeated.insert(repeated.end(), grey.begin(), grey.end());
  EXPECT_EQ(row_of(f.train_x, 1), repeated);
  EXPECT_EQ(row_of(f.test_x, 0), expected_row(5, 3, 3, 2));
}

TEST(ImageFolder, GreyAlphaStaysGrey) {
  TempDir dir;
  write_png(dir.path() / "a.png", 4, 2, 3, 2);
  const auto f = read_image_folder(dir.path().string(), {});
  EXPECT_EQ(f.shape.channels, 1);
  EXPECT_EQ(row_of(f.train_x, 0), expected_row(4, 1, 2, 3));
}

TEST(ImageFolder, ImageSizeCropsTheCentreOfACoveringResize) {
  TempDir dir;
  // 4 x 8 to 4 x 4: the scale that covers is 1 (no resize); columns 2..5 are kept.
  write_png(dir.path() / "wide.png", 6, 4, 8, 3);
  // 10 x 5 to 4 x 4: scaled by 0.8 to 8 x 4, rows 2..5 kept; a constant image stays constant.
  fs::create_directories(dir.path());
  std::vector<unsigned char> flat(10 * 5 * 3);
  for (size_t i = 0; i < flat.size(); ++i) flat[i] = i % 3 == 0 ? 200 : i % 3 == 1 ? 50 : 7;
  const auto png = latentkit::encode_png(flat.data(), 5, 10, 3);
  std::ofstream(dir.path() / "tall.png", std::ios::binary)
      .write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  const auto f = read_image_folder(dir.path().string(), ImageSize{4, 4});
  ASSERT_EQ(f.train_x.sizes(), (std::vector<int64_t>{2, 48}));
  std::vector<float> crop;
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 4; ++h)
      for (int w = 2; w < 6; ++w) crop.push_back(float(level(6, c, h, w)));
  EXPECT_EQ(row_of(f.train_x, 1), crop);  // "wide.png" sorts after "tall.png"
  const torch::Tensor tall = f.train_x[0].reshape({3, 16});
  for (int c = 0; c < 3; ++c)
    EXPECT_TRUE(tall[c].eq(c == 0 ? 200 : c == 1 ? 50 : 7).all().item<bool>()) << "channel " << c;
}

TEST(ImageFolder, UpscaleAndDownscaleReachTheSize) {
  const torch::Tensor tiny = torch::full({1, 1, 3}, 90, torch::kUInt8);
  const torch::Tensor up = latentkit::fit_image(tiny, 3, ImageSize{5, 7});
  EXPECT_EQ(up.sizes(), (std::vector<int64_t>{3, 5, 7}));
  EXPECT_TRUE(up.eq(90).all().item<bool>());
  // Colour to grey by BT.601 luma: 0.299 R + 0.587 G + 0.114 B.
  torch::Tensor rgb = torch::empty({6, 4, 3}, torch::kUInt8);
  rgb.select(2, 0).fill_(100);
  rgb.select(2, 1).fill_(200);
  rgb.select(2, 2).fill_(50);
  const torch::Tensor grey = latentkit::fit_image(rgb, 1, ImageSize{3, 2});
  EXPECT_EQ(grey.sizes(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_TRUE(grey.eq(153).all().item<bool>()) << grey;  // 29.9 + 117.4 + 5.7 = 153.0
}

TEST(ImageFolder, JpegDecodesCloseToWhatWasWritten) {
  TempDir dir;
  std::vector<unsigned char> hwc(16 * 16 * 3);
  for (size_t i = 0; i < hwc.size(); ++i) hwc[i] = i % 3 == 0 ? 180 : i % 3 == 1 ? 90 : 30;
  const std::string path = (dir.path() / "photo.JPG").string();
  ASSERT_TRUE(stbi_write_jpg(path.c_str(), 16, 16, 3, hwc.data(), 100));
  const torch::Tensor img = latentkit::decode_image_file(path);  // [16, 16, 3]
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{16, 16, 3}));
  const torch::Tensor want = torch::tensor({180, 90, 30}, torch::kFloat32);
  EXPECT_LE((img.to(torch::kFloat32) - want).abs().max().item<float>(), 4.0f);
}

TEST(ImageFolder, BadFoldersAndFilesAreNamed) {
  TempDir dir;
  const fs::path root = dir.path();
  EXPECT_INPUT_ERROR(read_image_folder((root / "nope").string(), {}), "nope", "no such folder");
  fs::create_directories(root / "empty");
  EXPECT_INPUT_ERROR(read_image_folder((root / "empty").string(), {}), "empty",
                     "holds no PNG or JPEG images");
  write_png(root / "classes" / "a" / "1.png", 1, 2, 2, 1);
  fs::create_directories(root / "classes" / "b");
  EXPECT_INPUT_ERROR(read_image_folder((root / "classes").string(), {}), "classes/b",
                     "class folder that holds no PNG or JPEG images");
  write_png(root / "mixed" / "a" / "1.png", 1, 2, 2, 1);
  write_png(root / "mixed" / "loose.png", 1, 2, 2, 1);
  EXPECT_INPUT_ERROR(read_image_folder((root / "mixed").string(), {}), "mixed/loose.png",
                     "beside class folders");
  write_png(root / "half" / "train" / "1.png", 1, 2, 2, 1);
  EXPECT_INPUT_ERROR(read_image_folder((root / "half").string(), {}), "half",
                     "train/ folder but no test/");
  write_png(root / "sizes" / "1.png", 1, 2, 2, 1);
  write_png(root / "sizes" / "2.png", 1, 3, 2, 1);
  EXPECT_INPUT_ERROR(read_image_folder((root / "sizes").string(), {}), "sizes/2.png",
                     "is 3x2 (height x width) but");
  EXPECT_EQ(read_image_folder((root / "sizes").string(), ImageSize{2, 2}).train_x.size(0), 2);
  const std::string corrupt = dir.write("corrupt.png", "\x89PNG\r\n\x1a\n not really a png");
  EXPECT_INPUT_ERROR(latentkit::decode_image_file(corrupt), "corrupt.png",
                     "is not a readable PNG or JPEG image");
  fs::create_directories(root / "bad");
  write_png(root / "bad" / "1.png", 1, 2, 2, 1);
  fs::copy_file(corrupt, root / "bad" / "2.png");
  EXPECT_INPUT_ERROR(read_image_folder((root / "bad").string(), {}), "bad/2.png",
                     "is not a readable PNG");
}

TEST(ImageFolder, SizeAndShapeTextIsChecked) {
  EXPECT_EQ(latentkit::parse_image_size("32", "s").width, 32);
  EXPECT_EQ(latentkit::parse_image_size("64x48", "s").width, 48);
  EXPECT_TRUE(latentkit::parse_image_size("", "s").keep());
  for (const char* bad : {"0", "32x", "x32", "abc", "5000", "3x4x5", "-3"})
    EXPECT_INPUT_ERROR(latentkit::parse_image_size(bad, "image_size"), "image_size",
                       "expected H or HxW");
  EXPECT_EQ(latentkit::parse_image_shape("3,32,16", "s").width, 16);
  for (const char* bad : {"", "3,32", "5,32,32", "0,2,2", "3,32,32,1", "a,b,c"})
    EXPECT_INPUT_ERROR(latentkit::parse_image_shape(bad, "image_shape"), "image_shape",
                       "expected C,H,W");
}

TEST(ImageFolder, DataSourceSplitsBySeedAndInputsMatchTheRows) {
  TempDir dir;
  for (int i = 0; i < 10; ++i)
    write_png(dir.path() / (i < 4 ? "a" : "b") / (std::to_string(i) + ".png"), i, 3, 4, 3);
  latentkit::DataConfig c;
  c.source = "images:" + dir.path().string();
  c.test_fraction = 0.3;
  const auto d = latentkit::load_dataset(c);
  EXPECT_EQ(d.train.size(), 7);
  EXPECT_EQ(d.test.size(), 3);
  ASSERT_TRUE(d.image.has_value());
  EXPECT_EQ(d.image->channels, 3);
  // Unit scaling: each row is an image's levels / 255; labels follow the class folders.
  const torch::Tensor all_x = torch::cat({d.train.x, d.test.x}) * 255;
  const torch::Tensor all_y = torch::cat({d.train.y, d.test.y});
  int matched = 0;
  for (int i = 0; i < 10; ++i) {
    const torch::Tensor want = torch::tensor(expected_row(i, 3, 3, 4));
    for (int64_t r = 0; r < all_x.size(0); ++r)
      if (torch::allclose(all_x[r], want, 0, 1e-3)) {
        EXPECT_EQ(all_y[r].item<int64_t>(), i < 4 ? 0 : 1) << "image " << i;
        ++matched;
      }
  }
  EXPECT_EQ(matched, 10);
  // A PNG given as an input reads as the same row; a folder of them in sorted order.
  const torch::Tensor one = latentkit::load_inputs((dir.path() / "b" / "7.png").string(),
                                                   d.preprocess, 36, d.image);
  EXPECT_TRUE(torch::allclose(one[0] * 255, torch::tensor(expected_row(7, 3, 3, 4)), 0, 1e-3));
  const torch::Tensor folder =
      latentkit::load_inputs((dir.path() / "a").string(), d.preprocess, 36, d.image);
  ASSERT_EQ(folder.size(0), 4);
  EXPECT_TRUE(torch::allclose(folder[3] * 255, torch::tensor(expected_row(3, 3, 3, 4)), 0, 1e-3));
  EXPECT_INPUT_ERROR(latentkit::load_inputs((dir.path() / "a" / "0.png").string(), d.preprocess, 36),
                     "0.png", "the model is tabular");
  // --image-size applies to image folders only.
  latentkit::DataConfig wrong;
  wrong.source = "moons";
  wrong.image_size = "32";
  EXPECT_INPUT_ERROR(wrong.validate(), "image_size", "applies to images:DIR");
}

TEST(ImageFolder, ImageShapeTurnsTableRowsIntoImages) {
  TempDir dir;
  std::string csv;
  for (int n = 0; n < 5; ++n) {
    for (int i = 0; i < 12; ++i) csv += (i ? "," : "") + std::to_string((n * 12 + i) % 256);
    csv += "\n";
  }
  const std::string path = dir.write("rows.csv", csv);
  latentkit::DataConfig c;
  c.source = "csv:" + path;
  c.image_shape = "3,2,2";
  const auto d = latentkit::load_dataset(c);
  ASSERT_TRUE(d.image.has_value());
  EXPECT_EQ(d.image->channels, 3);
  EXPECT_EQ(d.image->width, 2);
  EXPECT_NEAR(d.preprocess.scale[0].item<float>(), 255.0f, 1e-4);  // unit scaling, as images
  c.image_shape = "1,3,3";
  EXPECT_INPUT_ERROR(latentkit::load_dataset(c), "rows.csv", "needs 9");
}

}  // namespace image_folder_test
