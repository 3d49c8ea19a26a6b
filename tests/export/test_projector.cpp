// The Embedding Projector's files: codes read back exactly, metadata per point, the sprite's
// thumbnails where the projector cuts them, and nothing foreign overwritten.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stb/stb_image.h>  // implementation in Debian's libstb.so

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "latentkit/error.h"
#include "latentkit/export/projector.h"
#include "latentkit/util/atomic_file.h"

namespace fs = std::filesystem;
using namespace latentkit;

namespace projector_test {

std::string fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("latentkit-projector-" + name);
  fs::remove_all(p);
  return p.string();
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    std::string c;
    while (std::getline(s, c, '\t')) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

TEST(Projector, CodesMetadataAndSpriteAsTheToolReadsThem) {
  torch::manual_seed(0);
  const int64_t n = 7, c = 3, h = 4, w = 5;
  ProjectorData d;
  d.name = "vae: test codes";
  d.codes = torch::randn({n, 3});
  d.labels = torch::tensor({0, 1, 2, 1, 0, 5, 2}, torch::kLong);
  d.class_names = {"cat", "dog\twith tab", "bird"};
  d.images = torch::randint(0, 256, {n, c * h * w}).to(torch::kFloat32);
  d.image_shape = {c, h, w};
  const std::string dir = fresh_dir("colour");
  write_projector(dir, d);

  auto tensors = read_tsv(dir + "/tensors.tsv");
  ASSERT_EQ(tensors.size(), size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(tensors[i].size(), 3u);
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(std::stof(tensors[i][j]), d.codes[i][j].item<float>());
  }
  auto meta = read_tsv(dir + "/metadata.tsv");
  ASSERT_EQ(meta.size(), size_t(n + 1));
  EXPECT_EQ(meta[0], (std::vector<std::string>{"index", "label", "class"}));
  EXPECT_EQ(meta[2], (std::vector<std::string>{"1", "1", "dog with tab"}));
  EXPECT_EQ(meta[6], (std::vector<std::string>{"5", "5", "5"}));  // a label without a name

  // 7 thumbnails: a 3x3 grid of 5x4 images, row by row; the two unused cells black.
  int sw = 0, sh = 0, sc = 0;
  unsigned char* px = stbi_load((dir + "/sprite.png").c_str(), &sw, &sh, &sc, 0);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(sw, 3 * w);
  EXPECT_EQ(sh, 3 * h);
  EXPECT_EQ(sc, 3);
  auto image = d.images.to(torch::kUInt8).reshape({n, c, h, w});
  for (int64_t k = 0; k < 9; ++k)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t row = (k / 3) * h + y, col = (k % 3) * w + x;
          const int expected = k < n ? image[k][ch][y][x].item<int>() : 0;
          ASSERT_EQ(px[(row * sw + col) * 3 + ch], expected) << "thumbnail " << k;
        }
  stbi_image_free(px);

  auto config = nlohmann::json::parse(read_file(dir + "/projector_config.json"));
  const auto& e = config["embeddings"][0];
  EXPECT_EQ(e["tensorName"], "vae: test codes");
  EXPECT_EQ(e["tensorShape"], nlohmann::json({n, 3}));
  EXPECT_EQ(e["tensorPath"], "tensors.tsv");
  EXPECT_EQ(e["metadataPath"], "metadata.tsv");
  EXPECT_EQ(e["sprite"]["imagePath"], "sprite.png");
  EXPECT_EQ(e["sprite"]["singleImageDim"], nlohmann::json({w, h}));
  const std::string pbtxt = read_file(dir + "/projector_config.pbtxt");
  EXPECT_NE(pbtxt.find("single_image_dim: 5\n    single_image_dim: 4"), std::string::npos) << pbtxt;
  EXPECT_NE(pbtxt.find("tensor_name: \"vae: test codes\""), std::string::npos) << pbtxt;
}

TEST(Projector, UnlabelledTabularCodesHaveNoSpriteAndReplaceAnEarlierExport) {
  const std::string dir = fresh_dir("tabular");
  ProjectorData d;
  d.name = "flow2d";
  d.codes = torch::randn({4, 2});
  d.images = torch::zeros({4, 4});
  d.image_shape = {1, 2, 2};
  write_projector(dir, d);
  EXPECT_TRUE(fs::exists(dir + "/sprite.png"));
  d.images = torch::Tensor();
  write_projector(dir, d);  // the same directory again: replaced, the stale sprite removed
  EXPECT_FALSE(fs::exists(dir + "/sprite.png"));
  auto meta = read_tsv(dir + "/metadata.tsv");
  ASSERT_EQ(meta.size(), 5u);
  EXPECT_EQ(meta[0], (std::vector<std::string>{"index", "split"}));
  EXPECT_FALSE(nlohmann::json::parse(read_file(dir + "/projector_config.json"))["embeddings"][0].contains("sprite"));
}

TEST(Projector, RefusesToWriteOverOtherFilesOrMismatchedData) {
  const std::string dir = fresh_dir("foreign");
  fs::create_directories(dir);
  write_file_atomic(dir + "/notes.txt", "mine");
  ProjectorData d;
  d.codes = torch::randn({3, 2});
  try {
    write_projector(dir, d);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir + "/tensors.tsv"));
  EXPECT_EQ(read_file(dir + "/notes.txt"), "mine");
  d.labels = torch::zeros({2}, torch::kLong);
  EXPECT_THROW(write_projector(fresh_dir("mismatch"), d), InputError);
  d.labels = torch::Tensor();
  d.images = torch::zeros({9000, 1});  // 9000 1x1 images fit a 95x95 sprite
  d.codes = torch::zeros({9000, 2});
  d.image_shape = {1, 1, 1};
  EXPECT_NO_THROW(write_projector(fresh_dir("fits"), d));
  d.codes = torch::zeros({1, 2});      // one image wider than the widest sprite does not
  d.images = torch::zeros({1, kMaxSpriteSide + 1});
  d.image_shape = {1, 1, kMaxSpriteSide + 1};
  EXPECT_THROW(write_projector(fresh_dir("too-wide"), d), InputError);
}

}  // namespace projector_test
