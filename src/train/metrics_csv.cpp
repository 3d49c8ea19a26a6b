#include "latentkit/train/metrics_csv.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"

namespace latentkit {

namespace {

using json = nlohmann::json;

// {"a": 1, "b": {"c": 2}} -> a=1, b_c=2.
void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "_" + it.key();
    if (it->is_object()) flatten(*it, key, out);
    else out.emplace_back(key, *it);
  }
}

std::string cell(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
    return buf;
  }
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_null()) return "";
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

void write_metrics_csv(const std::string& jsonl_path, const std::string& csv_path) {
  std::ifstream in(jsonl_path);
  if (!in) fail(jsonl_path, "cannot be read");
  std::vector<std::string> columns;
  std::vector<std::map<std::string, json>> rows;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      fail(jsonl_path, "line " + std::to_string(number) + " is not a JSON object");
    std::vector<std::pair<std::string, json>> flat;
    flatten(j, "", flat);
    std::map<std::string, json>& row = rows.emplace_back();
    for (auto& [key, value] : flat) {
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
      row[key] = value;
    }
  }
  // JSON objects keep no key order, so the CSV's is chosen here: the epoch, the training terms,
  // the test terms (each led by its total "loss"), then the rest, otherwise as first seen.
  auto rank = [](const std::string& c) {
    if (c == "epoch") return 0;
    if (c == "train_loss") return 1;
    if (c.rfind("train_", 0) == 0) return 2;
    if (c == "test_loss") return 3;
    if (c.rfind("test_", 0) == 0) return 4;
    return 5;
  };
  std::stable_sort(columns.begin(), columns.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  std::string text;
  for (size_t c = 0; c < columns.size(); ++c) text += (c ? "," : "") + columns[c];
  text += "\n";
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size(); ++c) {
      auto it = row.find(columns[c]);
      text += (c ? "," : "") + (it == row.end() ? std::string() : cell(it->second));
    }
    text += "\n";
  }
  write_file_atomic(csv_path, text);
}

}  // namespace latentkit
