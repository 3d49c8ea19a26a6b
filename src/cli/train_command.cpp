// `latentkit train`: trains a model on a dataset into a run directory, or resumes one. Its flags
// are the option tables' lines: the data's, the training's, the execution's and every model
// family's; a kind accepts the flags of the families it reads.
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/dist/launch_env.h"
#include "latentkit/dist/local_launcher.h"
#include "latentkit/dist/process_group.h"
#include "latentkit/error.h"
#include "latentkit/train/run_directory.h"
#include "latentkit/train/run_lock.h"
#include "latentkit/train/training_run.h"
#include "latentkit/util/runtime.h"
#include "loaded_run.h"
#include "resume_flags.h"
#include "table_flags.h"

namespace latentkit::cli {

namespace {

namespace fs = std::filesystem;

struct TrainArgs {
  CLI::App* cmd = nullptr;
  std::string model = "vae";
  std::string config_file;
  std::string out;
  bool resume = false;
  bool force = false;
  bool quiet = false;
  int nproc = 1;
  double dist_timeout = 300;
  TableFlags flags;
};

// "--architecture, --hidden, ..." : the flags of the families `config` reads.
std::string model_flags(const ModelConfig& config) {
  std::string out;
  for (const auto& group : config.options.all())
    for (const auto& spec : group->table().specs())
      if (!spec.flag.empty()) out += (out.empty() ? "" : ", ") + spec.flag;
  return out.empty() ? "none" : out;
}

// The model options of the config file `path` (the keys that are fixed rather than chosen by
// the data).
std::set<std::string> config_file_model_keys(const std::string& path) {
  std::ifstream in(path);
  auto j = nlohmann::json::parse(in, nullptr, false);
  std::set<std::string> keys;
  if (j.is_object() && j.contains("model") && j["model"].is_object())
    for (auto it = j["model"].begin(); it != j["model"].end(); ++it) keys.insert(it.key());
  return keys;
}

// Sets the model flags given on the command line; every one must belong to a family of the
// kind. Returns the keys they set.
std::set<std::string> apply_model_flags(const TrainArgs& a, ModelConfig& model) {
  for (const auto& [flag, text] : a.flags.given(*a.cmd)) {
    if (DataConfig::table().find_flag(flag) || TrainConfig::table().find_flag(flag) ||
        ExecutionOptions::table().find_flag(flag))
      continue;
    const OptionSpec* spec = nullptr;
    if (!model.options.find_flag(flag, &spec))
      fail(flag, "is not an option of model kind '" + model.kind + "' (its options: " + model_flags(model) + ")");
  }
  // Every given flag belongs to a family of the kind: each family applies its own once.
  std::set<std::string> keys;
  for (const auto& group : model.options.all()) {
    const auto set = a.flags.apply(*a.cmd, group->table(), group->data());
    keys.insert(set.begin(), set.end());
  }
  return keys;
}

// The configuration of a fresh run: defaults or a config file, then the flags given.
RunConfig fresh_config(const TrainArgs& a, std::set<std::string>& fixed_keys) {
  RunConfig cfg;
  const bool model_given = a.cmd->get_option("--model")->count() > 0;
  if (!a.config_file.empty()) {
    cfg = RunConfig::load(a.config_file);
    fixed_keys = config_file_model_keys(a.config_file);
  }
  // A kind chosen afresh starts from its own defaults (deep-ae's layer stack, for example).
  if (a.config_file.empty() || (model_given && a.model != cfg.model.kind)) {
    cfg.model = default_config(kind_info(a.model, "--model").name);
    fixed_keys.clear();
  }
  a.flags.apply(*a.cmd, cfg.data);
  a.flags.apply(*a.cmd, TrainConfig::table(), &cfg.train);
  a.flags.apply(*a.cmd, cfg.train.execution);
  const auto set = apply_model_flags(a, cfg.model);
  fixed_keys.insert(set.begin(), set.end());
  cfg.data.validate();
  cfg.train.validate();
  return cfg;
}

// A resumed run keeps its data, model and optimiser; only the epochs, the learning rate and the
// execution may change, and each change is said.
RunConfig resumed_config(const TrainArgs& a, RunConfig saved, bool say) {
  if (!a.config_file.empty()) fail("--config", "cannot be combined with --resume (the run keeps its config)");
  const bool model_given = a.cmd->get_option("--model")->count() > 0;
  ResumeFlags r = apply_resume_flags(*a.cmd, a.flags, model_given ? a.model : "", std::move(saved));
  for (const auto& change : r.changes)
    if (say) std::cerr << "latentkit: note: resuming " << a.out << " with " << change << "\n";
  return r.config;
}

// Makes --out this process's run directory before anything is loaded or written: refuses a run
// that is there unless it is resumed or --force moves it aside, creates the directory, takes its
// lock (train/run_lock.h) and removes the temporaries a killed writer left. `fresh`: a new run
// starts there; `own`: a run there is this group's own (torchrun restarted it).
RunLock claim_run_directory(const TrainArgs& a, bool fresh, bool own) {
  if (fresh && !own) {
    const std::vector<std::string> files = run_files_in(a.out);
    if (!files.empty()) {
      std::string list;
      for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
      if (!a.force)
        fail(a.out, "holds a run already (" + list + "); --resume continues it, --force moves it aside to " +
                        a.out + ".old-<date>-<time> and trains afresh");
      // Never move a run that is being written: its writer holds the lock.
      RunLock old = RunLock::acquire(a.out);
      const std::string aside = move_run_aside(a.out);
      std::cerr << "latentkit: note: --force: moved the run in " << a.out << " to " << aside << "\n";
    }
  } else if (!fs::is_directory(a.out)) {
    fail(a.out, fs::exists(a.out) ? "is not a directory (--out names the run directory)" : "holds no run to resume (no such directory)");
  }
  create_run_directory(a.out);
  RunLock lock = RunLock::acquire(a.out);
  const auto removed = remove_stale_temporaries(a.out);
  if (!removed.empty() && !a.quiet)
    std::cerr << "latentkit: note: removed " << removed.size() << " temporary file(s) left by an interrupted write in "
              << a.out << "\n";
  return lock;
}

// Removes `dir` when it holds nothing but the lock file this run made.
void remove_unused_run_directory(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename() != ".lock") return;
  fs::remove(fs::path(dir) / ".lock", ec);
  fs::remove(dir, ec);
}

Checkpoint load_resume_checkpoint(const std::string& out, const std::string& path) {
  if (!fs::exists(path) && fs::exists(out + "/config.json"))
    fail(out, "has no checkpoint to resume from (the run ended before its first epoch did); --force moves it "
              "aside and trains afresh");
  return load_checkpoint(path);
}

// The command line without --nproc and its value: what each local rank runs.
std::vector<std::string> rank_command_line() {
  std::vector<std::string> out;
  const auto& args = command_line();
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;
      continue;
    }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    // The launcher moved the old run aside already; the ranks find a fresh directory.
    if (args[i] == "--force") continue;
    out.push_back(args[i]);
  }
  return out;
}

std::chrono::milliseconds timeout_of(const TrainArgs& a) {
  return std::chrono::milliseconds(static_cast<int64_t>(a.dist_timeout * 1000));
}

void run_train(TrainArgs& a) {
  if (a.out.empty()) fail("--out", "a run directory is required");
  if (a.force && a.resume)
    fail("--force", "cannot be combined with --resume (--resume continues the run, --force moves it aside)");
  const std::string ckpt_path = a.out + "/checkpoints/last.pt";
  const auto env = LaunchEnv::from_environment();
  const bool distributed = env && env->world_size > 1;
  if (a.nproc > 1 && env)
    fail("--nproc", "cannot be combined with a launcher's ranks (WORLD_SIZE is set): torchrun already started them");
  const bool writer = !env || env->rank == 0;
  // Under `--nproc` the launcher says what it does; its ranks need not repeat it.
  const bool says = writer && !(env && std::getenv(RunLock::kEnvironment));
  // torchrun restarted the group after a failure: it continues from the last checkpoint, or
  // starts its own run afresh when none was saved yet.
  const bool group_restart = distributed && env->restart_count > 0;
  const bool restarted = group_restart && fs::exists(ckpt_path);
  std::unique_ptr<Checkpoint> resume;
  RunConfig cfg;
  std::set<std::string> fixed_keys;
  // Only the writer claims the directory; under `--nproc` that is this launcher, which hands
  // the lock down to rank 0.
  RunLock lock;
  bool created = false;  // --out did not exist before this run claimed it
  if (restarted) {
    if (writer) lock = claim_run_directory(a, false, true);
    resume = std::make_unique<Checkpoint>(load_checkpoint(ckpt_path));
    cfg = resume->config;
    if (writer)
      std::cerr << "latentkit: note: restart " << env->restart_count << " of the group: resuming "
                << a.out << " from its last checkpoint\n";
  } else if (a.resume) {
    if (writer) lock = claim_run_directory(a, false, false);
    resume = std::make_unique<Checkpoint>(load_resume_checkpoint(a.out, ckpt_path));
    cfg = resumed_config(a, resume->config, says);
  } else {
    // The flags are checked before the directory is touched: a typo moves nothing aside.
    cfg = fresh_config(a, fixed_keys);
    created = !fs::exists(a.out);
    if (writer) lock = claim_run_directory(a, true, group_restart);
  }
  if (a.nproc > 1) {
    // The flags were checked above; the ranks start from the same command line.
    // The ranks that are alive notice a failed one within the timeout and exit; a hung one,
    // which never will, is stopped a few seconds after the first rank failed.
    lock.pass_down();
    exit_code() = run_local_ranks(a.nproc, rank_command_line(), std::chrono::seconds(5));
    return;
  }
  // Loading and preprocessing the data runs on all cores; the model's policy comes after.
  ExecutionPolicy::for_data(cfg.train.execution).apply();
  std::optional<PreparedRun> prepared_or;
  try {
    prepared_or.emplace(prepare_run(cfg, resume ? &resume->preprocess : nullptr, fixed_keys, !resume));
  } catch (...) {
    // Bad data or a model the data cannot take: nothing was trained, so a directory this run
    // created (it holds only the lock file) does not stay behind as if a run were there.
    if (created && writer && !distributed) remove_unused_run_directory(a.out);
    throw;
  }
  PreparedRun prepared = std::move(*prepared_or);
  TrainingRunOptions options;
  options.trainer = TrainerOptions{a.quiet || !writer, !a.quiet && writer, nullptr};
  options.announce = writer;
  try {
    if (distributed) options.trainer.group = ProcessGroup::connect(*env, timeout_of(a));
    switch (train_prepared(std::move(prepared), a.out, resume.get(), options)) {
      case TrainingOutcome::Finished:
        break;
      case TrainingOutcome::AlreadyFinished:
        if (!a.quiet) std::cout << a.out << " has trained all its epochs already (raise --epochs to continue)\n";
        break;
      case TrainingOutcome::Interrupted:
        exit_code() = 130;
        break;
    }
  } catch (const TrainingDiverged& e) {
    std::cerr << "latentkit: error: " << e.what() << "\n";
    exit_code() = 3;
  } catch (const GroupError& e) {
    throw GroupError("run " + a.out + ": " + e.what() + "; the last checkpoint is kept");
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a model into a run directory (or resume one)");
  a->cmd = cmd;
  cmd->add_option("--model", a->model, "Model kind: " + kind_names() + " (see `latentkit models`)")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Run directory (config, metrics, checkpoints, pictures)")->required();
  cmd->add_option("--config", a->config_file, "Start from a run's config.json; flags given override it");
  cmd->add_flag("--resume", a->resume, "Continue the run in --out from its last checkpoint");
  cmd->add_flag("--force", a->force,
                "Train afresh even when --out holds a run: the old run is moved aside to "
                "<out>.old-<date>-<time> (nothing is deleted)");
  cmd->add_flag("--quiet", a->quiet, "No progress or per-epoch lines");
  cmd->add_option("--nproc", a->nproc,
                  "Train on N local ranks (data parallel, Gloo), as `torchrun --nproc_per_node N` "
                  "would start them; --batch-size stays the global batch (docs/DISTRIBUTED.md)")
      ->check(CLI::Range(1, 1024))
      ->group("Distributed");
  cmd->add_option("--dist-timeout", a->dist_timeout,
                  "Seconds a rank waits for the others in a collective before the group gives up "
                  "(a dead or hung rank), under torchrun or --nproc")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str()
      ->group("Distributed");
  a->flags.add(cmd, DataConfig::table(), "Data");
  a->flags.add(cmd, TrainConfig::table(), "Training");
  add_execution_flags(cmd, a->flags, /*training=*/true);
  // Every family's flags, in catalog order, each under its family's heading; `latentkit options
  // --model KIND` lists those of one kind.
  std::set<const OptionTable*> seen;
  for (const auto& kind : model_catalog())
    for (const OptionTable* family : kind.families)
      if (seen.insert(family).second) a->flags.add(cmd, *family, "Model: " + family->title());
  cmd->callback([a] { run_train(*a); });
}

}  // namespace latentkit::cli
