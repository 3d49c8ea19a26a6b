#include "latentkit/train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "latentkit/error.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/train/fused_adam.h"
#include "latentkit/train/metrics_csv.h"
#include "latentkit/train/metrics_log.h"
#include "latentkit/train/progress.h"
#include "latentkit/train/stop_signal.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/batch_shard.h"
#include "latentkit/util/collective.h"
#include "latentkit/util/rng.h"
#include "latentkit/util/runtime.h"
#include "latentkit/viz/density_grid.h"
#include "latentkit/viz/image_grid.h"

namespace latentkit {

using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Evaluation and pictures draw their randomness from seeds derived from the run's seed and the
// epoch, so they are reproducible and leave training's random stream untouched.
uint64_t derived_seed(uint64_t seed, int64_t epoch, uint64_t salt) {
  return seed * 1000003ULL + static_cast<uint64_t>(epoch) * 7919ULL + salt;
}

Split to_device(const Split& s, const torch::Device& d) {
  return Split{s.x.to(d), s.y.defined() ? s.y.to(d) : torch::Tensor()};
}

// LBFGS keeps scratch space for its two-loop recursion as a vector of history_size tensors whose
// unused entries are undefined, and LibTorch's serializer cannot write undefined tensors. The
// entries are overwritten before they are read, so empty ones are saved in their place.
void fill_lbfgs_scratch(torch::optim::Optimizer& optimizer) {
  auto* lbfgs = dynamic_cast<torch::optim::LBFGS*>(&optimizer);
  if (!lbfgs) return;
  for (auto& [key, state] : lbfgs->state()) {
    auto& s = static_cast<torch::optim::LBFGSParamState&>(*state);
    if (!s.al()) continue;
    std::vector<torch::Tensor> al = *s.al();
    for (auto& t : al)
      if (!t.defined()) t = torch::empty({0});
    s.al(al);
  }
}

}  // namespace

Trainer::Trainer(RunConfig config, Dataset dataset, std::shared_ptr<Model> model,
                 std::string run_dir, TrainerOptions options)
    : config_(std::move(config)),
      data_(std::move(dataset)),
      model_(std::move(model)),
      dir_(std::move(run_dir)),
      options_(options),
      policy_(ExecutionPolicy::choose(config_.train.execution, config_.model)),
      device_(policy_.device) {
  config_.train.validate();
  data_.train = to_device(data_.train, device_);
  data_.test = to_device(data_.test, device_);
  model_->to(device_);
  fused_step_ = policy_.make_fused_step(*model_);
  build_optimizers();
  if (options_.group && options_.group->world_size() > 1) {
    rank_ = options_.group->rank();
    ranks_ = options_.group->world_size();
    check_shardable();
    reducer_ = std::make_unique<GradientReducer>(options_.group);
    for (auto& [name, optimizer] : optimizers_)
      if (auto* adam = dynamic_cast<FusedAdam*>(optimizer.get()))
        adam->set_before_update([this](const std::vector<torch::Tensor>& params) {
          const BatchShard* s = active_shard();
          reducer_->reduce(params, s ? static_cast<double>(s->size) / static_cast<double>(s->global)
                                     : 1.0 / ranks_);
        });
  }
}

void Trainer::check_shardable() const {
  const std::string across = " across " + std::to_string(ranks_) + " ranks";
  for (auto& group : model_->param_groups())
    if (group.optimizer == "lbfgs")
      fail("WORLD_SIZE", "model kind '" + config_.model.kind + "' fine-tunes with L-BFGS, a batch method "
                         "that cannot be split" + across + "; train it in one process");
  const int64_t bs = config_.train.batch_size, n = data_.train.size();
  if (bs < ranks_)
    fail("--batch-size", std::to_string(bs) + " (the global batch) cannot be split" + across);
  if (n % bs != 0 && n % bs < ranks_)
    fail("--batch-size", "the last batch of an epoch has " + std::to_string(n % bs) + " of the " +
                             std::to_string(n) + " training rows, fewer than the " + std::to_string(ranks_) +
                             " ranks: choose a --batch-size that leaves at least that many (or none)");
  if (data_.test.size() < ranks_)
    fail(config_.data.source, "the test split has " + std::to_string(data_.test.size()) +
                                  " rows, fewer than the " + std::to_string(ranks_) + " ranks");
}

void Trainer::broadcast_state() {
  if (ranks_ == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> state;
  for (auto& p : model_->parameters(/*recurse=*/true)) state.push_back(p);
  for (auto& b : model_->buffers(/*recurse=*/true)) state.push_back(b);
  collective().broadcast(state, 0);
}

bool Trainer::agree_to_stop(torch::Tensor& nonfinite) {
  if (ranks_ == 1) return StopSignal::requested();
  std::vector<torch::Tensor> flags{torch::tensor(
      {StopSignal::requested() ? 1.0 : 0.0, nonfinite.item<bool>() ? 1.0 : 0.0}, torch::kFloat64)};
  collective().all_reduce_sum(flags);
  if (flags[0][1].item<double>() > 0) nonfinite.fill_(true);
  return flags[0][0].item<double>() > 0;
}

LossTerms Trainer::step(const torch::Tensor& x, const torch::Tensor& y) {
  if (fused_step_ && x.device().is_cpu() && x.dim() == 2 && x.scalar_type() == torch::kFloat32)
    return fused_step_->step(x.contiguous(), optimizers_);
  return model_->train_step(x, y, optimizers_);
}

int64_t Trainer::total_epochs() const {
  return model_->pretraining_epochs() + config_.train.epochs;
}

void Trainer::build_optimizers() {
  optimizers_.clear();
  for (auto& group : model_->param_groups()) {
    const double lr = group.lr > 0 ? group.lr : config_.train.lr * group.lr_scale;
    if (group.optimizer == "lbfgs") {
      // A few iterations per batch with a strong-Wolfe line search: the batch method of
      // Hinton & Salakhutdinov's fine-tuning (conjugate gradients, three line searches).
      auto opts = torch::optim::LBFGSOptions(lr).max_iter(3).history_size(10).line_search_fn(
          "strong_wolfe");
      optimizers_[group.name] = std::make_unique<torch::optim::LBFGS>(group.params, opts);
    } else {
      auto opts = torch::optim::AdamOptions(lr).weight_decay(config_.train.weight_decay);
      optimizers_[group.name] = std::make_unique<FusedAdam>(group.params, opts);
    }
  }
}

Checkpoint Trainer::snapshot(const torch::Tensor& permutation) const {
  Checkpoint ck;
  ck.config = config_;
  ck.progress = progress_;
  ck.model = model_state(*model_);
  ck.preprocess = data_.preprocess;
  for (const auto& [name, opt] : optimizers_) {
    fill_lbfgs_scratch(*opt);
    ck.optimizers[name] = optimizer_bytes(*opt);
  }
  ck.rng_cpu = generator_state(torch::kCPU);
  if (!device_.is_cpu()) ck.rng_device = generator_state(device_);
  ck.permutation = permutation;
  return ck;
}

void Trainer::restore(const Checkpoint& ck) {
  const std::string source = dir_ + "/checkpoints";
  load_model_state(*model_, ck.model, source);
  for (auto& [name, opt] : optimizers_) {
    auto it = ck.optimizers.find(name);
    if (it == ck.optimizers.end()) fail(source, "no optimizer state for '" + name + "'");
    load_optimizer_bytes(*opt, it->second, source);
  }
  // `train --resume --lr` changes the rate; the optimizer state just loaded holds the old one.
  // Groups with a rate of their own keep it, as build_optimizers() gives them.
  if (ck.config.train.lr != config_.train.lr)
    for (auto& group : model_->param_groups()) {
      if (group.lr > 0) continue;
      auto it = optimizers_.find(group.name);
      if (it == optimizers_.end()) continue;
      for (auto& pg : it->second->param_groups()) pg.options().set_lr(config_.train.lr * group.lr_scale);
    }
  set_generator_state(torch::kCPU, ck.rng_cpu);
  if (!device_.is_cpu() && ck.rng_device.defined()) set_generator_state(device_, ck.rng_device);
  progress_ = ck.progress;
}

void Trainer::save(const std::string& name, const torch::Tensor& permutation) {
  if (!writes()) return;
  save_checkpoint(dir_ + "/checkpoints/" + name, snapshot(permutation));
}

bool Trainer::run(const Checkpoint* resume) {
  // The group's collectives reach the models' shard helpers and evaluation (util/collective.h).
  ScopedCollective group(options_.group);
  policy_.apply();
  if (writes()) {
    std::error_code ec;
    fs::create_directories(dir_ + "/checkpoints", ec);
    if (ec) fail(dir_, "cannot write into the run directory: " + ec.message());
    write_file_atomic(dir_ + "/config.json", config_.to_json().dump(2) + "\n");
  }
  torch::Tensor permutation;
  if (resume) {
    restore(*resume);
    if (resume->permutation.defined()) permutation = resume->permutation.to(device_);
    if (writes()) {
      // A kill may have left the log a line ahead of the checkpoint, or torn (train/metrics_log.h).
      const std::string log = dir_ + "/metrics.jsonl";
      const MetricsRepair repair = repair_metrics_log(log, progress_.epoch, progress_.metrics_line);
      if (repair.changed()) {
        std::string what;
        if (repair.dropped) what = "dropped " + std::to_string(repair.dropped) + " line(s)";
        if (repair.restored) what += std::string(what.empty() ? "" : " and ") + "restored the last one from the checkpoint";
        std::fprintf(stderr, "latentkit: note: %s: %s, to end at the checkpoint's epoch %lld\n", log.c_str(),
                     what.c_str(), static_cast<long long>(progress_.epoch));
      }
      if (fs::exists(log)) write_metrics_csv(log, dir_ + "/metrics.csv");
    }
  } else if (writes()) {
    std::remove((dir_ + "/metrics.jsonl").c_str());
    std::remove((dir_ + "/metrics.csv").c_str());
  }
  // Every rank read the same checkpoint (or built the same seeded model); rank 0's copy rules.
  broadcast_state();
  StopSignal stop;
  while (progress_.epoch < total_epochs()) {
    if (!permutation.defined())
      permutation = torch::randperm(data_.train.size(), torch::TensorOptions().dtype(torch::kLong).device(device_));
    if (!train_epoch(permutation)) {
      save("last.pt", permutation);
      if (writes()) {
        // On several ranks the signal may have reached another rank only: the group agreed to stop.
        const int signal = StopSignal::signal_number();
        const std::string why = signal ? "stopped by signal " + std::to_string(signal)
                                       : std::string("stopped by a signal to another rank");
        std::fprintf(stderr, "%s: checkpoint saved to %s/checkpoints/last.pt (continue with --resume)\n",
                     why.c_str(), dir_.c_str());
      }
      return false;
    }
    model_->end_epoch();
    finish_epoch();
    permutation = torch::Tensor();
  }
  return true;
}

bool Trainer::train_epoch(const torch::Tensor& permutation) {
  const int64_t n = data_.train.size();
  const int64_t bs = config_.train.batch_size;
  const int64_t batches = (n + bs - 1) / bs;
  model_->train();
  ProgressBar bar(progress_.epoch + 1, total_epochs(), batches, options_.progress && writes());
  // Loss sums stay on the device as tensors: no host synchronisation inside the loop. Across
  // ranks each sums its own rows and rank 0 also holds those of the batches before a resume;
  // flush() adds them up.
  std::map<std::string, torch::Tensor> sums;
  if (writes())
    for (const auto& [name, value] : progress_.sums)
      sums[name] = torch::full({}, value, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  int64_t seen_here = 0;
  const auto start = Clock::now();
  const double seconds_before = progress_.seconds;
  // Set on the device once a loss is NaN or Inf; read every few batches to keep syncs rare, and
  // always before anything is saved.
  auto nonfinite = torch::zeros({}, torch::TensorOptions().dtype(torch::kBool).device(device_));
  auto flush = [&] {
    progress_.seconds = seconds_before + std::chrono::duration<double>(Clock::now() - start).count();
    if (ranks_ > 1) {
      // The same terms on every rank once a batch ran: rank 0's restored sums may name terms
      // the others have not seen yet only when no batch ran, and then those are all there is.
      std::vector<torch::Tensor> values{torch::full({1}, static_cast<double>(seen_here), torch::kFloat64)};
      for (const auto& [name, sum] : progress_.sums)
        if (!sums.count(name)) sums[name] = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
      for (const auto& [name, sum] : sums) values.push_back(sum.cpu().reshape({1}));
      std::vector<torch::Tensor> flat{torch::cat(values)};
      collective().all_reduce_sum(flat);
      seen_here = static_cast<int64_t>(flat[0][0].item<double>());
      int64_t i = 1;
      for (const auto& [name, sum] : sums) progress_.sums[name] = flat[0][i++].item<double>();
    } else {
      for (const auto& [name, sum] : sums) progress_.sums[name] = sum.item<double>();
    }
    progress_.seen += seen_here;
  };
  for (int64_t b = progress_.batch; b < batches; ++b) {
    const bool stop = agree_to_stop(nonfinite);
    if (ranks_ > 1) check_finite(nonfinite, b);  // agreed: every rank stops alike
    if (stop) {
      bar.finish();
      check_finite(nonfinite, b);
      flush();
      return false;
    }
    // This rank's shard of the global batch; its random draws are the global batch's rows
    // (util/batch_shard.h).
    const BatchShard shard = BatchShard::of(std::min(bs, n - b * bs), rank_, ranks_);
    ScopedBatchShard in_shard(shard);
    auto idx = permutation.narrow(0, b * bs + shard.offset, shard.size);
    auto x = data_.preprocess.training_view(data_.train.x.index_select(0, idx));
    auto y = data_.train.labelled() ? data_.train.y.index_select(0, idx) : torch::Tensor();
    model_->set_training_progress(progress_.epoch + static_cast<double>(b) / batches);
    LossTerms terms = step(x, y);
    nonfinite = nonfinite | ~torch::isfinite(terms.at("loss"));
    if (ranks_ == 1 && (b + 1) % 25 == 0) check_finite(nonfinite, b + 1);
    for (const auto& [name, value] : terms) {
      auto weighted = value.detach().to(torch::kFloat64) * x.size(0);
      auto it = sums.find(name);
      if (it == sums.end()) sums.emplace(name, weighted);
      else it->second += weighted;
    }
    progress_.batch = b + 1;
    ++epoch_steps_;
    seen_here += x.size(0);
    if (bar.wants_update()) bar.update(b + 1, progress_.seen + seen_here * ranks_, terms.at("loss").item<double>());
  }
  bar.finish();
  if (ranks_ > 1) agree_to_stop(nonfinite);  // a NaN in the last batches, on any rank
  check_finite(nonfinite, batches);
  flush();
  return true;
}

void Trainer::check_finite(const torch::Tensor& nonfinite, int64_t batch) const {
  if (!nonfinite.item<bool>()) return;
  const int64_t epoch = progress_.epoch + 1;
  const std::string last = dir_ + "/checkpoints/last.pt";
  const std::string kept = fs::exists(last) ? last + " is the last good checkpoint"
                               : "no checkpoint was saved";
  throw TrainingDiverged("the training loss became NaN or Inf in epoch " + std::to_string(epoch) +
                         " (by batch " + std::to_string(batch) + "); training stopped and " + kept +
                         " (try a lower --lr)");
}

void Trainer::finish_epoch() {
  const int64_t epoch = progress_.epoch + 1;
  json train_terms;
  for (const auto& [name, sum] : progress_.sums) train_terms[name] = sum / progress_.seen;
  const auto eval_start = Clock::now();
  std::map<std::string, double> test;
  {
    ScopedSeed seed(device_, derived_seed(config_.train.seed, epoch, 1));
    test = mean_losses(*model_, data_.test, config_.train.eval_batch_size);
  }
  const double eval_seconds = std::chrono::duration<double>(Clock::now() - eval_start).count();
  const double test_loss = test.count("loss") ? test.at("loss") : 0.0;
  json line{{"epoch", epoch},
            {"train", train_terms},
            {"test", test},
            {"seconds", progress_.seconds},
            {"eval_seconds", eval_seconds},
            {"samples_per_second", progress_.seen / std::max(progress_.seconds, 1e-9)}};
  if (ranks_ > 1) {
    // What data parallelism costs: bench/distributed.py reads these.
    line["ranks"] = ranks_;
    line["allreduce_bytes_per_step"] =
        epoch_steps_ > 0 ? (reducer_->bytes_reduced() - epoch_bytes_start_) / epoch_steps_ : 0;
    epoch_steps_ = 0;
    epoch_bytes_start_ = reducer_->bytes_reduced();
  }
  // Pretraining epochs (deep-ae's RBMs) optimise another objective: best.pt comes after them.
  const int64_t first = model_->pretraining_epochs();
  const bool best = epoch > first && (progress_.epoch == first || test_loss < progress_.best_test_loss);
  progress_.epoch = epoch;
  progress_.batch = 0;
  progress_.sums.clear();
  progress_.seen = 0;
  progress_.seconds = 0;
  if (best) progress_.best_test_loss = test_loss;
  progress_.metrics_line = line.dump();
  // last.pt is the commit: the log's line goes to the disk before it, best.pt too, so a kill at
  // any point leaves the log at or one line past the checkpoint, and resuming repairs that.
  if (writes()) append_metrics_line(dir_ + "/metrics.jsonl", progress_.metrics_line);
  if (best) save("best.pt", torch::Tensor());
  save("last.pt", torch::Tensor());
  if (!writes()) return;
  write_metrics_csv(dir_ + "/metrics.jsonl", dir_ + "/metrics.csv");
  write_pictures();
  if (!options_.quiet) {
    std::printf("epoch %lld/%lld%s  train loss %.4f  test loss %.4f", static_cast<long long>(epoch),
                static_cast<long long>(total_epochs()), epoch <= first ? " (pretraining)" : "",
                train_terms.value("loss", 0.0), test_loss);
    if (test.count("elbo")) std::printf("  test elbo %.4f", test.at("elbo"));
    if (test.count("mmd")) std::printf("  test mmd %.4f", test.at("mmd"));
    std::printf("  %.2fs  %.0f samples/s\n", line["seconds"].get<double>(),
                line["samples_per_second"].get<double>());
    std::fflush(stdout);
  }
}

void Trainer::write_pictures() {
  if (!data_.image) {
    if (data_.dim() == 2 && model_->has_log_likelihood() && !model_->log_likelihood_is_bound()) {
      const bool was_training = model_->is_training();
      model_->eval();
      write_density_png(dir_ + "/density.png", *model_, data_.test.x);
      model_->train(was_training);
    }
    return;
  }
  const ImageShape& s = *data_.image;
  const std::vector<int64_t> shape{s.channels, s.height, s.width};
  const int64_t n = std::min<int64_t>(config_.train.grid_size, data_.test.size());
  const int64_t columns = 8;
  torch::NoGradGuard no_grad;
  const bool was_training = model_->is_training();
  model_->eval();
  ScopedSeed seed(device_, derived_seed(config_.train.seed, progress_.epoch, 2));
  // Reconstructions: rows of inputs, each followed by the row of their reconstructions.
  auto inputs = data_.test.x.narrow(0, 0, n);
  auto recon = model_->reconstruct(inputs, data_.test.labelled() ? data_.test.y.narrow(0, 0, n)
                                                                : torch::Tensor());
  const int64_t rows = (n + columns - 1) / columns;
  auto padded = [&](const torch::Tensor& t) {
    return torch::cat({t, torch::zeros({rows * columns - n, t.size(1)}, t.options())});
  };
  auto pairs = torch::stack({padded(inputs).view({rows, columns, -1}),
                             padded(recon).view({rows, columns, -1})}, 1)
                   .reshape({2 * rows * columns, -1});
  // Image rows hold pixel levels once preprocessing is undone; the grid wants [0, 1].
  auto display = [&](const torch::Tensor& x) { return data_.preprocess.invert(x.cpu()) / 255.0; };
  write_image_grid(dir_ + "/reconstructions.png", display(pairs), shape, columns);
  try {
    write_image_grid(dir_ + "/samples.png", display(model_->sample(config_.train.grid_size)), shape,
                     columns);
  } catch (const InputError&) {
    // Models without a prior (plain autoencoders) have no samples to show.
  }
  model_->train(was_training);
}

}  // namespace latentkit
