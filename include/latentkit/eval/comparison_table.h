#pragma once
// The side-by-side table of `latentkit compare`: one row per model, written as Markdown (for
// reading) and CSV (for plotting elsewhere). A figure a model does not have is NaN in the row,
// "—" in Markdown and an empty field in CSV.
#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

// How a row's negative log-likelihood was obtained, which says how far it can be compared.
enum class NllKind {
  None,              // the model defines no likelihood
  Exact,             // exact density of the 8-bit data (never used for dequantised models)
  DequantBound,      // -E_u log p((l + u) / 256) + D log 256: an upper bound on the 8-bit NLL
  IwaeBound,         // -IWAE bound with k samples: an upper bound on the model's own NLL
};

struct ComparisonRow {
  std::string name;            // row label (the kind, or the run directory's name)
  std::string kind;            // model kind
  int64_t parameters = 0;
  int64_t epochs = 0;          // training epochs, pretraining included
  double train_seconds = 0;    // summed over the epochs in metrics.jsonl
  double mse = 0;              // test squared error per image (NaN: the model does not reconstruct)
  double bce = 0;              // test binary cross-entropy per image (NaN where undefined)
  double nll_nats = 0;         // test NLL per image (NaN: no likelihood)
  double bits_per_dim = 0;
  NllKind nll_kind = NllKind::None;
  int64_t iwae_k = 0;          // importance samples behind an IwaeBound
  bool nll_on_8bit_scale = false;  // a probability of the 8-bit images (flows, mixtures)
  std::string prior_sampler;   // what the "prior" Fréchet column sampled: "prior", "gaussian", ""
  double fd_prior = 0;         // Fréchet distance of prior (or Gaussian-code) samples to test
  double fd_gmm = 0;           // ... of samples decoded from a mixture fitted to the codes
  double knn_accuracy = 0;     // 5-NN accuracy of test codes against train codes
};

// Reference figures shown under the table: the Fréchet distance between two real sets (the floor
// any model can reach) and the kNN accuracy of the raw pixels.
struct ComparisonReference {
  double fd_real = 0;          // NaN when not measured
  double classifier_accuracy = 0;  // test accuracy of the Fréchet distance's classifier (NaN: none)
  double knn_pixels = 0;       // NaN when not measured
  int64_t gmm_components = 0;  // K of the code mixture behind fd_gmm
  int64_t knn_k = 5;
  std::string budget;          // one line: data, epochs, seed
};

std::string comparison_markdown(const std::vector<ComparisonRow>& rows, const ComparisonReference& ref);
std::string comparison_csv(const std::vector<ComparisonRow>& rows);

}  // namespace latentkit
