// The manifold's grid: Φ⁻¹ checked through Φ(x) = erfc(-x/√2)/2 from <cmath>, the layout of the
// codes, the picture, and the refusal of models whose latent is not 2-D.
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/viz/manifold.h"

#include <gtest/gtest.h>
#include <stb/stb_image.h>  // implementation lives in Debian's libstb.so
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "latentkit/error.h"
#include "latentkit/models/model.h"

namespace manifold_test {

namespace fs = std::filesystem;

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("latentkit_manifold_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

TEST(ManifoldTest, QuantileInvertsTheNormalCdf) {
  for (double p : {1e-300, 1e-12, 1e-6, 0.001, 0.02, 0.02425, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9,
                   0.97575, 0.975, 0.999, 1 - 1e-9}) {
    const double x = latentkit::normal_quantile(p);
    const double tail = std::min(p, 1 - p);
    // Relative to the tail probability, plus the rounding of p itself near 1.
    EXPECT_NEAR(normal_cdf(x), p, 1e-12 * tail + 4e-16) << p;
    if (p >= 1e-3 && p <= 1 - 1e-3) {  // where 1 - p is exact enough to test the symmetry
      EXPECT_NEAR(latentkit::normal_quantile(1 - p), -x, 1e-12) << p;
    }
  }
  EXPECT_NEAR(latentkit::normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_EQ(latentkit::normal_quantile(0.5), 0.0);
  EXPECT_TRUE(std::isinf(latentkit::normal_quantile(0)) && latentkit::normal_quantile(0) < 0);
  EXPECT_TRUE(std::isnan(latentkit::normal_quantile(1.5)));
}

TEST(ManifoldTest, CoordinatesAreEvenlySpacedInProbability) {
  for (int64_t n : {1, 2, 7, 20}) {
    const std::vector<double> z = latentkit::manifold_coordinates(n);
    ASSERT_EQ(static_cast<int64_t>(z.size()), n);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(normal_cdf(z[i]), (i + 0.5) / n, 1e-13) << n << " " << i;
      EXPECT_NEAR(z[i], -z[n - 1 - i], 1e-12);
      if (i) {
        EXPECT_GT(z[i], z[i - 1]);
      }
    }
  }
  EXPECT_THROW(latentkit::manifold_coordinates(0), latentkit::InputError);
}

TEST(ManifoldTest, CodesRunAlongRowsWithZ2GrowingUpwards) {
  const int64_t n = 3;
  const std::vector<double> q = latentkit::manifold_coordinates(n);
  const torch::Tensor z = latentkit::manifold_codes(n);
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{9, 2}));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) {
      EXPECT_FLOAT_EQ(z[r * n + c][0].item<float>(), static_cast<float>(q[c]));
      EXPECT_FLOAT_EQ(z[r * n + c][1].item<float>(), static_cast<float>(q[n - 1 - r]));
    }
}

// A decoded PNG's size and the number of distinct grey levels it holds.
struct PngFacts {
  int width = 0, height = 0, channels = 0;
  size_t levels = 0;
};

PngFacts read_png_facts(const fs::path& path) {
  PngFacts f;
  unsigned char* data = stbi_load(path.c_str(), &f.width, &f.height, &f.channels, 0);
  if (!data) return f;
  std::set<int> levels;
  for (int i = 0; i < f.width * f.height * f.channels; ++i) levels.insert(data[i]);
  f.levels = levels.size();
  stbi_image_free(data);
  return f;
}

TEST(ManifoldTest, WritesTheGridAsAPng) {
  const int64_t n = 4;
  // Image k is uniformly k / 15: a ramp over the grid.
  const torch::Tensor images = (torch::arange(n * n, torch::kFloat32) / 15.0).unsqueeze(1).expand({n * n, 64}).contiguous();
  const fs::path out = scratch("grid.png");
  latentkit::write_manifold(images, {1, 8, 8}, n, "a ramp", out.string());
  const PngFacts f = read_png_facts(out);
  EXPECT_EQ(f.channels, 1);  // grey images and black text: a grey PNG
  EXPECT_GT(f.width, n * 8 * 2);  // images scaled up, plus labels
  EXPECT_GT(f.height, n * 8 * 2);
  EXPECT_GT(f.levels, 16u);  // the 16 image levels plus anti-aliased text
  EXPECT_THROW(latentkit::write_manifold(images, {1, 8, 8}, 3, "", out.string()), latentkit::InputError);
  fs::remove_all(out.parent_path());
}

latentkit::ModelConfig small_vae(int64_t latent) {
  latentkit::ModelConfig c = latentkit::default_config("vae");
  c.input_dim = 16;
  c.image_shape = {1, 4, 4};
  c.get<latentkit::NetworkOptions>().hidden = {8};
  c.get<latentkit::NetworkOptions>().latent_dim = latent;
  return c;
}

latentkit::Preprocessor unit_pixels() {
  latentkit::Preprocessor p;
  p.offset = torch::zeros({16});
  p.scale = torch::full({16}, 255.0f);
  return p;
}

TEST(ManifoldTest, DecodesWithAModelOfTwoLatentDimensionsOnly) {
  const fs::path out = scratch("model.png");
  auto vae2 = latentkit::make_model(small_vae(2));
  vae2->eval();
  latentkit::write_model_manifold(*vae2, unit_pixels(), {1, 4, 4}, 5, "vae", out.string());
  EXPECT_EQ(read_png_facts(out).channels, 1);
  auto vae3 = latentkit::make_model(small_vae(3));
  try {
    latentkit::write_model_manifold(*vae3, unit_pixels(), {1, 4, 4}, 5, "vae", out.string());
    FAIL() << "a 3-D latent was accepted";
  } catch (const latentkit::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("2-D latent"), std::string::npos) << e.what();
  }
  fs::remove_all(out.parent_path());
}

}  // namespace manifold_test
