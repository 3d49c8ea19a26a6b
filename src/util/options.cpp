// Option tables: value conversions, checks and the loops over a table (see options.h).
#include "latentkit/util/options.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "latentkit/error.h"

namespace latentkit {

namespace {

using nlohmann::json;

std::string shown(const json& j) {
  std::string s = j.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

[[noreturn]] void wrong_type(const std::string& where, const char* expected, const json& got) {
  fail(where, std::string("expected ") + expected + ", got " + shown(got));
}

// Whole-text integer in [lo, hi]; strtoll alone accepts "12abc" and saturates on overflow.
long long parse_integer(const std::string& text, const std::string& where, long long lo, long long hi) {
  errno = 0;
  char* end = nullptr;
  const long long v = text.empty() ? 0 : std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0])))
    fail(where, "'" + text + "' is not an integer");
  if (errno == ERANGE || v < lo || v > hi)
    fail(where, "'" + text + "' is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
  return v;
}

std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string list_text(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  return out;
}

}  // namespace

// ---- JSON ----

void write_option_value(json& out, const std::string& key, int v) { out[key] = v; }
void write_option_value(json& out, const std::string& key, int64_t v) { out[key] = v; }
void write_option_value(json& out, const std::string& key, uint64_t v) { out[key] = v; }
void write_option_value(json& out, const std::string& key, double v) { out[key] = v; }
void write_option_value(json& out, const std::string& key, bool v) { out[key] = v; }
void write_option_value(json& out, const std::string& key, const std::string& v) { out[key] = v; }
void write_option_value(json& out, const std::string& key, const Widths& v) { out[key] = v; }

// Types are checked before get<>: nlohmann truncates 0.5 to an integer and wraps -1 into a uint64.
void read_option_value(const json& in, const std::string& where, int64_t& v) {
  if (!in.is_number_integer()) wrong_type(where, "an integer", in);
  if (in.is_number_unsigned() && in.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail(where, shown(in) + " is out of range");
  v = in.get<int64_t>();
}
void read_option_value(const json& in, const std::string& where, int& v) {
  int64_t wide = 0;
  read_option_value(in, where, wide);
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
    fail(where, shown(in) + " is out of range");
  v = static_cast<int>(wide);
}
void read_option_value(const json& in, const std::string& where, uint64_t& v) {
  if (!(in.is_number_unsigned() || (in.is_number_integer() && in.get<int64_t>() >= 0)))
    wrong_type(where, "a non-negative integer", in);
  v = in.get<uint64_t>();
}
void read_option_value(const json& in, const std::string& where, double& v) {
  if (!in.is_number()) wrong_type(where, "a number", in);
  v = in.get<double>();
}
void read_option_value(const json& in, const std::string& where, bool& v) {
  if (!in.is_boolean()) wrong_type(where, "true or false", in);
  v = in.get<bool>();
}
void read_option_value(const json& in, const std::string& where, std::string& v) {
  if (!in.is_string()) wrong_type(where, "a string", in);
  v = in.get<std::string>();
}
void read_option_value(const json& in, const std::string& where, Widths& v) {
  if (!in.is_array()) wrong_type(where, "a list of integers", in);
  Widths out;
  for (const auto& item : in) {
    if (!item.is_number_integer()) wrong_type(where, "a list of integers", in);
    out.push_back(item.get<int64_t>());
  }
  v = out;
}

// ---- command-line text ----

void parse_option_text(const std::string& text, const std::string& where, int64_t& v) {
  v = parse_integer(text, where, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
}
void parse_option_text(const std::string& text, const std::string& where, int& v) {
  v = static_cast<int>(parse_integer(text, where, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}
void parse_option_text(const std::string& text, const std::string& where, uint64_t& v) {
  if (!text.empty() && text[0] == '-') fail(where, "'" + text + "' is not a non-negative integer");
  errno = 0;
  char* end = nullptr;
  const unsigned long long parsed = text.empty() ? 0 : std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0])))
    fail(where, "'" + text + "' is not a non-negative integer");
  if (errno == ERANGE) fail(where, "'" + text + "' is out of range");
  v = parsed;
}
void parse_option_text(const std::string& text, const std::string& where, double& v) {
  char* end = nullptr;
  const double parsed = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0])))
    fail(where, "'" + text + "' is not a number");
  if (!std::isfinite(parsed)) fail(where, "'" + text + "' is not a finite number");
  v = parsed;
}
void parse_option_text(const std::string& text, const std::string& where, bool& v) {
  if (text == "true") v = true;
  else if (text == "false") v = false;
  else fail(where, "'" + text + "' is not true or false");
}
void parse_option_text(const std::string& text, const std::string& where, std::string& v) { v = text; }
void parse_option_text(const std::string& text, const std::string& where, Widths& v) {
  Widths out;
  std::stringstream ss(text);
  std::string item;
  bool ok = !text.empty() && text.back() != ',';
  while (ok && std::getline(ss, item, ',')) {
    char* end = nullptr;
    errno = 0;
    const long long w = item.empty() ? 0 : std::strtoll(item.c_str(), &end, 10);
    ok = !item.empty() && *end == '\0' && errno == 0 && w >= 1 && !std::isspace(static_cast<unsigned char>(item[0]));
    out.push_back(w);
  }
  if (!ok) fail(where, "'" + text + "' is not a comma-separated list of positive widths (e.g. 512,256)");
  v = out;
}

bool integer_text_overflows(const std::string& text, bool is_signed, size_t bytes, double* value) {
  const size_t digits_from = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (text.size() == digits_from || text.find_first_not_of("0123456789", digits_from) != std::string::npos)
    return false;
  const double v = std::strtod(text.c_str(), nullptr);
  const double top = std::ldexp(1.0, int(bytes * 8) - (is_signed ? 1 : 0));  // 2^63, 2^64, 2^31
  const double bottom = is_signed ? -top : 0;
  if (v < top && v >= bottom) return false;
  *value = v;
  return true;
}

std::string without_got(const std::string& problem) {
  const size_t at = problem.rfind(" (got ");
  return at == std::string::npos ? problem : problem.substr(0, at);
}

std::string option_text(int v) { return std::to_string(v); }
std::string option_text(int64_t v) { return std::to_string(v); }
std::string option_text(uint64_t v) { return std::to_string(v); }
std::string option_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
std::string option_text(bool v) { return v ? "true" : "false"; }
std::string option_text(const std::string& v) { return v; }
std::string option_text(const Widths& v) {
  std::string out;
  for (int64_t w : v) out += (out.empty() ? "" : ",") + std::to_string(w);
  return out;
}

template <> const char* option_value_kind<int>() { return "integer"; }
template <> const char* option_value_kind<int64_t>() { return "integer"; }
template <> const char* option_value_kind<uint64_t>() { return "integer"; }
template <> const char* option_value_kind<double>() { return "number"; }
template <> const char* option_value_kind<bool>() { return "switch"; }
template <> const char* option_value_kind<std::string>() { return "text"; }
template <> const char* option_value_kind<Widths>() { return "widths"; }

// ---- checks ----

std::string AtLeast::operator()(double v) const {
  if (std::isfinite(v) && v >= bound && v <= most) return "";
  if (std::isfinite(v) && v > most) return "must be <= " + number_text(most) + " (got " + number_text(v) + ")";
  return "must be >= " + number_text(bound) + " (got " + number_text(v) + ")";
}

std::string Above::operator()(double v) const {
  if (std::isfinite(v) && v > bound) return "";
  return "must be finite and > " + number_text(bound) + " (got " + number_text(v) + ")";
}

std::string InRange::operator()(double v) const {
  if (v >= lo && (closed ? v <= hi : v < hi)) return "";
  return "must be in [" + number_text(lo) + ", " + number_text(hi) + (closed ? "]" : ")") + " (got " +
         number_text(v) + ")";
}

std::string OneOf::operator()(const std::string& v) const {
  for (const auto& c : choices)
    if (c == v) return "";
  return "unknown value '" + v + "' (expected " + list_text(choices) + ")";
}

std::string PositiveWidths::operator()(const Widths& v) const {
  std::string text = "{" + option_text(v) + "}";
  for (int64_t w : v) {
    if (w < 1) return "widths must be >= 1 (got " + text + ")";
    if (w > widest) return "widths must be <= " + std::to_string(widest) + " (got " + text + ")";
  }
  if (v.size() < min) return "needs at least " + std::to_string(min) + (min == 1 ? " entry" : " entries");
  if (v.size() > max) return "takes at most " + std::to_string(max) + " entries (got " + std::to_string(v.size()) + ")";
  return "";
}

// ---- OptionTable ----

OptionTable::OptionTable(std::string name, std::string title, std::vector<OptionSpec> specs, std::type_index type)
    : name_(std::move(name)), title_(std::move(title)), specs_(std::move(specs)), type_(type) {
  for (size_t i = 0; i < specs_.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (specs_[i].key == specs_[j].key || (!specs_[i].flag.empty() && specs_[i].flag == specs_[j].flag))
        throw std::logic_error("option table '" + name_ + "' repeats '" + specs_[i].key + "'");
}

const OptionSpec* OptionTable::find_key(const std::string& key) const {
  for (const auto& s : specs_)
    if (s.key == key) return &s;
  return nullptr;
}

const OptionSpec* OptionTable::find_flag(const std::string& flag) const {
  for (const auto& s : specs_)
    if (!s.flag.empty() && s.flag == flag) return &s;
  return nullptr;
}

OptionSpec& OptionTable::spec(const std::string& key) {
  for (auto& s : specs_)
    if (s.key == key) return s;
  throw std::logic_error("option table '" + name_ + "' has no '" + key + "'");
}

void OptionTable::write(const void* values, json& out) const {
  for (const auto& s : specs_) s.write(values, out);
}

void OptionTable::read(void* values, const json& in, std::set<std::string>* read_keys) const {
  for (const auto& s : specs_) {
    auto it = in.find(s.key);
    if (it == in.end()) continue;
    s.read(values, *it);
    if (read_keys) read_keys->insert(s.key);
  }
}

void OptionTable::parse_flag(void* values, const std::string& flag, const std::string& text) const {
  const OptionSpec* s = find_flag(flag);
  if (!s) throw std::logic_error("option table '" + name_ + "' has no flag " + flag);
  s->parse(values, s->is_switch ? (s->default_text == "true" ? "false" : "true") : text);
}

void OptionTable::check_settings(const void* values) const {
  for (const auto& s : specs_) {
    const std::string problem = s.problem(values);
    if (!problem.empty()) fail(s.key, problem);
  }
}

void OptionTable::validate(const void* values, const void* context) const {
  check_settings(values);
  for (const auto& check : checks_) check(values, context);
}

void OptionTable::choose_for_data(void* values, bool unit, const std::set<std::string>& fixed) const {
  for (const auto& s : specs_)
    if (s.data_default && !fixed.count(s.key)) s.data_default(values, unit);
}

// ---- OptionGroups ----

OptionGroups::OptionGroups(const OptionGroups& other) {
  for (const auto& g : other.groups_) groups_.push_back(g->clone());
}

OptionGroups& OptionGroups::operator=(const OptionGroups& other) {
  if (this != &other) {
    std::vector<std::unique_ptr<OptionValues>> copy;
    for (const auto& g : other.groups_) copy.push_back(g->clone());
    groups_ = std::move(copy);
  }
  return *this;
}

void OptionGroups::add(const OptionTable& table) {
  for (auto& g : groups_)
    if (&g->table() == &table) {
      g = table.make_default();
      return;
    }
  groups_.push_back(table.make_default());
}

const void* OptionGroups::find_data(const OptionTable& table) const {
  for (const auto& g : groups_)
    if (&g->table() == &table) return g->data();
  return nullptr;
}

const void* OptionGroups::get_data(const OptionTable& table) const {
  if (const void* d = find_data(table)) return d;
  throw std::logic_error("this configuration has no '" + table.name() + "' options");
}

OptionValues* OptionGroups::find_flag(const std::string& flag, const OptionSpec** spec) {
  for (auto& g : groups_)
    if (const OptionSpec* s = g->table().find_flag(flag)) {
      if (spec) *spec = s;
      return g.get();
    }
  return nullptr;
}

OptionValues* OptionGroups::find_key(const std::string& key, const OptionSpec** spec) {
  for (auto& g : groups_)
    if (const OptionSpec* s = g->table().find_key(key)) {
      if (spec) *spec = s;
      return g.get();
    }
  return nullptr;
}

}  // namespace latentkit
