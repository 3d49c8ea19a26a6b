#include "resume_flags.h"

#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/exec/execution.h"

namespace latentkit::cli {

namespace {

bool may_change(const std::string& flag) {
  return flag == "--epochs" || flag == "--lr" || ExecutionOptions::table().find_flag(flag) != nullptr;
}

// Sets `flag` on `values` (a struct of `table`) and returns its text before and after.
std::pair<std::string, std::string> set_flag(const OptionTable& table, void* values, const std::string& flag,
                                             const std::string& text) {
  const OptionSpec* spec = table.find_flag(flag);
  const std::string before = spec->text(values);
  table.parse_flag(values, flag, text);
  const std::string problem = spec->problem(values);
  if (!problem.empty()) fail(flag_and_key(*spec), problem);
  return {before, spec->text(values)};
}

}  // namespace

ResumeFlags apply_resume_flags(const CLI::App& cmd, const TableFlags& flags, const std::string& model,
                               RunConfig saved) {
  ResumeFlags out;
  std::vector<std::string> clashes;
  if (!model.empty() && kind_info(model, "--model").name != saved.model.kind)
    clashes.push_back("--model " + model + " (the run's is " + saved.model.kind + ")");
  for (const auto& [flag, text] : flags.given(cmd)) {
    // Where the flag lives in the config: the data's, the training's, the execution's table,
    // or the model families of the run's kind that read it.
    std::vector<std::pair<const OptionTable*, void*>> targets;
    if (DataConfig::table().find_flag(flag)) targets.emplace_back(&DataConfig::table(), &saved.data);
    else if (TrainConfig::table().find_flag(flag)) targets.emplace_back(&TrainConfig::table(), &saved.train);
    else if (ExecutionOptions::table().find_flag(flag))
      targets.emplace_back(&ExecutionOptions::table(), &saved.train.execution);
    else
      for (const auto& group : saved.model.options.all())
        if (group->table().find_flag(flag)) targets.emplace_back(&group->table(), group->data());
    if (targets.empty()) {
      clashes.push_back(flag + " (not an option of the run's model kind '" + saved.model.kind + "')");
      continue;
    }
    for (const auto& [table, values] : targets) {
      const OptionSpec* spec = table->find_flag(flag);
      if (spec->data_default && text == "auto") continue;  // the run chose it from its data already
      const auto [before, after] = set_flag(*table, values, flag, text);
      if (before == after) continue;  // repeats the run's value
      if (may_change(flag)) out.changes.push_back(flag + " " + after + " (was " + before + ")");
      else clashes.push_back(flag + " " + after + " (the run's is " + before + ")");
      break;
    }
  }
  if (!clashes.empty()) {
    std::string list;
    for (const auto& c : clashes) list += (list.empty() ? "" : ", ") + c;
    fail("--resume", "the flags contradict the run's config: " + list +
                         "; a resumed run keeps its data, model and optimiser (only --epochs, --lr and "
                         "the execution flags may change; --force starts afresh instead)");
  }
  saved.train.validate();
  out.config = std::move(saved);
  return out;
}

}  // namespace latentkit::cli
