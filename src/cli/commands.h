#pragma once
// The latentkit subcommands; each registers itself (options and callback) on the app.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace latentkit::cli {

// The status main() returns after a subcommand ran without error (e.g. 130 after training was
// stopped by SIGINT and saved its checkpoint).
int& exit_code();
// The command line main() was given, without the program's name (`train --nproc` starts its
// ranks with it).
std::vector<std::string>& command_line();

void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_reconstruct_command(CLI::App& app);
void add_encode_command(CLI::App& app);
void add_decode_command(CLI::App& app);
void add_score_command(CLI::App& app);
void add_denoise_command(CLI::App& app);
void add_pca_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_latent_map_command(CLI::App& app);
void add_manifold_command(CLI::App& app);
void add_interpolate_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_models_command(CLI::App& app);
void add_options_command(CLI::App& app);
void add_quality_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_serve_command(CLI::App& app);

}  // namespace latentkit::cli
