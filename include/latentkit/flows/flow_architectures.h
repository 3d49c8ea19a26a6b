#pragma once
// The layer stacks of the flow kinds, from their options (the catalog gives each kind its own
// defaults, in brackets):
//   nice:     steps (4) of additive couplings (MLPs of 256 units) on the flattened image with
//             alternating checkerboard masks, then a diagonal scaling (ActNorm).
//   realnvp:  scales (2): all but the last are [steps (3) checkerboard affine couplings, squeeze,
//             steps channel-wise affine couplings, factor out half]; the last is steps + 1
//             checkerboard couplings. Conv nets of 32 channels.
//   glow:     scales (2) levels of [squeeze, steps (4) x (ActNorm, LU 1x1 conv, affine channel
//             coupling), factor out half (not after the last)]. Conv nets of 64 channels.
//   gaussian: one ActNorm on the flattened image: a per-pixel Gaussian.
//   flow2d:   steps (8) x (ActNorm, affine coupling with alternating half masks), MLPs of 64.
//   flow:     steps (6) x (ActNorm, LU linear map, affine coupling with alternating half masks),
//             MLPs of 128.
// flow_permutation adds a layer before every coupling ("reverse", "random", "conv1x1" plain,
// "conv1x1-lu"; "none": nothing); flow_coupling switches "affine" / "additive".
#include <memory>
#include <vector>

#include "latentkit/flows/flow_layer.h"
#include "latentkit/models/model_config.h"
#include "latentkit/util/options.h"

namespace latentkit {

// The couplings of every flow kind but gaussian.
#define LATENTKIT_FLOW_OPTIONS(X)                                                                      \
  X(int64_t, flow_steps, 3, "--flow-steps", "Coupling steps per scale (images) or in all (vectors)",    \
    between(1, 1000))                                                                                   \
  X(int64_t, flow_hidden, 32, "--flow-hidden", "Width of the coupling networks (channels or units)",    \
    between(1, kMaxWidth))                                                                              \
  X(std::string, flow_coupling, "affine", "--flow-coupling", "Couplings: affine or additive",          \
    one_of({"affine", "additive"}))                                                                     \
  X(std::string, flow_permutation, "none", "--flow-permutation",                                        \
    "Layer before each coupling: none, reverse, random, conv1x1 or conv1x1-lu",                        \
    one_of({"none", "reverse", "random", "conv1x1", "conv1x1-lu"}))

struct FlowOptions {
  LATENTKIT_FLOW_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

// The multi-scale image flows (realnvp, glow).
#define LATENTKIT_MULTISCALE_OPTIONS(X) \
  X(int64_t, flow_scales, 2, "--flow-scales", "Scales (levels) of squeeze and factor-out", between(1, 16))

struct MultiScaleOptions {
  LATENTKIT_MULTISCALE_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

// The image flows that work in logit space (nice, realnvp, glow).
#define LATENTKIT_LOGIT_OPTIONS(X)                                                                     \
  X(double, logit_alpha, 0.05, "--logit-alpha", "alpha of the logit transform logit(alpha + (1 - 2 "    \
    "alpha) y)", in_range(0, 0.5))

struct LogitOptions {
  LATENTKIT_LOGIT_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

enum class FlowArchitecture { Nice, RealNVP, Glow, Gaussian, Points2D, Vectors };
// Whether the architecture models 8-bit images (dequantisation, bits/dim).
bool models_images(FlowArchitecture arch);

struct FlowBody {
  std::shared_ptr<FlowLayer> layers;
  std::vector<int64_t> input_shape;  // per sample: {C, H, W} (multi-scale) or {D}
};

// Throws InputError when the config's data shape does not suit the architecture.
FlowBody build_flow_body(FlowArchitecture arch, const ModelConfig& config);

}  // namespace latentkit
