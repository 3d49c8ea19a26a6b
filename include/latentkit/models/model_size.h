#pragma once
// Rough sizes of models before they are built: a family's table check refuses settings whose
// weights cannot be held (trained, with gradients and Adam's moments) in this machine's memory,
// naming the flag, instead of an allocation failing deep inside LibTorch.
#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

// Weights and biases of dense layers widths[0] -> widths[1] -> ... -> widths.back().
double dense_parameters(const std::vector<double>& widths);

// Throws InputError "<flag>: a model of about N parameters needs about X to train, more than
// this machine's memory (Y)" when 16 bytes a parameter (float32 weights, gradients and two Adam
// moments) exceed the memory limit.
void require_parameters_fit(const std::string& flag, double parameters);

}  // namespace latentkit
