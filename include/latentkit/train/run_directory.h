#pragma once
// What `train` does with its --out before it writes anything: it tells whether the directory
// holds a run already, moves an old run aside when asked to (--force), creates the directory and
// removes temporary files that a killed writer left behind. Every failure is an InputError naming
// the path, one line.
#include <string>
#include <vector>

namespace latentkit {

// The run files in `dir` (config.json, metrics.jsonl, checkpoints/last.pt, checkpoints/best.pt),
// empty when there are none (no directory, an empty one, or one holding other files only).
std::vector<std::string> run_files_in(const std::string& dir);

// Renames `dir` to "<dir>.old-<YYYYmmdd-HHMMSS>" (with "-2", "-3", ... when that exists) in the
// same parent directory and returns the new name. Nothing is deleted.
std::string move_run_aside(const std::string& dir);

// Creates `dir` and its parents when missing; refuses a path that is, or lies under, something
// other than a directory, and a directory that cannot be created.
void create_run_directory(const std::string& dir);

// Removes "<name>.tmp.<pid>" files (write_file_atomic's) in `dir` and dir/checkpoints whose writer
// is no longer alive, or is this process; returns the paths removed.
std::vector<std::string> remove_stale_temporaries(const std::string& dir);

}  // namespace latentkit
