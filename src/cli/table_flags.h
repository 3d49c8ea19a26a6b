#pragma once
// Command-line flags made from option tables (util/options.h): each table line with a flag
// becomes one CLI11 option; after parsing, the flags given are applied through the table, so a
// setting's flag, help, default and validation are written once, beside its struct.
#include <CLI/CLI.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "latentkit/util/options.h"

namespace latentkit::cli {

class TableFlags {
 public:
  // Registers the flags of `table` on `cmd` under `group` (a help heading), except those in
  // `skip`. A flag that an earlier table registered is not added again: its help gains this
  // table's meaning and default ("rbm: Hidden units of the RBM (default 500)").
  void add(CLI::App* cmd, const OptionTable& table, const std::string& group,
           const std::set<std::string>& skip = {});
  // The registered flags given on the command line, in registration order, with their text
  // ("" for switches).
  std::vector<std::pair<std::string, std::string>> given(const CLI::App& cmd) const;
  bool was_given(const CLI::App& cmd, const std::string& flag) const;
  // Sets on `values` (a struct of `table`) every given flag the table has; returns the keys set.
  // Data-dependent settings given as "auto" are left for the data to choose.
  std::set<std::string> apply(const CLI::App& cmd, const OptionTable& table, void* values) const;
  template <typename S>
  std::set<std::string> apply(const CLI::App& cmd, S& values) const {
    return apply(cmd, S::table(), &values);
  }

 private:
  std::vector<std::string> order_;
  std::map<std::string, std::string> text_;  // flag -> text given (std::map: stable addresses)
  std::map<std::string, CLI::Option*> options_;
  std::set<std::string> switches_;
};

// "--components (gmm_components)": the flag, and the config key where it is spelled otherwise.
std::string flag_and_key(const OptionSpec& spec);
// The help text of one table line, with its default.
std::string flag_help(const OptionSpec& spec);

}  // namespace latentkit::cli
