#pragma once
// Training curves of a run: its metrics.jsonl (one JSON object per epoch, with "epoch" and the
// "train" and "test" loss terms, as the Trainer writes them) drawn as small multiples.
#include <string>

namespace latentkit {

// Writes a PNG with one panel per loss term against the epoch: "loss" first, then every other
// term recorded (elbo, kl, recon, mmd, bits_per_dim, ...) in name order, each with its train
// and test curves where present. `title` goes above the panels (empty: none). Throws
// InputError naming metrics_path when it is unreadable, has a line that is not a JSON object
// with an epoch, or records no epoch.
void write_loss_curves(const std::string& metrics_path, const std::string& png_path,
                       const std::string& title = "");

}  // namespace latentkit
