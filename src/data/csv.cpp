// CSV of numbers: one sample per line, comma-separated, an optional header line. Parsed in one
// pass over the file buffer with std::from_chars (no iostream per cell): ~100 MB in seconds.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "latentkit/data/file_bytes.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/input_file.h"

namespace latentkit {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  // Some writers quote every cell: "1.5" is still the number 1.5.
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// Parses a whole cell as a number (NaN and Inf included; callers reject them with a position).
bool parse_number(std::string_view cell, double& value) {
  cell = trim(cell);
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);  // from_chars rejects '+'
  if (cell.empty()) return false;
  const char* end = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    // Overflow or underflow: strtod gives ±HUGE_VAL or the denormal/zero it rounds to.
    value = std::strtod(std::string(cell).c_str(), nullptr);
    return true;
  }
  return ec == std::errc() && ptr == end;
}

// Splits a line at commas outside double quotes (header names may be quoted and hold commas).
std::vector<std::string_view> split_quoted(std::string_view line) {
  std::vector<std::string_view> cells;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"')
      quoted = !quoted;
    else if (line[i] == ',' && !quoted) {
      cells.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  cells.push_back(line.substr(start));
  return cells;
}

std::string position(size_t line, size_t column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

bool is_blank(std::string_view line) { return trim(line).empty(); }

}  // namespace

// -> [N, D] float32; lines and columns in messages are 1-based, counting every line of the file.
static torch::Tensor parse_csv_file(const std::string& path, const std::string& header) {
  if (header != "auto" && header != "yes" && header != "no")
    fail(path, "unknown CSV header mode '" + header + "' (expected auto, yes or no)");
  const std::string text = read_input_file(path);

  // Lines without their terminators ("\n" or "\r\n"); trailing blank lines are dropped.
  std::vector<std::string_view> lines;
  const std::string_view all(text);
  for (size_t start = 0; start < all.size();) {
    size_t nl = all.find('\n', start);
    if (nl == std::string_view::npos) nl = all.size();
    std::string_view line = all.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  while (!lines.empty() && is_blank(lines.back())) lines.pop_back();
  if (lines.empty()) fail(path, "empty file (no rows)");

  bool skip_first = header == "yes";
  if (header == "auto") {
    double v;
    for (std::string_view cell : split_quoted(lines[0]))
      if (!parse_number(cell, v)) skip_first = true;
  }
  const size_t columns = split_quoted(lines[0]).size();
  const size_t first = skip_first ? 1 : 0;
  if (first >= lines.size()) fail(path, "no data rows after the header line");

  std::vector<float> values;
  values.reserve((lines.size() - first) * columns);
  for (size_t i = first; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t lineno = i + 1;
    if (is_blank(line)) fail(path, "line " + std::to_string(lineno) + " is blank");
    size_t column = 0, start = 0;
    for (;;) {
      size_t comma = line.find(',', start);
      const bool last = comma == std::string_view::npos;
      if (last) comma = line.size();
      ++column;
      if (column <= columns) {
        const std::string_view cell = line.substr(start, comma - start);
        double v;
        if (!parse_number(cell, v))
          fail(path,
               position(lineno, column) + ": not a number: '" + std::string(trim(cell)) + "'");
        if (std::isnan(v)) fail(path, position(lineno, column) + ": NaN is not allowed");
        if (std::isinf(v))
          fail(path, position(lineno, column) + ": infinite value '" + std::string(trim(cell)) +
                         "' is not allowed");
        if (std::fabs(v) > std::numeric_limits<float>::max())
          fail(path, position(lineno, column) + ": " + std::string(trim(cell)) +
                         " is outside the float32 range");
        values.push_back(float(v));
      }
      if (last) break;
      start = comma + 1;
    }
    if (column != columns)
      fail(path, "line " + std::to_string(lineno) + " has " + std::to_string(column) +
                     " columns, expected " + std::to_string(columns) + " (like line 1)");
  }
  const int64_t rows = int64_t(lines.size() - first);
  return torch::from_blob(values.data(), {rows, int64_t(columns)}, torch::kFloat32).clone();
}

// A file of newlines alone needs 16 bytes of line index per byte: a failed allocation is
// reported against the file.
torch::Tensor read_csv(const std::string& path, const std::string& header) {
  return reading(path, [&] { return parse_csv_file(path, header); });
}

namespace {
// A column name as a CSV cell: quoted only when it holds a comma, a quote or a line break.
std::string csv_cell(const std::string& name) {
  if (name.find_first_of(",\"\r\n") == std::string::npos) return name;
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace

// x: [N, C] with C == columns.size()
void write_csv(const std::string& path, const std::vector<std::string>& columns,
               const torch::Tensor& x) {
  if (x.dim() != 2 || x.size(1) != int64_t(columns.size()))
    throw std::invalid_argument("write_csv: x must be [N, " + std::to_string(columns.size()) +
                                "], got " + std::to_string(x.dim()) + "-D");
  const torch::Tensor v = x.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const float* data = v.data_ptr<float>();
  const int64_t rows = v.size(0), cols = v.size(1);
  std::string out;
  out.reserve(size_t(rows * cols * 12 + 64));
  for (size_t c = 0; c < columns.size(); ++c) out += (c ? "," : "") + csv_cell(columns[c]);
  out += '\n';
  char buf[32];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      // %.9g round-trips every float32 exactly.
      const int len =
          std::snprintf(buf, sizeof buf, c ? ",%.9g" : "%.9g", double(data[r * cols + c]));
      out.append(buf, size_t(len));
    }
    out += '\n';
  }
  write_file_atomic(path, out);
}

}  // namespace latentkit
