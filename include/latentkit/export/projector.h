#pragma once
// Codes in the files the TensorFlow Embedding Projector reads (projector.tensorflow.org, or
// TensorBoard's projector plugin), so they can be explored there: a directory with
//   tensors.tsv              one code per line, tab-separated
//   metadata.tsv             a header, then per point: its index, and label and class name when labelled
//   sprite.png               the inputs' thumbnails in a square grid, row by row (image data only)
//   projector_config.json    the standalone projector's config (tensorPath, metadataPath, sprite)
//   projector_config.pbtxt   TensorBoard's ProjectorConfig, the same in protobuf text format
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

struct ProjectorData {
  std::string name;                      // the tensor's name in the tool, e.g. "vae: test codes"
  torch::Tensor codes;                   // [N, L] float
  torch::Tensor labels;                  // [N] int64, or undefined
  std::vector<std::string> class_names;  // by label; labels beyond it are shown as numbers
  torch::Tensor images;                  // [N, C*H*W] pixel levels 0..255, or undefined (no sprite)
  std::vector<int64_t> image_shape;      // {C, H, W} with C 1 or 3, when images are given
};

// The largest sprite side the projector loads (WebGL textures), in pixels.
inline constexpr int64_t kMaxSpriteSide = 8192;

// Writes the files into `dir`, creating it. Refuses (InputError naming dir) a directory that
// holds files other than these, so nothing else is overwritten; an earlier export is replaced.
// Also refuses mismatched sizes, and more images than a sprite of kMaxSpriteSide fits.
void write_projector(const std::string& dir, const ProjectorData& data);

}  // namespace latentkit
