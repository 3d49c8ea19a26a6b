#pragma once
// The layer stacks of the flow kinds, from a ModelConfig (fields flow_*; 0 / "default" pick the
// kind's default below).
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

namespace latentkit {

struct FlowBody {
  std::shared_ptr<FlowLayer> layers;
  std::vector<int64_t> input_shape;  // per sample: {C, H, W} (multi-scale) or {D}
};

// Throws InputError when the config's data shape does not suit the kind.
FlowBody build_flow_body(const ModelConfig& config);
// Whether the kind models 8-bit images (dequantisation, bits/dim).
bool is_image_flow(const std::string& kind);

}  // namespace latentkit
