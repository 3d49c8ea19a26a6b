// The catalog of kinds (catalog/catalog.h): each kind's families share no key and no flag, its
// default config builds, and its traits agree with what the built model does.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/cvae.h"
#include "latentkit/models/gmm.h"

namespace latentkit {
namespace catalog_test {

// A buildable default of `kind`: images where the kind needs them, classes for conditional kinds.
ModelConfig buildable(const KindInfo& info, bool image) {
  ModelConfig c = default_config(info.name);
  if (image || info.images_only) {
    c.input_dim = 64;
    c.image_shape = {1, 8, 8};
  } else {
    c.input_dim = info.name == "flow2d" ? 2 : 6;  // the point-set flow takes 2-D points only
  }
  if (auto* labels = c.options.find<LabelOptions>()) labels->num_classes = 3;
  // Few components, so that "at most K distinct reconstructions" says something on 8 rows.
  if (auto* mixture = c.options.find<MixtureOptions>()) mixture->gmm_components = 2;
  return c;
}

// Rows the model sees: pixel levels / 255 for images (model space of Scaling::Unit), else
// uniform values. -> [rows, D]
torch::Tensor inputs(const ModelConfig& c, int64_t rows) {
  if (c.image()) return torch::randint(0, 256, {rows, c.input_dim}).to(torch::kFloat32) / 255.0;
  return torch::rand({rows, c.input_dim});
}

TEST(Catalog, FamiliesOfAKindShareNoKeyAndNoFlag) {
  for (const auto& info : model_catalog()) {
    std::set<std::string> keys{"format", "kind", "input_dim", "image_shape"}, flags;
    for (const OptionTable* f : info.families)
      for (const auto& spec : f->specs()) {
        EXPECT_TRUE(keys.insert(spec.key).second) << info.name << ": key " << spec.key << " twice";
        if (!spec.flag.empty()) {
          EXPECT_TRUE(flags.insert(spec.flag).second) << info.name << ": flag " << spec.flag << " twice";
        }
      }
  }
}

TEST(Catalog, NamesAreUniqueAndUnknownKindsListTheKnownOnes) {
  std::set<std::string> names;
  for (const auto& info : model_catalog()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_EQ(find_kind(info.name), &info);
  }
  EXPECT_EQ(find_kind("gan9000"), nullptr);
  try {
    kind_info("gan9000", "--model");
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("--model:", 0), 0u) << what;
    for (const auto& n : names) EXPECT_NE(what.find(n), std::string::npos) << n << " not listed: " << what;
  }
}

TEST(Catalog, TraitsAgreeWithTheModels) {
  for (const auto& info : model_catalog()) {
    for (bool image : {false, true}) {
      if (info.images_only && !image) continue;
      SCOPED_TRACE(info.name + (image ? " on images" : " on vectors"));
      ModelConfig c = buildable(info, image);
      std::shared_ptr<Model> model;
      try {
        model = make_model(c);
      } catch (const InputError& e) {
        // Only the point-set kind refuses data: images, and vectors that are not 2-D.
        EXPECT_EQ(std::string(e.what()).rfind("--data:", 0), 0u) << e.what();
        if (image) continue;
        c.input_dim = 2;
        model = make_model(c);
      }
      model->eval();
      torch::NoGradGuard no_grad;
      EXPECT_EQ(model->has_log_likelihood(), info.likelihood != Likelihood::None);
      if (model->has_log_likelihood()) {
        const bool bound = info.likelihood == Likelihood::Bound || (info.likelihood == Likelihood::Dequantised && image);
        EXPECT_EQ(model->log_likelihood_is_bound(), bound);
      }
      EXPECT_EQ(likelihood_scale(c) == LikelihoodScale::EightBitBound, info.likelihood == Likelihood::Dequantised && image);
      const torch::Tensor y = info.conditional ? torch::zeros({4}, torch::kLong) : torch::Tensor();
      auto x = torch::rand({4, c.input_dim});
      if (info.has_prior) {
        EXPECT_EQ(model->sample(3, info.conditional ? torch::zeros({3}, torch::kLong) : torch::Tensor()).sizes(),
                  (std::vector<int64_t>{3, c.input_dim}));
      } else {
        EXPECT_THROW(model->sample(3), InputError);
      }
      const torch::Tensor codes = model->encode(x, y);
      EXPECT_EQ(codes.size(1), model->latent_dim());
      if (info.discrete_codes) {
        EXPECT_TRUE(torch::equal(codes, codes.round()));
      }
      EXPECT_EQ(model->decode(codes, y).sizes(), x.sizes());
    }
  }
}

TEST(Catalog, DefaultConfigsValidate) {
  for (const auto& info : model_catalog()) {
    SCOPED_TRACE(info.name);
    ModelConfig c = default_config(info.name);
    EXPECT_EQ(c.kind, info.name);
    EXPECT_EQ(c.input_dim, 784);
    if (info.images_only) c.image_shape = {1, 28, 28};
    if (info.conditional) {
      // The classes come from the data: a default conditional config is not complete without them.
      EXPECT_THROW(validate(c), InputError);
      c.get<LabelOptions>().num_classes = 10;
    }
    EXPECT_NO_THROW(validate(c));
    if (info.images_only) {
      c.image_shape.clear();
      EXPECT_THROW(validate(c), InputError) << "an image-only kind accepted vector data";
    }
  }
}

// reconstructs == false exactly for the flows (decode inverts encode, so a reconstruction error
// says nothing about the model) and the mixture (a reconstruction is one of the K means).
TEST(Catalog, ReconstructsIsFalseExactlyForFlowsAndTheMixture) {
  const std::set<std::string> flows{"nice", "realnvp", "glow", "gaussian", "flow2d", "flow"};
  for (const auto& info : model_catalog()) {
    SCOPED_TRACE(info.name);
    const bool flow = flows.count(info.name) > 0, mixture = info.name == "gmm";
    EXPECT_EQ(info.reconstructs, !(flow || mixture));
    const ModelConfig c = buildable(info, info.images_only);
    torch::manual_seed(2);
    auto model = make_model(c);
    model->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor x = inputs(c, 8);
    const torch::Tensor y = info.conditional ? torch::arange(8) % 3 : torch::Tensor();
    const torch::Tensor r = model->reconstruct(x, y);  // [8, D]
    ASSERT_EQ(r.sizes(), x.sizes());
    const double worst = (r - x).abs().max().item<double>();
    if (flow) {
      EXPECT_LT(worst, 1e-4) << "a flow's decode(encode(x)) is x";
    } else if (mixture) {
      std::set<std::vector<float>> distinct;
      for (int64_t i = 0; i < r.size(0); ++i) {
        const torch::Tensor row = r[i].contiguous();
        distinct.insert(std::vector<float>(row.data_ptr<float>(), row.data_ptr<float>() + row.numel()));
      }
      EXPECT_LE(distinct.size(), 2u) << "more reconstructions than the K = 2 component means";
    } else {
      // Through a code the untrained model loses information: the error measures the model.
      const torch::Tensor e = model->reconstruction_error(x, y);
      ASSERT_EQ(e.sizes(), (std::vector<int64_t>{8}));
      EXPECT_TRUE(torch::isfinite(e).all().item<bool>());
      EXPECT_GT(e.min().item<double>(), 1e-6);
      EXPECT_GT(worst, 1e-3);
    }
  }
}

TEST(Catalog, ConditionalKindsReadLabels) {
  for (const auto& info : model_catalog()) {
    const ModelConfig c = default_config(info.name);
    EXPECT_EQ(info.conditional, c.reads<LabelOptions>()) << info.name;
  }
}

}  // namespace catalog_test
}  // namespace latentkit
