// The layer stacks of the flow kinds (see flow_architectures.h).
#include "latentkit/flows/flow_architectures.h"

#include <torch/torch.h>

#include <functional>

#include "latentkit/error.h"
#include "latentkit/flows/actnorm.h"
#include "latentkit/flows/coupling.h"
#include "latentkit/flows/invertible_conv.h"
#include "latentkit/flows/reshuffle.h"
#include "latentkit/models/model_size.h"

namespace latentkit {

namespace {

// The config's choices.
struct Choices {
  int64_t steps = 1, scales = 1, hidden = 1;
  CouplingKind coupling = CouplingKind::Affine;
  std::string permutation = "none";
};

Choices resolve(const ModelConfig& c) {
  Choices out;
  if (const auto* f = c.options.find<FlowOptions>()) {
    out.steps = f->flow_steps;
    out.hidden = f->flow_hidden;
    out.coupling = f->flow_coupling == "additive" ? CouplingKind::Additive : CouplingKind::Affine;
    out.permutation = f->flow_permutation;
  }
  if (const auto* m = c.options.find<MultiScaleOptions>()) out.scales = m->flow_scales;
  return out;
}

int64_t outputs(CouplingKind kind) { return kind == CouplingKind::Affine ? 2 : 1; }

// The optional layer before each coupling; channels: C or D.
void add_permutation(FlowSequence& seq, const std::string& kind, int64_t channels) {
  if (kind == "reverse" || kind == "random") seq.push_back(std::make_shared<Permutation>(channels, kind == "random"));
  else if (kind == "conv1x1" || kind == "conv1x1-lu")
    seq.push_back(std::make_shared<InvertibleConv>(channels, kind == "conv1x1-lu"));
}

// A coupling of [B, C, H, W] images with `mask`.
std::shared_ptr<Coupling> image_coupling(const Choices& ch, torch::Tensor mask, int64_t channels) {
  return std::make_shared<Coupling>(ch.coupling, mask,
                                    coupling_convnet(channels, ch.hidden, outputs(ch.coupling)), channels);
}

// Vector bodies: x: [B, D]. NICE has no ActNorm per step, one diagonal scaling at the end.
std::shared_ptr<FlowSequence> vector_body(const ModelConfig& c, const Choices& ch, bool nice,
                                          const std::function<torch::Tensor(int64_t)>& mask) {
  const int64_t d = c.input_dim;
  auto seq = std::make_shared<FlowSequence>();
  for (int64_t i = 0; i < ch.steps; ++i) {
    if (!nice) seq->push_back(std::make_shared<ActNorm>(d, false));
    add_permutation(*seq, ch.permutation, d);
    seq->push_back(std::make_shared<Coupling>(ch.coupling, mask(i),
                                              coupling_mlp(d, ch.hidden, outputs(ch.coupling)), d));
  }
  if (nice) seq->push_back(std::make_shared<ActNorm>(d, false));  // NICE's scaling
  return seq;
}

std::vector<int64_t> need_image(const ModelConfig& c, int64_t divisor) {
  if (c.image_shape.size() != 3)
    fail("--data", "model kind '" + c.kind + "' needs image data");
  const auto& s = c.image_shape;
  if (s[1] % divisor != 0 || s[2] % divisor != 0)
    fail("--flow-scales", "image height and width (" + std::to_string(s[1]) + "x" + std::to_string(s[2]) +
                              ") must be divisible by " + std::to_string(divisor) + " for " +
                              c.kind + "'s squeezes");
  return s;
}

// RealNVP: x: [B, C, H, W] -> z: [B, C*H*W]
FlowBody realnvp_body(const ModelConfig& c, const Choices& ch) {
  std::vector<int64_t> shape = need_image(c, int64_t{1} << (ch.scales - 1));
  const std::vector<int64_t> input = shape;
  std::vector<std::shared_ptr<FlowSequence>> levels;
  for (int64_t l = 0; l < ch.scales; ++l) {
    auto seq = std::make_shared<FlowSequence>();
    const bool last = l + 1 == ch.scales;
    const int64_t checker_steps = last ? ch.steps + 1 : ch.steps;
    for (int64_t i = 0; i < checker_steps; ++i) {
      add_permutation(*seq, ch.permutation, shape[0]);
      seq->push_back(image_coupling(ch, checkerboard_mask(shape[1], shape[2], i % 2 == 1), shape[0]));
    }
    if (!last) {
      seq->push_back(std::make_shared<Squeeze>());
      shape = {shape[0] * 4, shape[1] / 2, shape[2] / 2};
      for (int64_t i = 0; i < ch.steps; ++i) {
        add_permutation(*seq, ch.permutation, shape[0]);
        seq->push_back(image_coupling(ch, channel_mask(shape[0], i % 2 == 1), shape[0]));
      }
      shape[0] -= shape[0] / 2;
    }
    levels.push_back(seq);
  }
  return {std::make_shared<MultiScaleFlow>(levels, input), input};
}

// Glow: x: [B, C, H, W] -> z: [B, C*H*W]
FlowBody glow_body(const ModelConfig& c, const Choices& ch) {
  std::vector<int64_t> shape = need_image(c, int64_t{1} << ch.scales);
  const std::vector<int64_t> input = shape;
  std::vector<std::shared_ptr<FlowSequence>> levels;
  for (int64_t l = 0; l < ch.scales; ++l) {
    auto seq = std::make_shared<FlowSequence>();
    seq->push_back(std::make_shared<Squeeze>());
    shape = {shape[0] * 4, shape[1] / 2, shape[2] / 2};
    for (int64_t i = 0; i < ch.steps; ++i) {
      seq->push_back(std::make_shared<ActNorm>(shape[0], true));
      add_permutation(*seq, ch.permutation, shape[0]);
      // With a fixed (or no) permutation, alternate the halves so every channel gets transformed.
      const bool flip = ch.permutation == "none" && i % 2 == 1;
      seq->push_back(image_coupling(ch, channel_mask(shape[0], flip), shape[0]));
    }
    if (l + 1 < ch.scales) shape[0] -= shape[0] / 2;
    levels.push_back(seq);
  }
  return {std::make_shared<MultiScaleFlow>(levels, input), input};
}

}  // namespace

const OptionTable& FlowOptions::table() {
  using Self = FlowOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("flow", "Flow couplings", {LATENTKIT_FLOW_OPTIONS(LATENTKIT_OPTION_SPEC)});
    // Per coupling, a network D -> H -> H -> 2D (vectors) or 3x3 convolutions C' -> H -> H -> 2C'
    // (images, C' up to 4^scales C channels): the multi-scale factor is bounded by 4 D.
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      if (!c) return;
      const double d = double(c->input_dim), h = double(o.flow_hidden), steps = double(o.flow_steps);
      const double per_step = c->image() ? 9 * h * (h + 3 * 4 * double(c->image_shape[0])) : dense_parameters({d, h, h, 2 * d});
      require_parameters_fit("--flow-hidden", steps * per_step);
    });
    return t;
  }();
  return table;
}

const OptionTable& MultiScaleOptions::table() {
  using Self = MultiScaleOptions;
  static const OptionTable table =
      OptionTable::of<Self>("multiscale", "Multi-scale image flows", {LATENTKIT_MULTISCALE_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

const OptionTable& LogitOptions::table() {
  using Self = LogitOptions;
  static const OptionTable table =
      OptionTable::of<Self>("logit", "Logit transform of images", {LATENTKIT_LOGIT_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

bool models_images(FlowArchitecture arch) {
  return arch == FlowArchitecture::Nice || arch == FlowArchitecture::RealNVP || arch == FlowArchitecture::Glow ||
         arch == FlowArchitecture::Gaussian;
}

FlowBody build_flow_body(FlowArchitecture arch, const ModelConfig& c) {
  const Choices ch = resolve(c);
  const int64_t d = c.input_dim;
  switch (arch) {
    case FlowArchitecture::RealNVP:
      return realnvp_body(c, ch);
    case FlowArchitecture::Glow:
      return glow_body(c, ch);
    case FlowArchitecture::Gaussian: {
      need_image(c, 1);
      auto seq = std::make_shared<FlowSequence>();
      seq->push_back(std::make_shared<ActNorm>(d, false));
      return {seq, {d}};
    }
    case FlowArchitecture::Nice: {
      const auto s = need_image(c, 1);
      // Alternating checkerboards over each channel's pixels, flattened to [1, D].
      auto mask = [s](int64_t i) {
        return checkerboard_mask(s[1], s[2], i % 2 == 1).expand({1, s[0], s[1], s[2]}).reshape({1, -1});
      };
      return {vector_body(c, ch, /*nice=*/true, mask), {d}};
    }
    case FlowArchitecture::Points2D:
      if (d != 2)
        fail("--data", "model kind '" + c.kind + "' needs 2-D data (got " + std::to_string(d) + " dimensions; use 'flow')");
      break;
    case FlowArchitecture::Vectors:
      if (d < 2) fail("--data", "model kind '" + c.kind + "' needs at least 2 dimensions");
      break;
  }
  return {vector_body(c, ch, /*nice=*/false, [d](int64_t i) { return half_mask(d, i % 2 == 1); }), {d}};
}

}  // namespace latentkit
