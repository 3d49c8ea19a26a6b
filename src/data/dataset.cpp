// load_dataset / load_inputs: from a DataConfig to preprocessed train and test splits.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <random>

#include "latentkit/data/data_config.h"
#include "latentkit/data/image_folder.h"
#include "latentkit/data/image_layout.h"
#include "latentkit/data/loaders.h"
#include "latentkit/data/synthetic.h"
#include "latentkit/error.h"
#include "latentkit/util/text.h"

namespace latentkit {

int64_t Dataset::num_classes() const {
  int64_t top = -1;
  for (const Split* s : {&train, &test})
    if (s->labelled() && s->y.numel() > 0) top = std::max(top, s->y.max().item<int64_t>());
  return top + 1;
}

namespace {


// values: [N] float -> [N] int64, rejecting anything but integers >= 0.
torch::Tensor to_labels(const std::string& path, const torch::Tensor& values,
                        const std::string& what) {
  const torch::Tensor v = values.to(torch::kFloat64).contiguous();
  const double* p = v.data_ptr<double>();
  for (int64_t i = 0; i < v.numel(); ++i)
    if (!(p[i] >= 0 && std::floor(p[i]) == p[i]))
      fail(path, what + " of sample " + std::to_string(i) + " (0-based) is " +
                     std::to_string(p[i]) + ", but labels must be integers >= 0");
  return v.to(torch::kInt64);
}

// The IDX file `name` in `dir`, plain or gzipped.
std::string find_idx_file(const std::string& dir, const std::string& name, const char* hint) {
  const std::filesystem::path base = std::filesystem::path(dir) / name;
  // Whatever exists under the name is taken, so that a FIFO or a folder there is named by the
  // reader ("is a FIFO, not a regular file") rather than reported missing.
  for (const std::string& candidate : {base.string() + ".gz", base.string()}) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(candidate, ec))) return candidate;
  }
  fail(base.string() + ".gz", std::string("no such file (nor ") + base.string() + ")" + hint);
}

// An images file [N, H, W], [N, C, H, W] or [N, H, W, C] -> raw [N, C*H*W] float32 pixel
// levels 0..255 in C, H, W order (float files holding [0, 1] intensities are scaled to levels).
torch::Tensor read_images(const std::string& path, ImageShape& shape) {
  const torch::Tensor t = read_idx(path);
  if (t.dim() != 3 && t.dim() != 4)
    fail(path, "expected images [N, H, W], [N, C, H, W] or [N, H, W, C], found a " +
                   std::to_string(t.dim()) + "-D array");
  shape = image_shape_of(t, path);
  return to_pixel_levels(image_rows(t, shape, -1, path), path);
}

// A labels file [N] -> [N] int64; N must match the images file's count.
torch::Tensor read_labels(const std::string& path, int64_t images, const std::string& images_path) {
  const torch::Tensor t = read_idx(path);
  if (t.dim() != 1)
    fail(path, "expected labels [N], found a " + std::to_string(t.dim()) + "-D array");
  if (t.size(0) != images)
    fail(path, "has " + std::to_string(t.size(0)) + " labels but " + images_path + " has " +
                   std::to_string(images) + " images");
  return to_labels(path, t, "the label");
}

struct RawData {
  torch::Tensor train_x, train_y, test_x, test_y;  // raw [N, D] float32, [N] int64 or undefined
  std::optional<ImageShape> image;
};

RawData load_idx_dir(const std::string& dir, const char* hint) {
  RawData d;
  ImageShape train_shape, test_shape;
  const std::string train_images = find_idx_file(dir, "train-images-idx3-ubyte", hint);
  const std::string train_labels = find_idx_file(dir, "train-labels-idx1-ubyte", hint);
  const std::string test_images = find_idx_file(dir, "t10k-images-idx3-ubyte", hint);
  const std::string test_labels = find_idx_file(dir, "t10k-labels-idx1-ubyte", hint);
  d.train_x = read_images(train_images, train_shape);
  d.train_y = read_labels(train_labels, d.train_x.size(0), train_images);
  d.test_x = read_images(test_images, test_shape);
  d.test_y = read_labels(test_labels, d.test_x.size(0), test_images);
  if (test_shape.channels != train_shape.channels || test_shape.height != train_shape.height ||
      test_shape.width != train_shape.width)
    fail(test_images, "images are " + std::to_string(test_shape.channels) + "x" +
                          std::to_string(test_shape.height) + "x" +
                          std::to_string(test_shape.width) + " but the training images are " +
                          std::to_string(train_shape.channels) + "x" +
                          std::to_string(train_shape.height) + "x" +
                          std::to_string(train_shape.width) + " (channels x height x width)");
  d.image = train_shape;
  return d;
}

// Fisher-Yates driven by mt19937_64 (fully specified), so a seed splits identically everywhere.
torch::Tensor permutation(int64_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  torch::Tensor perm = torch::arange(n, torch::kInt64);
  int64_t* p = perm.data_ptr<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[int64_t(gen() % uint64_t(i + 1))]);
  return perm;
}

// Samples for the test split: a fraction of n, leaving at least one for training.
int64_t test_count(int64_t n, double fraction) {
  return std::clamp<int64_t>(std::llround(double(n) * fraction), 0, std::max<int64_t>(n - 1, 0));
}

// Rows x: [N, D] (and labels y: [N] or undefined) -> a seeded train/test split.
RawData split_rows(const DataConfig& c, const torch::Tensor& x, const torch::Tensor& y) {
  const int64_t n = x.size(0), n_test = test_count(n, c.test_fraction);
  const torch::Tensor perm = permutation(n, c.seed);
  const torch::Tensor train_idx = perm.narrow(0, 0, n - n_test),
                      test_idx = perm.narrow(0, n - n_test, n_test);
  RawData d;
  d.train_x = x.index_select(0, train_idx);
  d.test_x = x.index_select(0, test_idx);
  if (y.defined()) {
    d.train_y = y.index_select(0, train_idx);
    d.test_y = y.index_select(0, test_idx);
  }
  return d;
}

// A .npy image set [N, H, W], [N, C, H, W] or [N, H, W, C] -> a split of [N, C*H*W] pixel
// levels (uint8 as is, float [0, 1] intensities times 255), with its image shape.
RawData load_npy_images(const DataConfig& c, const std::string& path, const torch::Tensor& a) {
  if (a.size(0) == 0) fail(path, "has no images");
  if (c.label_column >= 0)
    fail(path, "is an image array, which has no label column (label_column " +
                   std::to_string(c.label_column) + " applies to tables)");
  const ImageShape shape = image_shape_of(a, path);
  RawData d = split_rows(c, to_pixel_levels(image_rows(a, shape, -1, path), path), {});
  d.image = shape;
  return d;
}

// A CSV or .npy table [N, C] -> train/test split of [N, C'] (the label column moved to y).
// A .npy array of rank 3 or 4 is an image set instead (load_npy_images).
RawData load_table(const DataConfig& c, const std::string& path) {
  torch::Tensor table;
  if (starts_with(c.source, "csv:")) {
    table = read_csv(path, c.csv_header);
  } else {
    const torch::Tensor a = read_npy_array(path);
    if (a.dim() == 3 || a.dim() == 4) return load_npy_images(c, path, a);
    if (a.dim() != 2)
      fail(path, "rank " + std::to_string(a.dim()) +
                     ", expected a 2-D table or images [N, H, W], [N, C, H, W], [N, H, W, C]");
    table = a.to(torch::kFloat32);
  }
  if (table.size(0) == 0) fail(path, "has no rows");
  // Said here, or a model of input_dim 0 would be refused without the file's name.
  if (table.size(1) == 0)
    fail(path, "has rows of no values (shape (" + std::to_string(table.size(0)) + ", 0)); each row needs at least one");
  torch::Tensor y;
  if (c.label_column >= 0) {
    if (c.label_column >= table.size(1))
      fail(path, "has " + std::to_string(table.size(1)) + " columns, so label_column " +
                     std::to_string(c.label_column) + " (0-based) does not exist");
    if (table.size(1) == 1) fail(path, "has only the label column, no features");
    y = to_labels(path, table.select(1, c.label_column),
                  "column " + std::to_string(c.label_column) + " (labels)");
    const torch::Tensor keep = torch::arange(table.size(1), torch::kInt64)
                                   .masked_select(torch::arange(table.size(1)) != c.label_column);
    table = table.index_select(1, keep);
  }
  if (c.image_shape.empty()) return split_rows(c, table, y);
  const ImageShape shape = parse_image_shape(c.image_shape, "image_shape");
  if (table.size(1) != shape.numel())
    fail(path, "rows hold " + std::to_string(table.size(1)) + " values (without labels), but " +
                   "--image-shape " + c.image_shape + " needs " + std::to_string(shape.numel()));
  RawData d = split_rows(c, to_pixel_levels(table, path), y);
  d.image = shape;
  return d;
}

// A folder of PNG/JPEG files -> its own train/test split, or one split by seed.
RawData load_image_folder(const DataConfig& c, const std::string& dir) {
  ImageFolder f = read_image_folder(dir, parse_image_size(c.image_size, "image_size"));
  RawData d;
  if (f.has_split) {
    // Files come sorted by class folder; a seeded order makes a split's first images (pictures,
    // --limit) a mix of the classes, as in the image sets that ship shuffled.
    const torch::Tensor train_order = permutation(f.train_x.size(0), c.seed);
    const torch::Tensor test_order = permutation(f.test_x.size(0), c.seed);
    d.train_x = f.train_x.index_select(0, train_order);
    d.test_x = f.test_x.index_select(0, test_order);
    if (f.train_y.defined()) {
      d.train_y = f.train_y.index_select(0, train_order);
      d.test_y = f.test_y.index_select(0, test_order);
    }
  } else {
    d = split_rows(c, f.train_x, f.train_y);
  }
  d.image = f.shape;
  return d;
}

// Synthetic points are i.i.d., so the last test_fraction of the draw is the test split.
RawData load_synthetic(const DataConfig& c) {
  torch::Tensor labels;
  const torch::Tensor x = make_synthetic(c.source, c.synthetic_size, c.seed, &labels);
  const int64_t n = x.size(0), n_test = test_count(n, c.test_fraction);
  RawData d;
  d.train_x = x.narrow(0, 0, n - n_test);
  d.train_y = labels.narrow(0, 0, n - n_test);
  d.test_x = x.narrow(0, n - n_test, n_test);
  d.test_y = labels.narrow(0, n - n_test, n_test);
  return d;
}

// Preprocessor::apply, in place: load_dataset's raw tensors are float32 and read by nothing
// afterwards (train and test never overlap), and fresh pages cost more than the arithmetic
// (~0.5 s per 188 MB copy of Fashion-MNIST on a small VM).
torch::Tensor to_model_space(const Preprocessor& p, torch::Tensor& raw) {
  if (raw.scalar_type() != torch::kFloat32) return p.apply(raw);
  return raw.sub_(p.offset).div_(p.scale);
}

}  // namespace

Dataset load_dataset(const DataConfig& config, const Preprocessor* fitted) {
  config.validate();
  RawData raw;
  if (config.source == "fashion-mnist")
    raw = load_idx_dir(kFashionMnistDir,
                       " (install Debian's dataset-fashion-mnist package, or use idx:DIR)");
  else if (starts_with(config.source, "idx:"))
    raw = load_idx_dir(config.source.substr(4), "");
  else if (starts_with(config.source, "csv:") || starts_with(config.source, "npy:"))
    raw = load_table(config, config.source.substr(4));
  else if (starts_with(config.source, "images:"))
    raw = load_image_folder(config, config.source.substr(7));
  else
    raw = load_synthetic(config);

  if (config.limit > 0 && config.limit < raw.train_x.size(0)) {
    raw.train_x = raw.train_x.narrow(0, 0, config.limit);
    if (raw.train_y.defined()) raw.train_y = raw.train_y.narrow(0, 0, config.limit);
  }

  const Scaling scaling = config.scaling == "auto"
                              ? (raw.image ? Scaling::Unit : Scaling::Standardize)
                              : parse_scaling(config.scaling);
  // Bernoulli draws need probabilities: only unit scaling guarantees training data in [0, 1].
  if (config.binarize && scaling != Scaling::Unit)
    fail("binarize", "needs data scaled to [0, 1], but scaling is '" + to_string(scaling) + "'" +
                         (config.scaling == "auto" ? " ('auto' for this source)" : "") +
                         "; use scaling 'unit'");

  Dataset d;
  d.name = config.source;
  d.image = raw.image;
  d.preprocess = fitted ? *fitted
                       : Preprocessor::fit(raw.train_x, scaling, config.binarize,
                                           raw.image ? 255.0 : 0.0);
  if (d.preprocess.offset.size(0) != raw.train_x.size(1))
    fail(config.source, "has " + std::to_string(raw.train_x.size(1)) +
                            " columns, the saved preprocessing expects " +
                            std::to_string(d.preprocess.offset.size(0)));
  d.train = Split{to_model_space(d.preprocess, raw.train_x), raw.train_y};
  d.test = Split{to_model_space(d.preprocess, raw.test_x), raw.test_y};
  return d;
}

namespace {

// PNG/JPEG inputs -> raw [N, C*H*W] pixel levels at the model's image shape: one file, or the
// image files of a folder in sorted order.
torch::Tensor read_image_inputs(const std::string& path, const std::optional<ImageShape>& image) {
  if (!image) fail(path, "is an image file or folder, but the model is tabular (rows of numbers)");
  std::error_code ec;
  const std::vector<std::string> files =
      std::filesystem::is_directory(path, ec) ? image_files_in(path) : std::vector<std::string>{path};
  std::vector<torch::Tensor> rows;
  for (const auto& file : files)
    rows.push_back(fit_image(decode_image_file(file), image->channels,
                             ImageSize{image->height, image->width})
                       .reshape({1, -1}));
  return torch::cat(rows).to(torch::kFloat32);
}

}  // namespace

// -> x: [N, dim] in model space. Image arrays (rank 3 or 4: IDX files, .npy) become C, H, W rows
// of pixel levels by the same rules as image data sources; 2-D tables pass as they are.
torch::Tensor load_inputs(const std::string& path, const Preprocessor& preprocess, int64_t dim,
                          const std::optional<ImageShape>& image) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return char(std::tolower(ch)); });
  std::error_code ec;
  if (is_image_file_name(path) || std::filesystem::is_directory(path, ec))
    return preprocess.apply(read_image_inputs(path, image));
  torch::Tensor values;
  if (ext == ".csv")
    values = read_csv(path, "auto");
  else
    values = ext == ".npy" ? read_npy_array(path) : read_idx(path);
  if (values.dim() < 2)
    fail(path, "expected rows [N, D] or images [N, H, W], [N, C, H, W], [N, H, W, C], found a " +
                   std::to_string(values.dim()) + "-D array");
  if (values.dim() == 2 && values.size(1) != dim)
    fail(path, "has " + std::to_string(values.size(1)) + " columns, the model expects " +
                   std::to_string(dim));
  torch::Tensor raw = image_rows(values, image, dim, path);
  // An image model's inputs follow the pixel-level rule in every layout, as its training data did.
  if (values.dim() > 2 || image) raw = to_pixel_levels(raw, path);
  return preprocess.apply(raw);
}

}  // namespace latentkit
