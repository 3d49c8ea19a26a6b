#include "table_flags.h"

#include "latentkit/error.h"

namespace latentkit::cli {

std::string flag_help(const OptionSpec& spec) {
  if (spec.is_switch) return spec.help;
  const std::string def = spec.data_default ? "auto" : spec.default_text;
  return spec.help + (def.empty() ? "" : " [" + def + "]");
}

std::string flag_and_key(const OptionSpec& spec) {
  std::string plain = spec.flag.substr(2);  // flags are "--name"
  for (char& c : plain)
    if (c == '-') c = '_';
  return plain == spec.key ? spec.flag : spec.flag + " (" + spec.key + ")";
}

void TableFlags::add(CLI::App* cmd, const OptionTable& table, const std::string& group,
                     const std::set<std::string>& skip) {
  for (const OptionSpec& spec : table.specs()) {
    if (spec.flag.empty() || skip.count(spec.flag)) continue;
    auto found = options_.find(spec.flag);
    if (found != options_.end()) {
      found->second->description(found->second->get_description() + "; " + table.name() + ": " +
                                 flag_help(spec));
      continue;
    }
    CLI::Option* opt = nullptr;
    if (spec.is_switch) {
      opt = cmd->add_flag(spec.flag)->description(flag_help(spec));
      switches_.insert(spec.flag);
    } else {
      opt = cmd->add_option(spec.flag, text_[spec.flag], flag_help(spec));
      opt->type_name(spec.value_kind == "integer" ? "INT" : spec.value_kind == "number" ? "NUMBER"
                     : spec.value_kind == "widths" ? "N,N,..." : "TEXT");
    }
    opt->group(group);
    options_[spec.flag] = opt;
    order_.push_back(spec.flag);
  }
}

bool TableFlags::was_given(const CLI::App& cmd, const std::string& flag) const {
  auto it = options_.find(flag);
  return it != options_.end() && it->second->count() > 0;
}

std::vector<std::pair<std::string, std::string>> TableFlags::given(const CLI::App& cmd) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& flag : order_)
    if (was_given(cmd, flag)) out.emplace_back(flag, switches_.count(flag) ? "" : text_.at(flag));
  return out;
}

std::set<std::string> TableFlags::apply(const CLI::App& cmd, const OptionTable& table, void* values) const {
  std::set<std::string> keys;
  for (const auto& [flag, text] : given(cmd)) {
    const OptionSpec* spec = table.find_flag(flag);
    if (!spec) continue;
    if (spec->data_default && text == "auto") continue;
    table.parse_flag(values, flag, text);
    // Checked here so the message names the flag the user typed (and the config key, where it
    // is spelled otherwise).
    const std::string problem = spec->problem(values);
    if (!problem.empty()) fail(flag_and_key(*spec), problem);
    keys.insert(spec->key);
  }
  return keys;
}

}  // namespace latentkit::cli
