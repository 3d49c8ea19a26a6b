// Each picture function writes a PNG of the expected size that stb_image decodes and that is
// not blank; the latent map's projection is checked against the principal axes of a hand-made
// cloud.
#include <gtest/gtest.h>
#include <stb/stb_image.h>  // implementation lives in Debian's libstb.so
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/model.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/viz/chart.h"
#include "latentkit/viz/interpolation.h"
#include "latentkit/viz/latent_map.h"
#include "latentkit/viz/loss_curves.h"

namespace pictures_test {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("latentkit_pictures_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

struct Picture {
  int width = 0, height = 0, channels = 0;
  std::vector<unsigned char> rgb;
  // Pixels within `tol` of colour c in every channel.
  int count(latentkit::Color c, int tol = 0) const {
    int n = 0;
    for (size_t i = 0; i + 2 < rgb.size(); i += 3)
      n += std::abs(rgb[i] - c.r) <= tol && std::abs(rgb[i + 1] - c.g) <= tol && std::abs(rgb[i + 2] - c.b) <= tol;
    return n;
  }
};

Picture load_picture(const fs::path& path) {
  Picture p;
  // The file's own channel count in p.channels; the pixels expanded to RGB.
  unsigned char* data = stbi_load(path.c_str(), &p.width, &p.height, &p.channels, 3);
  if (!data) throw std::runtime_error(path.string() + ": stb_image cannot decode it");
  p.rgb.assign(data, data + static_cast<size_t>(p.width) * p.height * 3);
  stbi_image_free(data);
  return p;
}

TEST(PicturesTest, LossCurvesHaveOnePanelPerTerm) {
  const fs::path metrics = scratch("metrics.jsonl");
  std::ofstream(metrics) << R"({"epoch":1,"train":{"loss":300,"kl":10,"recon":290},"test":{"loss":280,"kl":11,"recon":269,"elbo":-280}})" "\n"
                         << R"({"epoch":2,"train":{"loss":270,"kl":12,"recon":258},"test":{"loss":265,"kl":12,"recon":253,"elbo":-265}})" "\n"
                         << R"({"epoch":3,"train":{"loss":262,"kl":13,"recon":249},"test":{"loss":260,"kl":13,"recon":247,"elbo":-260}})" "\n";
  const fs::path out = scratch("curves.png");
  latentkit::write_loss_curves(metrics.string(), out.string(), "a run");
  const Picture p = load_picture(out);
  // loss, elbo, kl, recon: 4 panels of 440 × 310 in 2 columns, under a title.
  EXPECT_EQ(p.width, 880);
  EXPECT_GT(p.height, 620);
  EXPECT_LT(p.height, 700);
  EXPECT_EQ(p.channels, 3);
  EXPECT_GT(p.count(latentkit::categorical_color(0)), 200);  // train curves
  EXPECT_GT(p.count(latentkit::categorical_color(1)), 200);  // test curves
  EXPECT_GT(p.count(latentkit::kWhite), p.width * p.height / 2);
  fs::remove_all(out.parent_path());
}

TEST(PicturesTest, LossCurvesRefuseBadMetricsInOneLine) {
  const fs::path metrics = scratch("bad.jsonl");
  std::ofstream(metrics) << R"({"epoch":1,"train":{"loss":3}})" "\n" << "{not json\n";
  try {
    latentkit::write_loss_curves(metrics.string(), scratch("x.png").string());
    FAIL() << "accepted a bad line";
  } catch (const latentkit::InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(metrics.string() + ": line 2", 0), 0u) << e.what();
  }
  std::ofstream(metrics, std::ios::trunc) << "\n";
  EXPECT_THROW(latentkit::write_loss_curves(metrics.string(), scratch("x.png").string()), latentkit::InputError);
  EXPECT_THROW(latentkit::write_loss_curves(scratch("missing.jsonl").string(), scratch("x.png").string()),
               latentkit::InputError);
  EXPECT_FALSE(fs::exists(scratch("x.png")));
  fs::remove_all(metrics.parent_path());
}

TEST(PicturesTest, ProjectionOfWideCodesExplainsTheirVariance) {
  // Six points ±3 e1, ±2 e2, ±1 e3 in 4-D: mean 0, covariance diag(18, 8, 2, 0) / 5, so the
  // principal axes are e1 and e2 with 18/28 and 8/28 of the variance.
  torch::Tensor z = torch::zeros({6, 4}, torch::kFloat64);
  const double s[3] = {3, 2, 1};
  for (int k = 0; k < 3; ++k) {
    z[2 * k][k] = s[k];
    z[2 * k + 1][k] = -s[k];
  }
  const latentkit::LatentProjection p = latentkit::project_latent(z.to(torch::kFloat32));
  EXPECT_TRUE(p.pca);
  EXPECT_EQ(p.x_label, "PC1 (64.3% of variance)");  // 18/28
  EXPECT_EQ(p.y_label, "PC2 (28.6% of variance)");  // 8/28
  for (int64_t i = 0; i < 6; ++i) {  // up to the sign of each axis
    EXPECT_NEAR(std::abs(p.points[i][0].item<double>()), std::abs(z[i][0].item<double>()), 1e-5);
    EXPECT_NEAR(std::abs(p.points[i][1].item<double>()), std::abs(z[i][1].item<double>()), 1e-5);
  }
  const latentkit::LatentProjection flat = latentkit::project_latent(z.narrow(1, 0, 2));
  EXPECT_FALSE(flat.pca);
  EXPECT_EQ(flat.x_label, "z1");
  EXPECT_TRUE(torch::equal(flat.points, z.narrow(1, 0, 2)));
  EXPECT_THROW(latentkit::project_latent(z.narrow(1, 0, 1)), latentkit::InputError);
}

TEST(PicturesTest, LatentMapColoursEachClass) {
  torch::manual_seed(1);
  const int64_t per = 300;
  torch::Tensor codes = torch::randn({3 * per, 2}) * 0.3;
  torch::Tensor labels = torch::arange(3).repeat_interleave(per);
  codes.narrow(0, per, per).add_(torch::tensor({3.0f, 0.0f}));
  codes.narrow(0, 2 * per, per).add_(torch::tensor({0.0f, 3.0f}));
  const fs::path out = scratch("map.png");
  latentkit::write_latent_map(codes, labels, {"left", "right", "top"}, "three blobs", out.string());
  const Picture p = load_picture(out);
  EXPECT_EQ(p.width, 900);
  EXPECT_EQ(p.height, 700);
  for (int k = 0; k < 3; ++k) EXPECT_GT(p.count(latentkit::categorical_color(k), 40), 300) << k;
  EXPECT_EQ(p.count(latentkit::categorical_color(3), 10), 0);  // no fourth class
  // The same input gives the same bytes.
  const fs::path again = scratch("map2.png");
  latentkit::write_latent_map(codes, labels, {"left", "right", "top"}, "three blobs", again.string());
  EXPECT_EQ(latentkit::read_file(out.string()), latentkit::read_file(again.string()));
  // Unlabelled codes: one colour.
  latentkit::write_latent_map(codes, torch::Tensor(), {}, "", again.string());
  EXPECT_GT(load_picture(again).count(latentkit::categorical_color(0), 40), 300);
  EXPECT_THROW(latentkit::write_latent_map(codes, labels.narrow(0, 0, 5), {}, "", again.string()),
               latentkit::InputError);
  fs::remove_all(out.parent_path());
}

TEST(PicturesTest, InterpolationShowsInputsAndRows) {
  const torch::Tensor inputs = torch::stack({torch::zeros({36}), torch::ones({36})});  // 6 × 6
  const torch::Tensor path = torch::linspace(0, 1, 5).unsqueeze(1).expand({5, 36}).contiguous();
  const fs::path out = scratch("path.png");
  latentkit::write_interpolation(inputs, {"test #1\nShirt", "test #2"}, {{"linear", path}, {"spherical", path}},
                                 {1, 6, 6}, "paths", out.string());
  const Picture p = load_picture(out);
  EXPECT_EQ(p.channels, 1);
  // 7 images 60 px wide (6 px scaled by 10) and two gaps, under two rows of 60 px.
  EXPECT_GT(p.width, 7 * 60);
  EXPECT_GT(p.height, 2 * 60);
  EXPECT_GE(p.count(latentkit::kBlack), 60 * 60 * 3);  // the black input and two black starts
  EXPECT_THROW(latentkit::write_interpolation(inputs, {"a", "b"}, {{"linear", path}, {"short", path.narrow(0, 0, 3)}},
                                              {1, 6, 6}, "", out.string()),
               latentkit::InputError);
  fs::remove_all(out.parent_path());
}

TEST(PicturesTest, ModelInterpolationWritesAPng) {
  latentkit::ModelConfig c = latentkit::default_config("vae");
  c.input_dim = 16;
  c.image_shape = {1, 4, 4};
  c.get<latentkit::NetworkOptions>().hidden = {8};
  c.get<latentkit::NetworkOptions>().latent_dim = 3;
  auto vae = latentkit::make_model(c);
  vae->eval();
  latentkit::Preprocessor pre;
  pre.offset = torch::zeros({16});
  pre.scale = torch::full({16}, 255.0f);
  const fs::path out = scratch("vae_path.png");
  latentkit::write_model_interpolation(*vae, pre, {1, 4, 4}, torch::rand({2, 16}), torch::Tensor(),
                                       {"a", "b"}, 6, "vae", out.string());
  const Picture p = load_picture(out);
  EXPECT_EQ(p.channels, 1);  // grey images and black text: a grey PNG
  EXPECT_GT(p.width, 8 * 64);  // 4 px images scaled by 16: 6 steps and 2 inputs
  fs::remove_all(out.parent_path());
}

}  // namespace pictures_test
