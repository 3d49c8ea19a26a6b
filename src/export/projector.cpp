#include "latentkit/export/projector.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/viz/image_grid.h"

namespace latentkit {

namespace {

namespace fs = std::filesystem;

const std::set<std::string> kFiles{"tensors.tsv", "metadata.tsv", "sprite.png", "projector_config.json",
                                   "projector_config.pbtxt"};

// A TSV cell: tabs and line breaks would split it.
std::string cell(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

// codes: [N, L] -> one line per code, values with 9 significant digits (float32 exactly).
std::string tensors_tsv(const torch::Tensor& codes) {
  const torch::Tensor c = codes.detach().cpu().to(torch::kFloat32).contiguous();
  const float* p = c.data_ptr<float>();
  std::string out;
  char buf[32];
  for (int64_t i = 0; i < c.size(0); ++i) {
    for (int64_t j = 0; j < c.size(1); ++j) {
      std::snprintf(buf, sizeof buf, j ? "\t%.9g" : "%.9g", static_cast<double>(p[i * c.size(1) + j]));
      out += buf;
    }
    out += "\n";
  }
  return out;
}

// With more than one column the projector reads the first line as the header.
std::string metadata_tsv(const ProjectorData& d, int64_t n) {
  std::string out = d.labels.defined() ? "index\tlabel\tclass\n" : "index\tsplit\n";
  const torch::Tensor labels = d.labels.defined() ? d.labels.cpu().to(torch::kLong).contiguous() : torch::Tensor();
  for (int64_t i = 0; i < n; ++i) {
    out += std::to_string(i);
    if (labels.defined()) {
      const int64_t k = labels.data_ptr<int64_t>()[i];
      const bool named = k >= 0 && k < static_cast<int64_t>(d.class_names.size());
      out += "\t" + std::to_string(k) + "\t" + cell(named ? d.class_names[k] : std::to_string(k));
    } else {
      out += "\tdata";
    }
    out += "\n";
  }
  return out;
}

// images: [N, C*H*W] levels -> a square grid of ceil(sqrt(N)) thumbnails per side, no padding,
// unused cells black: the layout the projector cuts the sprite by.
std::vector<unsigned char> sprite_png(const torch::Tensor& images, const std::vector<int64_t>& shape,
                                      int64_t* side_images) {
  const int64_t n = images.size(0), c = shape[0], h = shape[1], w = shape[2];
  const int64_t side = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  *side_images = side;
  // [N, C, H, W] -> [side, side, H, W, C] -> [side*H, side*W, C]
  torch::Tensor t = images.detach().cpu().to(torch::kFloat32).round().clamp(0, 255).to(torch::kUInt8)
                        .reshape({n, c, h, w}).permute({0, 2, 3, 1});
  t = torch::cat({t, torch::zeros({side * side - n, h, w, c}, t.options())});
  t = t.reshape({side, side, h, w, c}).permute({0, 2, 1, 3, 4}).reshape({side * h, side * w, c}).contiguous();
  return encode_png(t.data_ptr<uint8_t>(), static_cast<int>(side * w), static_cast<int>(side * h),
                    static_cast<int>(c));
}

}  // namespace

void write_projector(const std::string& dir, const ProjectorData& d) {
  if (!d.codes.defined() || d.codes.dim() != 2 || d.codes.size(0) < 1)
    fail(dir, "the projector needs codes [N, L] with N >= 1");
  const int64_t n = d.codes.size(0);
  if (d.labels.defined() && (d.labels.dim() != 1 || d.labels.size(0) != n))
    fail(dir, "labels must be [" + std::to_string(n) + "], one per code");
  const bool sprite = d.images.defined();
  if (sprite) {
    if (d.image_shape.size() != 3 || (d.image_shape[0] != 1 && d.image_shape[0] != 3))
      fail(dir, "sprite images need a shape {C, H, W} with 1 or 3 channels");
    if (d.images.dim() != 2 || d.images.size(0) != n ||
        d.images.size(1) != d.image_shape[0] * d.image_shape[1] * d.image_shape[2])
      fail(dir, "images must be [" + std::to_string(n) + ", C*H*W], one per code");
    const int64_t fit = kMaxSpriteSide / std::max(d.image_shape[1], d.image_shape[2]);
    if (n > fit * fit)
      fail(dir, std::to_string(n) + " images of " + std::to_string(d.image_shape[1]) + "x" +
                    std::to_string(d.image_shape[2]) + " do not fit the projector's " +
                    std::to_string(kMaxSpriteSide) + "-pixel sprite (at most " + std::to_string(fit * fit) +
                    "; export fewer points)");
  }
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) fail(dir, "exists and is not a directory");
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (!kFiles.count(entry.path().filename().string()))
        fail(dir, "holds " + entry.path().filename().string() +
                      ", which is not a projector file; export into an empty or new directory");
  }
  fs::create_directories(dir, ec);
  if (ec) fail(dir, "cannot create the directory: " + ec.message());

  const std::string base = (fs::path(dir) / "").string();
  write_file_atomic(base + "tensors.tsv", tensors_tsv(d.codes));
  write_file_atomic(base + "metadata.tsv", metadata_tsv(d, n));
  nlohmann::json embedding{{"tensorName", d.name},
                           {"tensorShape", {n, d.codes.size(1)}},
                           {"tensorPath", "tensors.tsv"},
                           {"metadataPath", "metadata.tsv"}};
  std::string pbtxt = "embeddings {\n  tensor_name: " + nlohmann::json(d.name).dump() +
                      "\n  tensor_path: \"tensors.tsv\"\n  metadata_path: \"metadata.tsv\"\n";
  if (sprite) {
    int64_t side = 0;
    const std::vector<unsigned char> png = sprite_png(d.images, d.image_shape, &side);
    write_file_atomic(base + "sprite.png", std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    const int64_t w = d.image_shape[2], h = d.image_shape[1];
    embedding["sprite"] = {{"imagePath", "sprite.png"}, {"singleImageDim", {w, h}}};
    pbtxt += "  sprite {\n    image_path: \"sprite.png\"\n    single_image_dim: " + std::to_string(w) +
             "\n    single_image_dim: " + std::to_string(h) + "\n  }\n";
  } else {
    fs::remove(base + "sprite.png", ec);  // an earlier export's, which no longer matches
  }
  pbtxt += "}\n";
  write_file_atomic(base + "projector_config.json", nlohmann::json{{"embeddings", {embedding}}}.dump(2) + "\n");
  write_file_atomic(base + "projector_config.pbtxt", pbtxt);
}

}  // namespace latentkit
