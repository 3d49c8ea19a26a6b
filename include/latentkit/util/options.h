#pragma once
// Option tables. A configuration struct (a model family's hyperparameters, the training, data
// and execution settings) declares each of its settings once, as one line of a list macro:
//
//   #define LATENTKIT_KL_OPTIONS(X)
//     X(double, beta, 1.0, "--beta", "Weight of the KL term", at_least(0.0))
//     ...        (one line per setting, each ending in a backslash)
//   struct KlOptions {
//     LATENTKIT_KL_OPTIONS(LATENTKIT_OPTION_FIELD)     // the fields, with their defaults
//     static const OptionTable& table();                // LATENTKIT_OPTION_SPEC, in the .cpp
//   };
//
// A line is (type, name, default, flag, help, check): the JSON key is the name; the flag sets it
// from the command line ("" keeps it to config files, or to a flag parser the table installs);
// a bool is a switch whose flag sets the opposite of its default (--no-fused). JSON reading and
// writing, validation, the command-line flags and their help, `latentkit info` and
// docs/OPTIONS.md are loops over the tables, so a new setting is one line (plus its use).
// Types: int, int64_t, uint64_t, double, bool, std::string, Widths.
#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "latentkit/error.h"

namespace latentkit {

using Widths = std::vector<int64_t>;

// ---- value conversions (one overload per supported type; InputError names `where`) ----
void write_option_value(nlohmann::json& out, const std::string& key, int v);
void write_option_value(nlohmann::json& out, const std::string& key, int64_t v);
void write_option_value(nlohmann::json& out, const std::string& key, uint64_t v);
void write_option_value(nlohmann::json& out, const std::string& key, double v);
void write_option_value(nlohmann::json& out, const std::string& key, bool v);
void write_option_value(nlohmann::json& out, const std::string& key, const std::string& v);
void write_option_value(nlohmann::json& out, const std::string& key, const Widths& v);
void read_option_value(const nlohmann::json& in, const std::string& where, int& v);
void read_option_value(const nlohmann::json& in, const std::string& where, int64_t& v);
void read_option_value(const nlohmann::json& in, const std::string& where, uint64_t& v);
void read_option_value(const nlohmann::json& in, const std::string& where, double& v);
void read_option_value(const nlohmann::json& in, const std::string& where, bool& v);
void read_option_value(const nlohmann::json& in, const std::string& where, std::string& v);
void read_option_value(const nlohmann::json& in, const std::string& where, Widths& v);
// Command-line text -> value: whole integers in range, finite numbers, comma-separated widths.
void parse_option_text(const std::string& text, const std::string& where, int& v);
void parse_option_text(const std::string& text, const std::string& where, int64_t& v);
void parse_option_text(const std::string& text, const std::string& where, uint64_t& v);
void parse_option_text(const std::string& text, const std::string& where, double& v);
void parse_option_text(const std::string& text, const std::string& where, bool& v);
void parse_option_text(const std::string& text, const std::string& where, std::string& v);
void parse_option_text(const std::string& text, const std::string& where, Widths& v);
// True when `text` is a whole decimal integer outside the range of an integer type of `bytes`
// bytes (signed or not); its value is then put in *value, rounded to a double.
bool integer_text_overflows(const std::string& text, bool is_signed, size_t bytes, double* value);
// A check's problem without its trailing " (got <value>)".
std::string without_got(const std::string& problem);
std::string option_text(int v);
std::string option_text(int64_t v);
std::string option_text(uint64_t v);
std::string option_text(double v);
std::string option_text(bool v);
std::string option_text(const std::string& v);
std::string option_text(const Widths& v);
// What a type's values look like, for help and docs: "integer", "number", "switch", "text",
// "widths".
template <typename T> const char* option_value_kind();
template <> const char* option_value_kind<int>();
template <> const char* option_value_kind<int64_t>();
template <> const char* option_value_kind<uint64_t>();
template <> const char* option_value_kind<double>();
template <> const char* option_value_kind<bool>();
template <> const char* option_value_kind<std::string>();
template <> const char* option_value_kind<Widths>();

// ---- checks: each returns "" for a valid value, else what is wrong with it ----
struct AnyValue {
  template <typename T> std::string operator()(const T&) const { return ""; }
};
struct AtLeast {  // bound <= v <= most
  double bound;
  double most = HUGE_VAL;
  std::string operator()(double v) const;
};
struct Above {  // v > bound, finite
  double bound;
  std::string operator()(double v) const;
};
struct InRange {  // lo <= v < hi (or <= hi when closed)
  double lo, hi;
  bool closed;
  std::string operator()(double v) const;
};
struct OneOf {
  std::vector<std::string> choices;
  std::string operator()(const std::string& v) const;
};
struct PositiveWidths {  // every width in [1, widest]; between min and max entries
  size_t min, max;
  int64_t widest;
  std::string operator()(const Widths& v) const;
};
inline AnyValue any_value() { return {}; }
inline AtLeast at_least(double bound) { return {bound}; }
// Counts, sizes and epochs: an integer setting's range. The upper bounds are far above any
// sensible value and keep absurd ones (--epochs 99999999999) from starting work; what a
// machine can hold is checked apart from them (util/memory_budget.h).
inline AtLeast between(double lo, double hi) { return {lo, hi}; }
inline Above above(double bound) { return {bound}; }
inline InRange in_range(double lo, double hi) { return {lo, hi, false}; }
inline InRange in_closed_range(double lo, double hi) { return {lo, hi, true}; }
inline OneOf one_of(std::vector<std::string> choices) { return {std::move(choices)}; }
// Layer widths and channel counts: at most 2^20 units a layer.
inline constexpr int64_t kMaxWidth = int64_t(1) << 20;
inline PositiveWidths widths(size_t min = 0, size_t max = 1000, int64_t widest = kMaxWidth) {
  return {min, max, widest};
}

// ---- one setting, its accessors erased to work through a pointer to the struct ----
struct OptionSpec {
  std::string key;           // JSON key (the field's name)
  std::string flag;          // "--flag", or "" when not on the command line
  std::string help;
  std::string value_kind;    // option_value_kind<T>()
  std::string default_text;  // the struct's default, as command-line text
  std::function<void(const void*, nlohmann::json&)> write;
  std::function<void(void*, const nlohmann::json&)> read;       // throws InputError naming key
  std::function<void(void*, const std::string&)> parse;         // throws InputError naming flag
  std::function<std::string(const void*)> text;                 // the value as flag text
  std::function<std::string(const void*)> problem;              // "" when valid
  std::function<void(void*, bool)> data_default;                // optional: choose by the data
  bool is_switch = false;
};

template <typename S, typename T, typename Check>
OptionSpec option_spec(const char* key, T S::*member, const char* flag, const char* help, Check check) {
  OptionSpec o;
  o.key = key;
  o.flag = flag;
  o.help = help;
  o.value_kind = option_value_kind<T>();
  o.default_text = option_text(S{}.*member);
  o.is_switch = std::is_same_v<T, bool>;
  const std::string k = key, f = *flag ? flag : key;
  o.write = [member, k](const void* s, nlohmann::json& out) {
    write_option_value(out, k, static_cast<const S*>(s)->*member);
  };
  o.read = [member, k](void* s, const nlohmann::json& in) {
    read_option_value(in, k, static_cast<S*>(s)->*member);
  };
  o.parse = [member, f, check](void* s, const std::string& text) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_invocable_v<Check, double>) {
      // An integer too large for the field is refused with the setting's own range rather than
      // the type's ("must be <= 1000000", not "-9223372036854775808 to 9223372036854775807").
      double wide = 0;
      if (integer_text_overflows(text, std::is_signed_v<T>, sizeof(T), &wide)) {
        const std::string problem = check(wide);
        if (!problem.empty()) ::latentkit::fail(f, "'" + text + "' is out of range: " + without_got(problem));
      }
    }
    parse_option_text(text, f, static_cast<S*>(s)->*member);
  };
  o.text = [member](const void* s) { return option_text(static_cast<const S*>(s)->*member); };
  o.problem = [member, check](const void* s) { return check(static_cast<const S*>(s)->*member); };
  return o;
}

// X-macro bodies: the struct's fields, and the table's lines (inside a function that has
// `using Self = TheStruct;`).
#define LATENTKIT_OPTION_FIELD(type, name, def, flag, help, check) type name = def;
#define LATENTKIT_OPTION_SPEC(type, name, def, flag, help, check) \
  ::latentkit::option_spec<Self, type>(#name, &Self::name, flag, help, check),

class OptionTable;

// Keeps a parameter out of template argument deduction (std::type_identity is C++20).
template <typename T>
struct NoDeduce {
  using type = T;
};

// One option struct's values, type-erased, with the table that describes them.
class OptionValues {
 public:
  explicit OptionValues(const OptionTable& table) : table_(&table) {}
  virtual ~OptionValues() = default;
  virtual std::unique_ptr<OptionValues> clone() const = 0;
  virtual void* data() = 0;
  virtual const void* data() const = 0;
  const OptionTable& table() const { return *table_; }

 private:
  const OptionTable* table_;
};

template <typename S>
class TypedOptionValues : public OptionValues {
 public:
  TypedOptionValues(const OptionTable& table, S value) : OptionValues(table), value_(std::move(value)) {}
  std::unique_ptr<OptionValues> clone() const override {
    return std::make_unique<TypedOptionValues<S>>(table(), value_);
  }
  void* data() override { return &value_; }
  const void* data() const override { return &value_; }

 private:
  S value_;
};

// The lines of one option struct, and what can be done with any struct through them.
class OptionTable {
 public:
  // name: the family's short name ("vae"), title: a heading for help and docs.
  template <typename S>
  static OptionTable of(std::string name, std::string title, std::vector<OptionSpec> specs) {
    OptionTable t(std::move(name), std::move(title), std::move(specs), typeid(S));
    t.make_default_ = [](const OptionTable& table) -> std::unique_ptr<OptionValues> {
      return std::make_unique<TypedOptionValues<S>>(table, S{});
    };
    return t;
  }

  const std::string& name() const { return name_; }
  const std::string& title() const { return title_; }
  const std::vector<OptionSpec>& specs() const { return specs_; }
  std::type_index type() const { return type_; }
  const OptionSpec* find_key(const std::string& key) const;
  const OptionSpec* find_flag(const std::string& flag) const;
  std::unique_ptr<OptionValues> make_default() const { return make_default_(*this); }

  // Writes every setting into the JSON object `out`.
  void write(const void* values, nlohmann::json& out) const;
  // Reads the keys of the JSON object `in` that this table has, adding them to `read_keys`.
  void read(void* values, const nlohmann::json& in, std::set<std::string>* read_keys = nullptr) const;
  // Sets the setting of `flag` from command-line text (a switch: text is ignored, the flag
  // sets the opposite of the default).
  void parse_flag(void* values, const std::string& flag, const std::string& text) const;
  // Throws InputError "<key>: <problem>" for the first setting outside its line's range (no
  // checks across settings: those may need the data, as a model's do).
  void check_settings(const void* values) const;
  // Throws InputError "<key>: <problem>" for the first invalid setting, then runs the table's
  // own checks. `context` is what those checks need to see beside the struct (a model's
  // config, for the model families), or null.
  void validate(const void* values, const void* context = nullptr) const;
  // Sets the settings that have a data-dependent default and are not in `fixed`.
  void choose_for_data(void* values, bool data_in_unit_range, const std::set<std::string>& fixed) const;

  // Builders, for the tables' definitions.
  // Replaces the flag parser of `key` (for flags that set more than one field, e.g. KIND:LEVEL),
  // and with `text` the way the values are written back as that flag's text (help, info).
  template <typename S>
  OptionTable& flag_parser(const std::string& key, std::function<void(S&, const std::string&)> fn,
                           std::function<std::string(const S&)> text = nullptr) {
    OptionSpec& s = spec(key);
    s.parse = [fn](void* v, const std::string& t) { fn(*static_cast<S*>(v), t); };
    if (text) {
      s.text = [text](const void* v) { return text(*static_cast<const S*>(v)); };
      s.default_text = text(S{});
    }
    return *this;
  }
  // Gives `key` a default that depends on the data (chosen unless the user set it).
  template <typename S>
  OptionTable& data_default(const std::string& key, std::function<void(S&, bool)> fn) {
    spec(key).data_default = [fn](void* s, bool unit) { fn(*static_cast<S*>(s), unit); };
    return *this;
  }
  // A check across the struct's settings, or against the context (C) validate() is given.
  template <typename S, typename C = void>
  OptionTable& check(typename NoDeduce<std::function<void(const S&, const C*)>>::type fn) {
    checks_.push_back([fn](const void* s, const void* c) {
      fn(*static_cast<const S*>(s), static_cast<const C*>(c));
    });
    return *this;
  }

 private:
  OptionTable(std::string name, std::string title, std::vector<OptionSpec> specs, std::type_index type);
  OptionSpec& spec(const std::string& key);

  std::string name_, title_;
  std::vector<OptionSpec> specs_;
  std::type_index type_;
  std::function<std::unique_ptr<OptionValues>(const OptionTable&)> make_default_;
  std::vector<std::function<void(const void*, const void*)>> checks_;
};

// The option structs of one configuration (the families a model kind reads), in order.
// Copies are deep.
class OptionGroups {
 public:
  OptionGroups() = default;
  OptionGroups(const OptionGroups& other);
  OptionGroups& operator=(const OptionGroups& other);
  OptionGroups(OptionGroups&&) = default;
  OptionGroups& operator=(OptionGroups&&) = default;

  // Appends a struct (with the table's defaults); replaces one of the same table.
  void add(const OptionTable& table);
  template <typename S> const S* find() const { return static_cast<const S*>(find_data(S::table())); }
  template <typename S> S* find() { return static_cast<S*>(const_cast<void*>(find_data(S::table()))); }
  // Throws std::logic_error (a bug, not a user error) when the configuration lacks S.
  template <typename S> const S& get() const { return *static_cast<const S*>(get_data(S::table())); }
  template <typename S> S& get() { return *static_cast<S*>(const_cast<void*>(get_data(S::table()))); }
  bool has(const OptionTable& table) const { return find_data(table) != nullptr; }
  const std::vector<std::unique_ptr<OptionValues>>& all() const { return groups_; }
  // The group whose table has `flag` / `key`, or null; the spec through `spec`.
  OptionValues* find_flag(const std::string& flag, const OptionSpec** spec);
  OptionValues* find_key(const std::string& key, const OptionSpec** spec);

 private:
  const void* find_data(const OptionTable& table) const;
  const void* get_data(const OptionTable& table) const;
  std::vector<std::unique_ptr<OptionValues>> groups_;
};

}  // namespace latentkit
