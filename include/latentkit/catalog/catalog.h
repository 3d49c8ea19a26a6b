#pragma once
// The catalog of model kinds: the one table (src/catalog/catalog.cpp) that says what each kind
// is and can do, which option families it reads and how it is built. A kind is its own files
// plus one entry here; the layers above ask these traits instead of testing kind names.
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "latentkit/models/fused_step.h"
#include "latentkit/models/model.h"
#include "latentkit/models/model_config.h"
#include "latentkit/util/options.h"

namespace latentkit {

// What log_likelihood() computes.
enum class Likelihood {
  None,         // no likelihood
  Bound,        // an importance-sampled lower bound (IWAE) on the density of model-space values
  Exact,        // the exact density of model-space values
  Dequantised,  // on image data a dequantisation bound on the probability of the 8-bit levels;
                // on other data the exact density of model-space values
};

// Where a kind's arithmetic runs, which chooses the thread pools (exec/execution.h).
enum class Compute {
  Dense,           // matrix products of Linear layers (BLAS), or no networks at all
  Convolutional,   // convolutions (LibTorch's intra-op pool)
  ByArchitecture,  // convolutional with architecture conv (NetworkOptions), else dense
};

struct KindInfo {
  std::string name;
  std::string description;
  // The option families the kind reads, in the order info and docs show them.
  std::vector<const OptionTable*> families;
  std::function<std::shared_ptr<Model>(const ModelConfig&)> build;
  // The kind's own defaults over its families' (the deep autoencoder's stack, each flow's size).
  std::function<void(ModelConfig&)> defaults;
  // Checks across families (an adversarial mixture prior needs a 2-D latent, ...).
  std::function<void(const ModelConfig&)> check;
  bool reconstructs = true;      // decode(encode(x)) approximates x (flows invert exactly; mixtures don't)
  bool has_prior = true;         // sample() draws from the model (else samplers fitted to codes)
  bool has_temperature = false;  // samples at a temperature T, z ~ N(0, T^2 I) (flows)
  Likelihood likelihood = Likelihood::None;
  bool conditional = false;      // conditions on labels: needs labelled data (LabelOptions)
  bool needs_unit_data = false;  // visible units are probabilities: data scaled to [0, 1]
  bool images_only = false;      // needs image data
  bool discrete_codes = false;   // encode() gives code indices, not points in a space
  Compute compute = Compute::Dense;
  const FusedStepKind* fused_step = nullptr;  // a fused training step (models/fused_step.h)
};

// Every kind, in display order.
const std::vector<KindInfo>& model_catalog();
// The kind named `kind`, or null.
const KindInfo* find_kind(const std::string& kind);
// The kind named `kind`; throws InputError naming `where` and listing the kinds.
const KindInfo& kind_info(const std::string& kind, const std::string& where = "kind");
// "ae, vae, ..." in catalog order.
std::string kind_names();

// A config of `kind` with its families' defaults and the kind's own (D = 784 until the data
// says otherwise). Throws InputError for an unknown kind.
ModelConfig default_config(const std::string& kind);
// A config from JSON: this version's format, or 0.1.0's (no "format" key: one object with every
// kind's fields, of which the kind's are taken). Missing options keep their defaults; unknown
// keys, keys of other kinds (this format) and values of the wrong type are InputErrors naming
// the key. Not validated.
ModelConfig read_model_config(const nlohmann::json& j);
// Throws InputError naming the offending key: the core, every family's options, the kind's checks.
void validate(const ModelConfig& config);
// Builds a model from its config (validated first).
std::shared_ptr<Model> make_model(const ModelConfig& config);

// The scale a config's likelihood is on, for reports.
enum class LikelihoodScale { None, ModelSpaceBound, ModelSpaceExact, EightBitBound };
LikelihoodScale likelihood_scale(const ModelConfig& config);

}  // namespace latentkit
