// `latentkit info` (a checkpoint's model and the compute environment), `latentkit models` (the
// catalog) and `latentkit options` (the option tables, as help or as docs/OPTIONS.md).
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "latentkit/version.h"
#include "latentkit/dist/process_group.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/nn/gemm.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/train/run_config.h"
#include "latentkit/util/runtime.h"
#include "loaded_run.h"
#include "table_flags.h"

namespace latentkit::cli {

namespace {

struct InfoArgs {
  CLI::App* cmd = nullptr;
  std::string run;
  TableFlags execution_flags;
  bool json = false;
};

const char* likelihood_name(Likelihood l) {
  switch (l) {
    case Likelihood::None: return "none";
    case Likelihood::Bound: return "bound";
    case Likelihood::Exact: return "exact";
    case Likelihood::Dequantised: return "dequantised";
  }
  return "none";
}

nlohmann::json environment_json() {
  nlohmann::json j{{"latentkit", LATENTKIT_VERSION},
                   {"libtorch", TORCH_VERSION},
                   {"blas", blas_description()},
                   {"fused_products", gemm_backend()},
                   {"bf16", bf16_gemm_available()},
                   {"intra_op_threads", at::get_num_threads()},
                   {"blas_threads", blas_threads()},
                   {"inter_op_threads", at::get_num_interop_threads()},
                   {"cuda_devices", torch::cuda::is_available() ? torch::cuda::device_count() : 0},
                   {"distributed_backends", distributed_backends()}};
  return j;
}

void run_info(const InfoArgs& a) {
  ExecutionOptions execution;
  a.execution_flags.apply(*a.cmd, execution);
  nlohmann::json out;
  if (!a.run.empty()) {
    const std::string path = resolve_checkpoint_path(a.run);
    Checkpoint ck = load_checkpoint(path);
    ExecutionPolicy::choose(execution, ck.config.model).apply();
    auto model = make_model(ck.config.model);
    const int64_t total = model->pretraining_epochs() + ck.config.train.epochs;
    nlohmann::json options = nlohmann::json::object();
    for (const auto& group : ck.config.model.options.all()) group->table().write(group->data(), options);
    out["checkpoint"] = path;
    out["kind"] = ck.config.model.kind;
    out["parameters"] = model->parameter_count();
    out["latent_dim"] = model->latent_dim();
    out["epochs_done"] = ck.progress.epoch;
    out["epochs"] = total;
    out["interrupted_mid_epoch"] = ck.progress.batch > 0;
    out["data"] = ck.config.data.source;
    if (ck.progress.epoch > 0) out["best_test_loss"] = ck.progress.best_test_loss;
    out["options"] = options;
    if (!a.json) {
      std::printf("checkpoint  %s\n", path.c_str());
      std::printf("model       %s, %lld parameters, latent %lld\n", ck.config.model.kind.c_str(),
                  static_cast<long long>(model->parameter_count()), static_cast<long long>(model->latent_dim()));
      std::printf("trained     %lld of %lld epochs%s on %s\n", static_cast<long long>(ck.progress.epoch),
                  static_cast<long long>(total), ck.progress.batch > 0 ? " (interrupted mid-epoch)" : "",
                  ck.config.data.source.c_str());
      if (ck.progress.epoch > 0) std::printf("best test   loss %.4f\n", ck.progress.best_test_loss);
      // The options the kind reads, one per line, under their family's title.
      for (const auto& group : ck.config.model.options.all()) {
        std::printf("options     %s\n", group->table().title().c_str());
        for (const auto& spec : group->table().specs())
          std::printf("  %-20s %s\n", spec.key.c_str(), spec.text(group->data()).c_str());
      }
    }
  } else {
    ExecutionPolicy::for_data(execution).apply();
  }
  const nlohmann::json env = environment_json();
  if (a.json) {
    out["environment"] = env;
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("latentkit   %s\n", LATENTKIT_VERSION);
  std::printf("libtorch    %s\n", TORCH_VERSION);
  std::printf("blas        %s\n", blas_description().c_str());
  std::printf("fused       %s products, bf16 %s\n", gemm_backend().c_str(),
              bf16_gemm_available() ? "available (--precision bf16)" : "not available");
  std::printf("threads     %d intra-op, %d BLAS, %d inter-op\n", at::get_num_threads(), blas_threads(),
              at::get_num_interop_threads());
  if (torch::cuda::is_available())
    std::printf("cuda        available, %zu device(s)\n", torch::cuda::device_count());
  else
    std::printf("cuda        not available\n");
  std::string backends;
  for (const auto& b : distributed_backends()) backends += (backends.empty() ? "" : ", ") + b;
  std::printf("distributed %s (nccl: not in this build)\n",
              backends.empty() ? "none (install libgloo-dev and configure again)" : backends.c_str());
}

// One table as Markdown: | flag | key | default | meaning |.
std::string table_markdown(const OptionTable& table) {
  std::string md = "| flag | config key | default | meaning |\n|---|---|---|---|\n";
  for (const auto& spec : table.specs()) {
    const std::string def = spec.data_default ? "auto" : spec.default_text;
    md += "| " + (spec.flag.empty() ? std::string("(config only)") : "`" + spec.flag + "`") + " | `" + spec.key +
          "` | " + (def.empty() ? "" : "`" + def + "`") + " | " + spec.help + " |\n";
  }
  return md;
}

// docs/OPTIONS.md: every table, and which kinds read which model families.
std::string options_markdown() {
  std::string md =
      "# Options\n\n"
      "Generated by `latentkit options --markdown` from the option tables beside each struct; a "
      "test checks that this file matches. `latentkit train` takes the flags; a run's config.json "
      "holds the keys (data, train and model sections). A model kind reads only its families' "
      "options: `latentkit options --model KIND` lists them.\n\n";
  md += "## Data (`data`)\n\n" + table_markdown(DataConfig::table()) + "\n";
  md += "## Training (`train`)\n\n" + table_markdown(TrainConfig::table()) + "\n";
  md += "## Execution (`train`)\n\n" + table_markdown(ExecutionOptions::table()) + "\n";
  md += "## Model kinds and their option families\n\n| kind | families |\n|---|---|\n";
  std::vector<const OptionTable*> families;
  for (const auto& kind : model_catalog()) {
    std::string names;
    for (const OptionTable* f : kind.families) {
      names += (names.empty() ? "" : ", ") + f->title();
      if (std::find(families.begin(), families.end(), f) == families.end()) families.push_back(f);
    }
    md += "| `" + kind.name + "` | " + (names.empty() ? "none" : names) + " |\n";
  }
  md += "\nDefaults below are the family's; some kinds set their own (`latentkit options --model "
        "KIND` shows a kind's).\n\n";
  for (const OptionTable* f : families) md += "## " + f->title() + " (model)\n\n" + table_markdown(*f) + "\n";
  return md;
}

void print_kind_options(const std::string& kind) {
  const ModelConfig c = default_config(kind_info(kind, "--model").name);
  std::printf("%s: %s\n", kind.c_str(), kind_info(kind).description.c_str());
  for (const auto& group : c.options.all()) {
    std::printf("\n%s\n", group->table().title().c_str());
    for (const auto& spec : group->table().specs()) {
      const std::string def = spec.data_default ? "auto" : spec.text(group->data());
      std::printf("  %-20s %-12s %s\n", spec.flag.empty() ? ("(" + spec.key + ")").c_str() : spec.flag.c_str(),
                  def.c_str(), spec.help.c_str());
    }
  }
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto a = std::make_shared<InfoArgs>();
  auto* cmd = app.add_subcommand("info", "Show a checkpoint's model and options, and LibTorch, BLAS, threads, CUDA");
  a->cmd = cmd;
  cmd->add_option("run,--run", a->run, "Run directory or checkpoint file");
  add_execution_flags(cmd, a->execution_flags);
  cmd->add_flag("--json", a->json, "Print it as one JSON object on stdout");
  cmd->callback([a] { run_info(*a); });
}

void add_models_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("models", "List the model kinds and what each can do");
  cmd->add_flag("--json", *json, "Print the catalog with each kind's traits as JSON on stdout");
  cmd->callback([json] {
    if (!*json) {
      for (const auto& m : model_catalog()) std::printf("%-12s %s\n", m.name.c_str(), m.description.c_str());
      return;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : model_catalog()) {
      nlohmann::json families = nlohmann::json::array();
      for (const OptionTable* f : m.families) families.push_back(f->name());
      out.push_back({{"kind", m.name}, {"description", m.description}, {"families", families},
                     {"reconstructs", m.reconstructs}, {"has_prior", m.has_prior},
                     {"likelihood", likelihood_name(m.likelihood)}, {"conditional", m.conditional},
                     {"needs_unit_data", m.needs_unit_data}, {"images_only", m.images_only},
                     {"discrete_codes", m.discrete_codes}, {"fused_step", m.fused_step != nullptr}});
    }
    std::cout << out.dump(2) << "\n";
  });
}

void add_options_command(CLI::App& app) {
  struct Args {
    std::string model;
    bool markdown = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("options", "List a model kind's options (flags, defaults, meaning), or all as Markdown");
  cmd->add_option("--model", a->model, "Model kind (see `latentkit models`)");
  cmd->add_flag("--markdown", a->markdown, "Print every option table as Markdown (docs/OPTIONS.md)");
  cmd->callback([a] {
    if (a->markdown) {
      if (!a->model.empty()) fail("--markdown", "lists every kind; drop --model");
      std::cout << options_markdown();
      return;
    }
    if (a->model.empty()) fail("--model", "name a kind (" + kind_names() + "), or give --markdown");
    print_kind_options(a->model);
  });
}

}  // namespace latentkit::cli
