// Option tables: one line per setting drives the field, JSON, flags, checks and data defaults.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "latentkit/error.h"
#include "latentkit/util/options.h"

namespace latentkit {
namespace options_test {

#define TEST_OPTIONS(X)                                                                  \
  X(int64_t, steps, 3, "--steps", "Steps", at_least(1))                                   \
  X(double, rate, 0.5, "--rate", "A rate", in_range(0, 1))                                \
  X(bool, fast, true, "--no-fast", "Switch the fast path off", any_value())               \
  X(std::string, mode, "a", "--mode", "a or b", one_of({"a", "b"}))                       \
  X(Widths, layers, (Widths{4, 2}), "--layers", "Layer widths", widths(1))             \
  X(uint64_t, seed, 7, "", "JSON only", any_value())

struct TestOptions {
  TEST_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

const OptionTable& TestOptions::table() {
  using Self = TestOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("test", "Test options", {TEST_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.data_default<Self>("mode", [](Self& o, bool unit) { o.mode = unit ? "a" : "b"; });
    t.check<Self>([](const Self& o, const void*) {
      if (o.mode == "b" && o.steps > 5) fail("steps", "mode b takes at most 5 steps");
    });
    return t;
  }();
  return table;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(OptionTable, FieldsTakeTheLinesDefaultsAndTheTableDescribesThem) {
  const TestOptions o;
  EXPECT_EQ(o.steps, 3);
  EXPECT_EQ(o.layers, (Widths{4, 2}));
  const auto& t = TestOptions::table();
  ASSERT_EQ(t.specs().size(), 6u);
  EXPECT_EQ(t.specs()[0].key, "steps");
  EXPECT_EQ(t.specs()[0].default_text, "3");
  EXPECT_EQ(t.specs()[4].default_text, "4,2");
  EXPECT_EQ(t.specs()[2].value_kind, "switch");
  EXPECT_EQ(t.find_flag("--rate")->key, "rate");
  EXPECT_EQ(t.find_flag(""), nullptr);
}

TEST(OptionTable, JsonRoundTripsEverySetting) {
  TestOptions o;
  o.steps = 4;
  o.rate = 0.25;
  o.fast = false;
  o.mode = "b";
  o.layers = {9};
  o.seed = 18446744073709551615ull;
  nlohmann::json j = nlohmann::json::object();
  TestOptions::table().write(&o, j);
  EXPECT_EQ(j.size(), 6u);
  TestOptions back;
  std::set<std::string> read;
  TestOptions::table().read(&back, nlohmann::json::parse(j.dump()), &read);
  EXPECT_EQ(read.size(), 6u);
  EXPECT_EQ(back.steps, 4);
  EXPECT_EQ(back.rate, 0.25);
  EXPECT_FALSE(back.fast);
  EXPECT_EQ(back.mode, "b");
  EXPECT_EQ(back.layers, (Widths{9}));
  EXPECT_EQ(back.seed, o.seed);
}

TEST(OptionTable, JsonOfTheWrongTypeNamesTheKey) {
  TestOptions o;
  const auto& t = TestOptions::table();
  for (const auto& bad : {nlohmann::json{{"steps", 0.5}}, nlohmann::json{{"steps", "3"}}, nlohmann::json{{"rate", "x"}},
                          nlohmann::json{{"fast", 1}}, nlohmann::json{{"layers", {1, "a"}}},
                          nlohmann::json{{"seed", -1}}}) {
    const std::string e = error_of([&] { t.read(&o, bad); });
    EXPECT_EQ(e.rfind(bad.begin().key() + ":", 0), 0u) << e;
  }
}

TEST(OptionTable, FlagsParseStrictlyAndSwitchesFlipTheirDefault) {
  TestOptions o;
  const auto& t = TestOptions::table();
  t.parse_flag(&o, "--steps", "12");
  t.parse_flag(&o, "--rate", "0.125");
  t.parse_flag(&o, "--no-fast", "");
  t.parse_flag(&o, "--layers", "8,16,32");
  EXPECT_EQ(o.steps, 12);
  EXPECT_EQ(o.rate, 0.125);
  EXPECT_FALSE(o.fast);
  EXPECT_EQ(o.layers, (Widths{8, 16, 32}));
  for (const auto& [flag, text] : std::vector<std::pair<std::string, std::string>>{
           {"--steps", "99999999999999999999"}, {"--steps", "12x"}, {"--steps", ""}, {"--steps", " 3"},
           {"--rate", "nan"}, {"--rate", "inf"}, {"--rate", "1e"}, {"--layers", ""}, {"--layers", "4,,2"},
           {"--layers", "4,0"}, {"--layers", "4,"}, {"--layers", "-1"}}) {
    const std::string e = error_of([&] { t.parse_flag(&o, flag, text); });
    EXPECT_EQ(e.rfind(flag + ": '" + text + "'", 0), 0u) << flag << " " << text << ": " << e;
  }
}

TEST(OptionTable, ValidateNamesTheFirstBadSettingThenRunsTheTablesChecks) {
  const auto& t = TestOptions::table();
  TestOptions o;
  EXPECT_NO_THROW(t.validate(&o));
  o.steps = 0;
  EXPECT_EQ(error_of([&] { t.validate(&o); }), "steps: must be >= 1 (got 0)");
  o = TestOptions{};
  o.rate = 1.0;
  EXPECT_EQ(error_of([&] { t.validate(&o); }), "rate: must be in [0, 1) (got 1)");
  o = TestOptions{};
  o.mode = "c";
  EXPECT_EQ(error_of([&] { t.validate(&o); }), "mode: unknown value 'c' (expected a or b)");
  o = TestOptions{};
  o.layers = {};
  EXPECT_EQ(error_of([&] { t.validate(&o); }), "layers: needs at least 1 entry");
  o = TestOptions{};
  o.mode = "b";
  o.steps = 6;
  EXPECT_EQ(error_of([&] { t.validate(&o); }), "steps: mode b takes at most 5 steps");
}

// Counts and widths with upper bounds: absurd values are refused by the line's own range, from
// flags (also those too large for the field's type) and from JSON alike.
#define BOUNDED_OPTIONS(X)                                                        \
  X(int64_t, epochs, 10, "--epochs", "Epochs", between(0, 1000))                  \
  X(int, threads, 0, "--threads", "Threads", between(0, 64))                      \
  X(Widths, hidden, (Widths{8}), "--hidden", "Widths", widths(1, 3, 100))

struct BoundedOptions {
  BOUNDED_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

const OptionTable& BoundedOptions::table() {
  using Self = BoundedOptions;
  static const OptionTable table =
      OptionTable::of<Self>("bounded", "Bounded options", {BOUNDED_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

TEST(OptionTable, UpperBoundsRefuseAbsurdCountsWidthsAndOverflowingText) {
  const auto& t = BoundedOptions::table();
  BoundedOptions o;
  EXPECT_NO_THROW(t.check_settings(&o));
  EXPECT_EQ(error_of([&] { t.parse_flag(&o, "--epochs", "99999999999999999999"); }),
            "--epochs: '99999999999999999999' is out of range: must be <= 1000");
  EXPECT_EQ(error_of([&] { t.parse_flag(&o, "--threads", "3000000000"); }),
            "--threads: '3000000000' is out of range: must be <= 64");
  EXPECT_EQ(error_of([&] { t.parse_flag(&o, "--epochs", "-99999999999999999999"); }),
            "--epochs: '-99999999999999999999' is out of range: must be >= 0");
  t.parse_flag(&o, "--epochs", "1001");  // in the type's range: the check below refuses it
  EXPECT_EQ(error_of([&] { t.check_settings(&o); }), "epochs: must be <= 1000 (got 1001)");
  o = BoundedOptions{};
  t.parse_flag(&o, "--hidden", "8,4000000000");
  EXPECT_EQ(error_of([&] { t.check_settings(&o); }), "hidden: widths must be <= 100 (got {8,4000000000})");
  EXPECT_EQ(error_of([&] { t.parse_flag(&o, "--hidden", ""); }).rfind("--hidden: ''", 0), 0u);
  o = BoundedOptions{};
  t.read(&o, nlohmann::json{{"epochs", 5000}, {"threads", 3}});
  EXPECT_EQ(error_of([&] { t.check_settings(&o); }), "epochs: must be <= 1000 (got 5000)");
  EXPECT_EQ(error_of([&] { t.validate(&o); }), "epochs: must be <= 1000 (got 5000)");
  o.epochs = 1000;
  o.threads = 64;
  o.hidden = {100, 100, 100};
  EXPECT_NO_THROW(t.check_settings(&o));
}

TEST(OptionTable, DataDefaultsSkipTheSettingsTheUserFixed) {
  const auto& t = TestOptions::table();
  TestOptions o;
  t.choose_for_data(&o, /*unit=*/false, {});
  EXPECT_EQ(o.mode, "b");
  o.mode = "a";
  t.choose_for_data(&o, /*unit=*/false, {"mode"});
  EXPECT_EQ(o.mode, "a");
}

TEST(OptionGroups, HoldDeepCopiesFoundByTheirTable) {
  OptionGroups groups;
  EXPECT_EQ(groups.find<TestOptions>(), nullptr);
  EXPECT_THROW(groups.get<TestOptions>(), std::logic_error);
  groups.add(TestOptions::table());
  groups.get<TestOptions>().steps = 9;
  OptionGroups copy = groups;
  copy.get<TestOptions>().steps = 2;
  EXPECT_EQ(groups.get<TestOptions>().steps, 9);
  EXPECT_EQ(copy.get<TestOptions>().steps, 2);
  const OptionSpec* spec = nullptr;
  EXPECT_EQ(groups.find_flag("--rate", &spec), groups.all().front().get());
  EXPECT_EQ(spec->key, "rate");
  EXPECT_EQ(groups.find_flag("--nothing", nullptr), nullptr);
}

}  // namespace options_test
}  // namespace latentkit
