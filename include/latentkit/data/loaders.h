#pragma once
// File readers. Each returns raw values as float32 and throws InputError("<path>: <problem>")
// on bad input: a wrong magic number, a truncated file, a non-numeric cell, NaN or Inf, ...
#include <torch/types.h>

#include <string>

namespace latentkit {

// An IDX file (the MNIST format), plain or gzip-compressed (detected by content, not name).
// Returns the array with its stored shape, e.g. [N, 28, 28] for images, [N] for labels,
// as uint8 for unsigned-byte files and float32 for the other element types.
torch::Tensor read_idx(const std::string& path);

// A CSV file of numbers: comma-separated, one sample per row. `header`: "auto" (a first row
// with a non-numeric cell is a header), "yes" or "no". Returns [N, D] float32.
torch::Tensor read_csv(const std::string& path, const std::string& header = "auto");

// A NumPy .npy file holding a 2-D array of numbers (C or Fortran order). Returns [N, D]
// float32.
torch::Tensor read_npy(const std::string& path);

// A NumPy .npy array of rank 1 to 4 with its stored shape (C or Fortran order): uint8, int8,
// int16, int32 and int64 arrays keep their type (uint16 and uint32 widen to int32 and int64),
// float32 and float64 arrays become float32. Image sets are [N, H, W], [N, C, H, W] or
// [N, H, W, C] arrays (see data/image_layout.h).
torch::Tensor read_npy_array(const std::string& path);

// Writers, used for outputs (encode, score). Atomic: a temporary file renamed into place.
void write_npy(const std::string& path, const torch::Tensor& x);  // x: [N, D] float32
// Writes rows of x with the given column names as CSV.
void write_csv(const std::string& path, const std::vector<std::string>& columns,
               const torch::Tensor& x);  // x: [N, len(columns)]

}  // namespace latentkit
