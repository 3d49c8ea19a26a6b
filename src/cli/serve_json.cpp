// Requests and answers of `latentkit serve` as JSON (see serve_json.h).
#include "serve_json.h"

#include <ATen/ATen.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "latentkit/error.h"

namespace latentkit::cli {

using nlohmann::json;

torch::Tensor rows_of(const json& body, int64_t max_rows) {
  if (!body.is_object() || !body.contains("rows")) fail("request", "the body must be {\"rows\": [[...], ...]}");
  const json& rows = body.at("rows");
  if (!rows.is_array() || rows.empty()) fail("request", "\"rows\" must be a non-empty array of rows");
  const int64_t n = static_cast<int64_t>(rows.size());
  if (n > max_rows)
    fail("request", std::to_string(n) + " rows, more than the limit of " + std::to_string(max_rows));
  if (!rows[0].is_array() || rows[0].empty()) fail("request", "row 0 is not a non-empty array of numbers");
  const int64_t d = static_cast<int64_t>(rows[0].size());
  auto out = at::empty({n, d}, at::kFloat);
  float* p = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    const json& row = rows[static_cast<size_t>(i)];
    if (!row.is_array() || static_cast<int64_t>(row.size()) != d)
      fail("request", "row " + std::to_string(i) + " has " +
                          (row.is_array() ? std::to_string(row.size()) : std::string("no")) +
                          " values, row 0 has " + std::to_string(d));
    for (int64_t j = 0; j < d; ++j) {
      const json& v = row[static_cast<size_t>(j)];
      if (!v.is_number()) fail("request", "row " + std::to_string(i) + ", value " + std::to_string(j) + " is not a number");
      const double x = v.get<double>();
      if (!std::isfinite(x)) fail("request", "row " + std::to_string(i) + ", value " + std::to_string(j) + " is not finite");
      p[i * d + j] = static_cast<float>(x);
    }
  }
  return out;
}

torch::Tensor labels_of(const json& body, int64_t n) {
  if (!body.is_object() || !body.contains("labels")) return {};
  const json& labels = body.at("labels");
  if (!labels.is_array() || static_cast<int64_t>(labels.size()) != n)
    fail("request", "\"labels\" must be an array of " + std::to_string(n) + " integers");
  auto out = at::empty({n}, at::kLong);
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const json& v = labels[static_cast<size_t>(i)];
    if (!v.is_number_integer()) fail("request", "label " + std::to_string(i) + " is not an integer");
    p[i] = v.get<int64_t>();
  }
  return out;
}

namespace {

// The whole of `text` as a base-10 integer, or false.
bool parse_integer(const std::string& text, int64_t& value) {
  if (text.empty() || text.size() > 18) return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::vector<int64_t> indices_of(const std::string& text, int64_t size, int64_t max_count) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    // I, or I-J for the rows from I to J inclusive (what a long list would spell out).
    const size_t dash = item.find('-');
    int64_t first = 0, last = 0;
    if (!parse_integer(item.substr(0, dash), first) ||
        (dash != std::string::npos && !parse_integer(item.substr(dash + 1), last)))
      fail("request", "indices must be comma-separated integers or ranges I-J, not '" + item + "'");
    if (dash == std::string::npos) last = first;
    if (last < first) fail("request", "the range " + item + " is empty");
    if (last >= size) fail("request", "index " + std::to_string(last) + " is outside the split's " + std::to_string(size) + " rows");
    if (static_cast<int64_t>(out.size()) + (last - first + 1) > max_count)
      fail("request", "more than " + std::to_string(max_count) + " indices");
    for (int64_t i = first; i <= last; ++i) out.push_back(i);
  }
  if (out.empty()) fail("request", "give indices=I,J,... or I-J (rows of the split)");
  return out;
}

int64_t count_of(const std::string& name, const std::string& text, int64_t fallback, int64_t max) {
  if (text.empty()) return fallback;
  int64_t n = 0;
  if (!parse_integer(text, n) || n < 1 || n > max)
    fail("request", name + " must be an integer from 1 to " + std::to_string(max));
  return n;
}

json values_json(const torch::Tensor& t) {
  auto c = t.detach().cpu().to(at::kDouble).contiguous().view({-1});
  const double* p = c.data_ptr<double>();
  return json(std::vector<double>(p, p + c.numel()));
}

json rows_json(const torch::Tensor& t) {
  auto c = t.detach().cpu().to(at::kDouble).contiguous();
  const int64_t n = c.size(0), k = c.size(1);
  const double* p = c.data_ptr<double>();
  json rows = json::array();
  for (int64_t i = 0; i < n; ++i) rows.push_back(std::vector<double>(p + i * k, p + (i + 1) * k));
  return rows;
}

json read_json_lines(const std::filesystem::path& path) {
  json lines = json::array();
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) lines.push_back(std::move(j));
  }
  return lines;
}

json read_csv_table(const std::filesystem::path& path) {
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    std::string cell;
    while (std::getline(in, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
  };
  std::ifstream in(path);
  std::string line;
  json out{{"header", json::array()}, {"rows", json::array()}};
  if (std::getline(in, line)) out["header"] = split(line);
  while (std::getline(in, line))
    if (!line.empty()) out["rows"].push_back(split(line));
  return out;
}

}  // namespace latentkit::cli
