// latentkit: train, evaluate, sample from and inspect autoencoders and their relatives.
#include <c10/util/Exception.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "commands.h"
#include "latentkit/version.h"
#include "latentkit/dist/process_group.h"
#include "latentkit/error.h"
#include "latentkit/util/memory_budget.h"
#include "latentkit/util/runtime.h"

namespace {

// The first line of a message: errors are reported on one line.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// "sample: out of memory (an allocation of 29.8 GB failed) ...".
std::string out_of_memory(const CLI::App& app, const std::string& asked) {
  std::string command = "latentkit";
  for (const auto* sub : app.get_subcommands()) command = sub->get_name();
  return command + ": out of memory" + (asked == "?" ? std::string() : " (an allocation of " + asked + " failed)") +
         "; ask for less: smaller --batch-size, --n, --hidden or --limit";
}

int report(const std::string& message, int code) {
  std::fprintf(stderr, "latentkit: error: %s\n", first_line(message).c_str());
  return code;
}

}  // namespace

int& latentkit::cli::exit_code() {
  static int code = 0;
  return code;
}

std::vector<std::string>& latentkit::cli::command_line() {
  static std::vector<std::string> args;
  return args;
}

int main(int argc, char** argv) {
  latentkit::keep_freed_memory();
  latentkit::cli::command_line().assign(argv + 1, argv + argc);
  CLI::App app{"latentkit: autoencoders, VAEs and their relatives, trained and used from C++"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("latentkit ") + LATENTKIT_VERSION);
  using namespace latentkit::cli;
  add_train_command(app);
  add_eval_command(app);
  add_sample_command(app);
  add_reconstruct_command(app);
  add_encode_command(app);
  add_decode_command(app);
  add_score_command(app);
  add_export_command(app);
  add_denoise_command(app);
  add_pca_command(app);
  add_quality_command(app);
  add_plot_command(app);
  add_latent_map_command(app);
  add_manifold_command(app);
  add_interpolate_command(app);
  add_compare_command(app);
  add_serve_command(app);
  add_info_command(app);
  add_models_command(app);
  add_options_command(app);
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto* sub : app.get_subcommands({})) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) return report("unknown command '" + std::string(argv[1]) + "' (commands: " + names + ")", 2);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report(std::string(e.what()) + " (see --help)", 2);
  } catch (const latentkit::InputError& e) {
    return report(e.what(), 2);
  } catch (const latentkit::GroupError& e) {
    return report(e.what(), 4);
  } catch (const std::exception& e) {
    // The last resort for an allocation that the checks before the work did not foresee: the
    // command and the size asked, not LibTorch's "[enforce fail at alloc_cpu.cpp]" text.
    const std::string asked = latentkit::allocation_failure(std::current_exception());
    if (!asked.empty()) return report(out_of_memory(app, asked), 2);
    if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e))
      return report(std::string("internal: ") + c10_error->what_without_backtrace(), 1);
    return report(std::string("internal: ") + e.what(), 1);
  }
  return exit_code();
}
