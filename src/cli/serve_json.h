#pragma once
// The JSON forms of `latentkit serve`'s requests and answers: rows of numbers in, rows out.
// Every parser throws InputError("request: ...") naming what is wrong, which the API answers
// with a 400.
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

namespace latentkit::cli {

// {"rows": [[...], ...]} -> [N, D] float32, N <= max_rows, every value finite.
torch::Tensor rows_of(const nlohmann::json& body, int64_t max_rows);
// Optional "labels": [N] integers -> [N] int64 (undefined when absent).
torch::Tensor labels_of(const nlohmann::json& body, int64_t n);
// "0,5,9" -> {0, 5, 9}, "3-6" -> {3, 4, 5, 6}: at most max_count indices, each in [0, size).
std::vector<int64_t> indices_of(const std::string& text, int64_t size, int64_t max_count);
// A positive integer query parameter; `fallback` when absent.
int64_t count_of(const std::string& name, const std::string& text, int64_t fallback, int64_t max);

// [N] -> [N numbers]; [N, K] -> N rows of K numbers.
nlohmann::json values_json(const torch::Tensor& t);
nlohmann::json rows_json(const torch::Tensor& t);

// The lines of a JSON-lines file that parse (a line being written is left for the next read).
nlohmann::json read_json_lines(const std::filesystem::path& path);
// A comma-separated table without quoting (compare.csv) -> {"header": [...], "rows": [[...]]}.
nlohmann::json read_csv_table(const std::filesystem::path& path);

}  // namespace latentkit::cli
