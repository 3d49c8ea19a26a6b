// `latentkit train`: trains a model on a dataset into a run directory, or resumes one.
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <iostream>

#include "commands.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/models/corruption.h"
#include "latentkit/train/trainer.h"
#include "latentkit/util/rng.h"
#include "latentkit/util/runtime.h"
#include "run_setup.h"

namespace latentkit::cli {

namespace {

namespace fs = std::filesystem;

struct TrainArgs {
  RunConfig config;
  std::string config_file;
  std::string out;
  bool resume = false;
  bool quiet = false;
  bool no_fused = false;  // --no-fused: config.train.fused = false
  std::string likelihood = "auto";
  std::string hidden;
  std::string conv_channels;
  std::string noise;  // --noise KIND:LEVEL
  std::string prior;  // --prior KIND[:K]
  std::string disc_hidden;
};

std::vector<int64_t> parse_widths(const std::string& text, const std::string& flag) {
  std::vector<int64_t> widths;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const long long w = std::stoll(item, &used);
      if (used != item.size() || w < 1) throw std::invalid_argument(item);
      widths.push_back(w);
    } catch (const std::exception&) {
      fail(flag, "'" + text + "' is not a comma-separated list of positive widths");
    }
  }
  return widths;
}

// --prior gaussian | uniform | mixture[:K] -> config.prior and config.prior_components.
void parse_prior(const std::string& text, ModelConfig& model) {
  const auto colon = text.find(':');
  model.prior = text.substr(0, colon);
  if (colon == std::string::npos) return;
  const std::string k = text.substr(colon + 1);
  if (model.prior != "mixture")
    fail("--prior", "'" + text + "': only 'mixture' takes a component count (mixture:K)");
  try {
    size_t used = 0;
    const long long v = std::stoll(k, &used);
    if (used != k.size() || v < 1) throw std::invalid_argument(k);
    model.prior_components = v;
  } catch (const std::exception&) {
    fail("--prior", "'" + text + "': K in mixture:K must be a positive integer");
  }
}

// Sets on `base` (defaults, or a config file's values) every option given on the command line.
// `cfg` holds the parsed flag values; list-valued flags are parsed from their text here.
RunConfig with_given_flags(RunConfig base, const RunConfig& cfg, const TrainArgs& a,
                           const std::function<bool(const char*)>& given) {
  // A kind chosen afresh starts from its own defaults (deep-ae's layer stack, for example).
  const bool new_kind = given("--model") && cfg.model.kind != base.model.kind;
  if (given("--model")) base.model.kind = cfg.model.kind;
  if (a.config_file.empty() || new_kind) apply_kind_defaults(base.model);
  if (given("--data")) base.data.source = cfg.data.source;
  if (given("--epochs")) base.train.epochs = cfg.train.epochs;
  if (given("--batch-size")) base.train.batch_size = cfg.train.batch_size;
  if (given("--lr")) base.train.lr = cfg.train.lr;
  if (given("--weight-decay")) base.train.weight_decay = cfg.train.weight_decay;
  if (given("--seed")) base.train.seed = cfg.train.seed;
  if (given("--threads")) base.train.threads = cfg.train.threads;
  if (given("--blas-threads")) base.train.blas_threads = cfg.train.blas_threads;
  if (given("--no-fused")) base.train.fused = cfg.train.fused;
  if (given("--precision")) base.train.precision = cfg.train.precision;
  if (given("--device")) base.train.device = cfg.train.device;
  if (given("--latent")) base.model.latent_dim = cfg.model.latent_dim;
  if (given("--hidden")) base.model.hidden = parse_widths(a.hidden, "--hidden");
  if (given("--conv-channels"))
    base.model.conv_channels = parse_widths(a.conv_channels, "--conv-channels");
  if (given("--architecture")) base.model.architecture = cfg.model.architecture;
  if (given("--activation")) base.model.activation = cfg.model.activation;
  if (given("--likelihood")) base.model.likelihood = a.likelihood;
  if (given("--beta")) base.model.beta = cfg.model.beta;
  if (given("--sigma")) base.model.sigma = cfg.model.sigma;
  if (given("--learn-sigma")) base.model.learn_sigma = cfg.model.learn_sigma;
  if (given("--kl-warmup")) base.model.kl_warmup_epochs = cfg.model.kl_warmup_epochs;
  if (given("--iwae-k")) base.model.iwae_k = cfg.model.iwae_k;
  if (given("--noise")) {
    const NoiseSpec noise = parse_noise(a.noise, "--noise");
    base.model.noise = noise.kind;
    base.model.noise_level = noise.level;
  }
  if (given("--dropout")) base.model.dropout = cfg.model.dropout;
  if (given("--prior")) parse_prior(a.prior, base.model);
  if (given("--disc-hidden")) base.model.disc_hidden = parse_widths(a.disc_hidden, "--disc-hidden");
  if (given("--disc-lr-scale")) base.model.disc_lr_scale = cfg.model.disc_lr_scale;
  if (given("--gen-lr-scale")) base.model.gen_lr_scale = cfg.model.gen_lr_scale;
  if (given("--rbm-hidden")) base.model.rbm_hidden = cfg.model.rbm_hidden;
  if (given("--cd-k")) base.model.cd_k = cfg.model.cd_k;
  if (given("--rbm-lr")) base.model.rbm_lr = cfg.model.rbm_lr;
  if (given("--rbm-code-lr")) base.model.rbm_code_lr = cfg.model.rbm_code_lr;
  if (given("--rbm-momentum")) base.model.rbm_momentum = cfg.model.rbm_momentum;
  if (given("--rbm-weight-decay")) base.model.rbm_weight_decay = cfg.model.rbm_weight_decay;
  if (given("--gibbs-steps")) base.model.gibbs_steps = cfg.model.gibbs_steps;
  if (given("--pretrain-epochs")) base.model.pretrain_epochs = cfg.model.pretrain_epochs;
  if (given("--finetune")) base.model.finetune = cfg.model.finetune;
  if (given("--flow-steps")) base.model.flow_steps = cfg.model.flow_steps;
  if (given("--flow-scales")) base.model.flow_scales = cfg.model.flow_scales;
  if (given("--flow-hidden")) base.model.flow_hidden = cfg.model.flow_hidden;
  if (given("--flow-coupling")) base.model.flow_coupling = cfg.model.flow_coupling;
  if (given("--flow-permutation")) base.model.flow_permutation = cfg.model.flow_permutation;
  if (given("--logit-alpha")) base.model.logit_alpha = cfg.model.logit_alpha;
  if (given("--components")) base.model.gmm_components = cfg.model.gmm_components;
  if (given("--covariance")) base.model.gmm_covariance = cfg.model.gmm_covariance;
  if (given("--variance-floor")) base.model.variance_floor = cfg.model.variance_floor;
  if (given("--binarize")) base.data.binarize = cfg.data.binarize;
  if (given("--scaling")) base.data.scaling = cfg.data.scaling;
  if (given("--csv-header")) base.data.csv_header = cfg.data.csv_header;
  if (given("--label-column")) base.data.label_column = cfg.data.label_column;
  if (given("--test-fraction")) base.data.test_fraction = cfg.data.test_fraction;
  if (given("--limit")) base.data.limit = cfg.data.limit;
  return base;
}

void run_train(CLI::App& cmd, TrainArgs& a) {
  auto given = [&](const char* flag) { return cmd.count(flag) > 0; };
  if (a.out.empty()) fail("--out", "a run directory is required");
  const std::string ckpt_path = a.out + "/checkpoints/last.pt";
  std::unique_ptr<Checkpoint> resume;
  RunConfig cfg = a.config;  // the flags' values (defaults where not given)
  if (a.no_fused) cfg.train.fused = false;
  if (a.resume) {
    resume = std::make_unique<Checkpoint>(load_checkpoint(ckpt_path));
    RunConfig saved = resume->config;
    // A resumed run keeps its data, model and optimisation; only these may change.
    if (given("--epochs")) saved.train.epochs = cfg.train.epochs;
    if (given("--threads")) saved.train.threads = cfg.train.threads;
    if (given("--blas-threads")) saved.train.blas_threads = cfg.train.blas_threads;
    if (given("--device")) saved.train.device = cfg.train.device;
    cfg = saved;
  } else {
    // Flags given on the command line win over a config file; the rest keep its values (or the
    // defaults, with the likelihood chosen from the data).
    RunConfig base;
    if (a.config_file.empty()) base.model.likelihood = "auto";
    else base = RunConfig::load(a.config_file);
    cfg = with_given_flags(base, cfg, a, given);
    if (fs::exists(ckpt_path))
      std::cerr << "latentkit: note: " << a.out << " holds a run; starting it afresh (--resume "
                   "continues it instead)\n";
  }
  cfg.train.validate();
  configure_threads(cfg.train.threads, cfg.train.blas_threads);
  const torch::Device device = resolve_device(cfg.train.device);
  PreparedRun prepared = prepare_run(cfg, resume ? &resume->preprocess : nullptr);
  cfg = prepared.config;
  Dataset& data = prepared.data;
  auto& model = prepared.model;
  model->set_fused_step(cfg.train.fused);  // (the Trainer sets the precision)
  prefer_threads_for(model->works_on_intra_op_threads());
  if (!a.quiet) {
    std::cout << "training " << cfg.model.kind << " (" << count_parameters(*model) << " parameters) on "
              << data.name << ": " << data.train.size() << " train, " << data.test.size()
              << " test, " << data.dim() << " dimensions; device " << device << "; run " << a.out
              << "\n";
  }
  Trainer trainer(cfg, std::move(data), model, a.out, TrainerOptions{a.quiet, !a.quiet});
  try {
    if (!trainer.run(resume.get())) exit_code() = 130;
  } catch (const TrainingDiverged& e) {
    std::cerr << "latentkit: error: " << e.what() << "\n";
    exit_code() = 3;
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a model into a run directory (or resume one)");
  RunConfig& c = args->config;
  cmd->add_option("--model", c.model.kind, "Model kind (see `latentkit models`)")->capture_default_str();
  cmd->add_option("--data", c.data.source,
                  "Dataset: fashion-mnist, idx:DIR, csv:FILE, npy:FILE, moons, rings, 8gaussians, "
                  "checkerboard")->capture_default_str();
  cmd->add_option("--out", args->out, "Run directory (config, metrics, checkpoints, pictures)")->required();
  cmd->add_option("--config", args->config_file, "Start from a run's config.json; flags given override it");
  cmd->add_flag("--resume", args->resume, "Continue the run in --out from its last checkpoint");
  cmd->add_option("--epochs", c.train.epochs, "Training epochs")->capture_default_str();
  cmd->add_option("--batch-size", c.train.batch_size, "Mini-batch size")->capture_default_str();
  cmd->add_option("--lr", c.train.lr, "Adam learning rate")->capture_default_str();
  cmd->add_option("--weight-decay", c.train.weight_decay, "Adam weight decay")->capture_default_str();
  cmd->add_option("--seed", c.train.seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", c.train.threads, "Intra-op threads: LibTorch kernels, convolutions, oneDNN products (0: all cores for fused and conv models, else one)")->capture_default_str();
  cmd->add_option("--blas-threads", c.train.blas_threads, "OpenBLAS threads (0: all cores when the intra-op threads are one, else one)")->capture_default_str();
  cmd->add_flag("--no-fused", args->no_fused, "Train with autograd even where the model has a fused step (MLP ae and vae with ReLU)");
  cmd->add_option("--precision", c.train.precision, "Matrix products of the fused steps: fp32, or bf16 (AVX-512 BF16; float32 weights and optimizer)")->capture_default_str();
  cmd->add_option("--device", c.train.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--latent", c.model.latent_dim, "Latent dimension (deep-ae: 30; rbm: hidden units, 500)")->capture_default_str();
  cmd->add_option("--hidden", args->hidden, "Hidden widths of the MLP encoder, e.g. 512,256 (decoder mirrors; deep-ae: 1000,500,250)")->default_str("400");
  cmd->add_option("--architecture", c.model.architecture, "mlp or conv (images)")->capture_default_str();
  cmd->add_option("--conv-channels", args->conv_channels, "Channels of the stride-2 conv layers")->default_str("32,64");
  cmd->add_option("--activation", c.model.activation, "relu, leaky_relu, elu, tanh, sigmoid, gelu")->capture_default_str();
  cmd->add_option("--likelihood", args->likelihood,
                  "Reconstruction model: ae: bce|mse; vae: bernoulli|gaussian; auto picks by data")->capture_default_str();
  cmd->add_option("--beta", c.model.beta, "Weight of the KL term (vae)")->capture_default_str();
  cmd->add_option("--sigma", c.model.sigma, "Fixed decoder std. deviation (gaussian vae)")->capture_default_str();
  cmd->add_flag("--learn-sigma", c.model.learn_sigma, "Learn the decoder variance (gaussian vae)");
  cmd->add_option("--kl-warmup", c.model.kl_warmup_epochs,
                  "Epochs over which the KL weight rises linearly from 0 to beta (vae, cvae; 0: off)")
      ->capture_default_str();
  cmd->add_option("--iwae-k", c.model.iwae_k, "Importance samples of the training bound (iwae)")
      ->capture_default_str();
  cmd->add_option("--noise", args->noise,
                  "Input corruption KIND:LEVEL (dae): gaussian:STD, mask:FRACTION, salt-pepper:FRACTION")
      ->default_str("gaussian:0.3");
  cmd->add_option("--dropout", c.model.dropout, "Dropout rate after hidden activations (dropout-ae)")->capture_default_str();
  cmd->add_option("--prior", args->prior,
                  "Prior of the codes (aae): gaussian, uniform (box [-2,2]^L) or mixture:K "
                  "(K Gaussians on a circle; needs --latent 2)")->default_str("gaussian");
  cmd->add_option("--disc-hidden", args->disc_hidden, "Hidden widths of the discriminator (aae)")
      ->default_str("500,500");
  cmd->add_option("--disc-lr-scale", c.model.disc_lr_scale,
                  "Discriminator learning rate as a multiple of --lr (aae)")->capture_default_str();
  cmd->add_option("--gen-lr-scale", c.model.gen_lr_scale,
                  "Generator (encoder vs discriminator) learning rate as a multiple of --lr (aae)")
      ->capture_default_str();
  cmd->add_option("--rbm-hidden", c.model.rbm_hidden, "Hidden units of the rbm kind: binary or gaussian")
      ->capture_default_str();
  cmd->add_option("--cd-k", c.model.cd_k, "Gibbs steps of contrastive divergence (rbm, deep-ae)")
      ->capture_default_str();
  cmd->add_option("--rbm-lr", c.model.rbm_lr, "CD learning rate of RBMs with binary hidden units")
      ->capture_default_str();
  cmd->add_option("--rbm-code-lr", c.model.rbm_code_lr,
                  "CD learning rate of RBMs with Gaussian hidden units (the code layer)")
      ->capture_default_str();
  cmd->add_option("--rbm-momentum", c.model.rbm_momentum, "CD momentum after the first epoch (0.5 during it)")
      ->capture_default_str();
  cmd->add_option("--rbm-weight-decay", c.model.rbm_weight_decay, "L2 weight decay of the CD updates")
      ->capture_default_str();
  cmd->add_option("--gibbs-steps", c.model.gibbs_steps, "Gibbs steps behind each RBM sample")
      ->capture_default_str();
  cmd->add_option("--pretrain-epochs", c.model.pretrain_epochs,
                  "RBM pretraining epochs per layer before --epochs of fine-tuning (deep-ae; 0: random init)")
      ->capture_default_str();
  cmd->add_option("--finetune", c.model.finetune, "Fine-tuning optimizer of deep-ae: adam or lbfgs")
      ->capture_default_str();
  cmd->add_option("--flow-steps", c.model.flow_steps,
                  "Flows: coupling steps per scale (images) or in all (vectors); 0: the kind's default")
      ->capture_default_str();
  cmd->add_option("--flow-scales", c.model.flow_scales, "Image flows: scales of squeeze + factor-out (0: default)")
      ->capture_default_str();
  cmd->add_option("--flow-hidden", c.model.flow_hidden, "Flows: width of the coupling networks (0: default)")
      ->capture_default_str();
  cmd->add_option("--flow-coupling", c.model.flow_coupling, "Flows: affine or additive (default: the kind's)")
      ->capture_default_str();
  cmd->add_option("--flow-permutation", c.model.flow_permutation,
                  "Flows: layer before each coupling: none, reverse, random, conv1x1, conv1x1-lu")
      ->capture_default_str();
  cmd->add_option("--logit-alpha", c.model.logit_alpha, "Image flows: alpha of the logit transform")
      ->capture_default_str();
  cmd->add_option("--components", c.model.gmm_components, "Mixture components (gmm)")
      ->capture_default_str();
  cmd->add_option("--covariance", c.model.gmm_covariance, "Mixture covariances: diag or full (gmm)")
      ->capture_default_str();
  cmd->add_option("--variance-floor", c.model.variance_floor,
                  "Smallest variance (eigenvalue, full) of a mixture component (gmm)")
      ->capture_default_str();
  cmd->add_flag("--binarize", c.data.binarize, "Dynamic binarization of training batches");
  cmd->add_option("--scaling", c.data.scaling, "auto, none, unit or standardize")->capture_default_str();
  cmd->add_option("--csv-header", c.data.csv_header, "auto, yes or no")->capture_default_str();
  cmd->add_option("--label-column", c.data.label_column, "CSV/npy column holding labels (-1: none)")->capture_default_str();
  cmd->add_option("--test-fraction", c.data.test_fraction, "Test share for data without a test split")->capture_default_str();
  cmd->add_option("--limit", c.data.limit, "Use at most this many training samples (0: all)")->capture_default_str();
  cmd->add_flag("--quiet", args->quiet, "No progress or per-epoch lines");
  cmd->callback([cmd, args] { run_train(*cmd, *args); });
}

}  // namespace latentkit::cli
