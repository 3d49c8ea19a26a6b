// load_dataset, load_inputs and DataConfig, on small hand-written files and synthetic sets.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "test_files.h"

using latentkit::DataConfig;
using latentkit::load_dataset;

namespace dataset_test {

using latentkit::testing::TempDir;

// An IDX ubyte images file: n images of 2x3 pixels, pixel k of image i = 40 * i + k.
std::string images_idx(int n) {
  std::string s{0, 0, 0x08, 3, 0, 0, 0, char(n), 0, 0, 0, 2, 0, 0, 0, 3};
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 6; ++k) s += char(uint8_t(40 * i + k));
  return s;
}

std::string labels_idx(std::vector<int> labels) {
  std::string s{0, 0, 0x08, 1, 0, 0, 0, char(labels.size())};
  for (int l : labels) s += char(l);
  return s;
}

// A dir with 3 training and 2 test images; some files gzipped, some plain.
void write_idx_dir(const TempDir& dir, int train_labels = 3) {
  dir.write_gz("train-images-idx3-ubyte.gz", images_idx(3));
  std::vector<int> labels = {4, 0, 2, 1, 1};
  dir.write("train-labels-idx1-ubyte",
            labels_idx(std::vector<int>(labels.begin(), labels.begin() + train_labels)));
  dir.write("t10k-images-idx3-ubyte", images_idx(2));
  dir.write_gz("t10k-labels-idx1-ubyte.gz", labels_idx({3, 1}));
}

DataConfig config(const std::string& source) {
  DataConfig c;
  c.source = source;
  return c;
}


TEST(LoadDataset, IdxDirectoryPlainAndGzip) {
  TempDir dir;
  write_idx_dir(dir);
  const auto d = load_dataset(config("idx:" + dir.path().string()));
  ASSERT_EQ(d.train.x.sizes(), (std::vector<int64_t>{3, 6}));
  ASSERT_EQ(d.test.x.sizes(), (std::vector<int64_t>{2, 6}));
  ASSERT_TRUE(d.image.has_value());
  EXPECT_EQ(d.image->channels, 1);
  EXPECT_EQ(d.image->height, 2);
  EXPECT_EQ(d.image->width, 3);
  EXPECT_EQ(d.dim(), 6);
  EXPECT_EQ(d.preprocess.scaling, latentkit::Scaling::Unit);  // "auto" for images
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 6; ++k)
      EXPECT_FLOAT_EQ(d.train.x[i][k].item<float>(), float(40 * i + k) / 255.0f);
  EXPECT_FLOAT_EQ(d.test.x[1][5].item<float>(), 45.0f / 255.0f);
  EXPECT_EQ(d.train.y.scalar_type(), torch::kInt64);
  EXPECT_EQ(d.train.y[0].item<int64_t>(), 4);
  EXPECT_EQ(d.train.y[2].item<int64_t>(), 2);
  EXPECT_EQ(d.test.y[0].item<int64_t>(), 3);
  EXPECT_EQ(d.num_classes(), 5);
}

TEST(LoadDataset, IdxCountMismatchNamesTheLabelFile) {
  TempDir dir;
  write_idx_dir(dir, 2);
  const std::string labels = (dir.path() / "train-labels-idx1-ubyte").string();
  EXPECT_INPUT_ERROR(load_dataset(config("idx:" + dir.path().string())), labels, "has 2 labels but");
}

TEST(LoadDataset, IdxMissingFileNamesThePath) {
  TempDir dir;
  write_idx_dir(dir);
  std::filesystem::remove(dir.path() / "t10k-images-idx3-ubyte");
  EXPECT_INPUT_ERROR(load_dataset(config("idx:" + dir.path().string())),
                     (dir.path() / "t10k-images-idx3-ubyte").string(), "no such file");
}

TEST(LoadDataset, CsvWithLabelColumnSplitsBySeed) {
  TempDir dir;
  // 10 rows: features (i, 2i, 5) and the label i % 3 in column 1.
  std::string text = "f0,label,f1,f2\n";
  for (int i = 0; i < 10; ++i)
    text += std::to_string(i) + "," + std::to_string(i % 3) + "," + std::to_string(2 * i) + ",5\n";
  auto c = config("csv:" + dir.write("t.csv", text));
  c.label_column = 1;
  c.test_fraction = 0.3;
  const auto d = load_dataset(c);
  ASSERT_EQ(d.train.x.sizes(), (std::vector<int64_t>{7, 3}));
  ASSERT_EQ(d.test.x.sizes(), (std::vector<int64_t>{3, 3}));
  EXPECT_FALSE(d.image.has_value());
  EXPECT_EQ(d.preprocess.scaling, latentkit::Scaling::Standardize);  // "auto" for tables
  // Back in raw units every row is (i, 2i, 5) with label i % 3, and each i appears once.
  std::set<int> seen;
  for (const auto* s : {&d.train, &d.test}) {
    const auto raw = d.preprocess.invert(s->x);
    for (int64_t r = 0; r < s->size(); ++r) {
      const int i = int(std::lround(raw[r][0].item<double>()));
      EXPECT_NEAR(raw[r][1].item<double>(), 2.0 * i, 1e-4);
      EXPECT_NEAR(raw[r][2].item<double>(), 5.0, 1e-4);
      EXPECT_EQ(s->y[r].item<int64_t>(), i % 3);
      seen.insert(i);
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  // Standardized on the training split: mean 0, population std 1 (constant column: 0).
  EXPECT_NEAR(d.train.x.select(1, 0).mean().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR(d.train.x.select(1, 0).std(false).item<double>(), 1.0, 1e-5);
  EXPECT_EQ(d.num_classes(), 3);
  // The split is a function of the seed.
  EXPECT_TRUE(torch::equal(load_dataset(c).test.y, d.test.y));
  auto c2 = c;
  c2.seed = 2;
  EXPECT_FALSE(torch::equal(load_dataset(c2).test.x, d.test.x));
}

TEST(LoadDataset, TableLabelsMustBeNonNegativeIntegers) {
  TempDir dir;
  const auto p = dir.write("l.csv", "1,0\n2,1.5\n");
  auto c = config("csv:" + p);
  c.label_column = 1;
  EXPECT_INPUT_ERROR(load_dataset(c), p, "labels must be integers >= 0");
  c.label_column = 2;
  EXPECT_INPUT_ERROR(load_dataset(c), p, "label_column 2");
}

TEST(LoadDataset, NpyTableAndNaN) {
  TempDir dir;
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), }";
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  const float values[] = {0, 10, 1, 20, 2, 30, 3, 40};
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + '\0' + header +
                      std::string(reinterpret_cast<const char*>(values), sizeof values);
  auto c = config("npy:" + dir.write("a.npy", bytes));
  c.scaling = "unit";
  c.test_fraction = 0.25;
  const auto d = load_dataset(c);
  EXPECT_EQ(d.train.size(), 3);
  EXPECT_EQ(d.test.size(), 1);
  EXPECT_FALSE(d.train.labelled());
  EXPECT_EQ(d.num_classes(), 0);
  // Min-max on the training rows: every value in [0, 1], both ends reached.
  EXPECT_EQ(d.train.x.min().item<float>(), 0.0f);
  EXPECT_EQ(d.train.x.max().item<float>(), 1.0f);

  const float nan = std::nanf("");
  std::memcpy(bytes.data() + bytes.size() - 4, &nan, 4);
  const auto bad = dir.write("nan.npy", bytes);
  EXPECT_INPUT_ERROR(load_dataset(config("npy:" + bad)), bad, "NaN");
}

TEST(LoadDataset, SyntheticSplitLimitAndBinarizeRule) {
  auto c = config("moons");
  c.synthetic_size = 1000;
  c.test_fraction = 0.2;
  auto d = load_dataset(c);
  EXPECT_EQ(d.train.size(), 800);
  EXPECT_EQ(d.test.size(), 200);
  EXPECT_EQ(d.dim(), 2);
  EXPECT_EQ(d.num_classes(), 2);
  EXPECT_EQ(d.name, "moons");
  c.limit = 100;
  d = load_dataset(c);
  EXPECT_EQ(d.train.size(), 100);
  EXPECT_EQ(d.test.size(), 200);
  // Binarization needs [0, 1] data: "auto" is standardize here.
  c.binarize = true;
  EXPECT_INPUT_ERROR(load_dataset(c), "binarize", "use scaling 'unit'");
  c.scaling = "unit";
  d = load_dataset(c);
  EXPECT_TRUE(d.preprocess.binarize);
  EXPECT_GE(d.train.x.min().item<float>(), 0.0f);
  EXPECT_LE(d.train.x.max().item<float>(), 1.0f);
}

TEST(DataConfig, JsonHasEveryFieldAndDefaultsFillGaps) {
  DataConfig c;
  c.source = "csv:/data/x.csv";
  c.scaling = "standardize";
  c.binarize = true;
  c.csv_header = "no";
  c.label_column = 3;
  c.test_fraction = 0.5;
  c.synthetic_size = 77;
  c.limit = 9;
  c.seed = 12345678901234ull;
  EXPECT_EQ(c.to_json(),
            nlohmann::json::parse(R"({"source": "csv:/data/x.csv", "scaling": "standardize",
      "binarize": true, "csv_header": "no", "label_column": 3, "test_fraction": 0.5,
      "synthetic_size": 77, "limit": 9, "seed": 12345678901234, "image_size": "",
      "image_shape": ""})"));
  const auto r = DataConfig::from_json(c.to_json());
  EXPECT_EQ(r.to_json(), c.to_json());
  const auto d = DataConfig::from_json(nlohmann::json::parse(R"({"source": "rings"})"));
  EXPECT_EQ(d.source, "rings");
  EXPECT_EQ(d.scaling, "auto");
  EXPECT_EQ(d.test_fraction, 0.2);
  EXPECT_EQ(d.synthetic_size, 20000);
  EXPECT_EQ(d.seed, 1u);
}

TEST(DataConfig, RejectsUnknownSourceAndBadFields) {
  EXPECT_INPUT_ERROR(
      DataConfig::from_json(nlohmann::json::parse(R"({"source": "cifar"})")), "source",
      "valid: fashion-mnist, idx:DIR, csv:FILE, npy:FILE, images:DIR, moons, rings, 8gaussians, checkerboard");
  EXPECT_INPUT_ERROR(DataConfig::from_json(nlohmann::json::parse(R"({"limit": "ten"})")),
                     "limit", "expected an integer");
  EXPECT_INPUT_ERROR(DataConfig::from_json(nlohmann::json::parse(R"({"test_fraction": 1.5})")),
                     "test_fraction", "must be in [0, 1)");
  EXPECT_INPUT_ERROR(DataConfig::from_json(nlohmann::json::parse(R"({"scaling": "zscore"})")),
                     "scaling", "'zscore'");
}

TEST(LoadInputs, ByExtensionWithDimCheck) {
  TempDir dir;
  latentkit::Preprocessor p;
  p.scaling = latentkit::Scaling::Unit;
  p.offset = torch::tensor({1.0f, 0.0f, 0.0f});
  p.scale = torch::tensor({2.0f, 4.0f, 1.0f});
  const auto csv = dir.write("in.csv", "a,b,c\n3,8,-1\n");
  const auto x = latentkit::load_inputs(csv, p, 3);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3}));
  EXPECT_FLOAT_EQ(x[0][0].item<float>(), 1.0f);  // (3 - 1) / 2
  EXPECT_FLOAT_EQ(x[0][1].item<float>(), 2.0f);  // 8 / 4
  EXPECT_FLOAT_EQ(x[0][2].item<float>(), -1.0f);
  EXPECT_INPUT_ERROR(latentkit::load_inputs(csv, p, 784), csv,
                     "has 3 columns, the model expects 784");

  // IDX images are flattened: 2 images of 2x3 -> [2, 6].
  latentkit::Preprocessor img;
  img.offset = torch::zeros({6});
  img.scale = torch::full({6}, 255.0f);
  const auto idx = dir.write_gz("imgs.gz", images_idx(2));
  const auto y = latentkit::load_inputs(idx, img, 6);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 6}));
  EXPECT_FLOAT_EQ(y[1][3].item<float>(), 43.0f / 255.0f);
}

TEST(LoadDataset, FashionMnistWhenInstalled) {
  if (!std::filesystem::exists(latentkit::kFashionMnistDir))
    GTEST_SKIP() << latentkit::kFashionMnistDir << " is absent (Debian's dataset-fashion-mnist)";
  const auto d = load_dataset(config("fashion-mnist"));
  EXPECT_EQ(d.train.x.sizes(), (std::vector<int64_t>{60000, 784}));
  EXPECT_EQ(d.test.x.sizes(), (std::vector<int64_t>{10000, 784}));
  EXPECT_EQ(d.image->height, 28);
  EXPECT_EQ(d.image->width, 28);
  EXPECT_EQ(d.train.y.min().item<int64_t>(), 0);
  EXPECT_EQ(d.train.y.max().item<int64_t>(), 9);
  EXPECT_EQ(d.test.y.max().item<int64_t>(), 9);
  EXPECT_EQ(d.num_classes(), 10);
  EXPECT_GE(d.train.x.min().item<float>(), 0.0f);
  EXPECT_LE(d.train.x.max().item<float>(), 1.0f);
  EXPECT_EQ(d.train.x.max().item<float>(), 1.0f);  // some pixel is 255
  // 6000 images per class in the training set.
  EXPECT_EQ((d.train.y == 3).sum().item<int64_t>(), 6000);
}

}  // namespace dataset_test
