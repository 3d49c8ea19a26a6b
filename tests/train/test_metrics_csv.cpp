// metrics.csv: the metrics.jsonl lines flattened, cell for cell; a resumed run's CSV follows its
// truncated log.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "latentkit/error.h"
#include "latentkit/train/metrics_csv.h"

namespace fs = std::filesystem;
using namespace latentkit;

namespace metrics_csv_test {

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("latentkit-metrics-csv-" + name)).string();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::vector<std::vector<std::string>> read_cells(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    std::string c;
    while (std::getline(s, c, ',')) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

TEST(MetricsCsv, FlattensEveryLineWithTheUnionOfColumns) {
  const std::string jsonl = temp_path("a.jsonl"), csv = temp_path("a.csv");
  // A pretraining epoch with other terms, then two epochs of the main objective.
  write(jsonl,
        R"({"train":{"loss":3.5,"free_energy":-1.25},"epoch":1,"seconds":0.1})" "\n"
        R"({"epoch":2,"train":{"loss":2.0,"kl":0.333333333333333314829616256247},"test":{"loss":2.5},"seconds":0.2})" "\n"
        "\n"
        R"({"epoch":3,"train":{"loss":1.0,"kl":0.5},"test":{"loss":1.5},"seconds":0.3})" "\n");
  write_metrics_csv(jsonl, csv);
  auto rows = read_cells(csv);
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<std::string> header{"epoch", "train_loss", "train_free_energy", "train_kl",
                                        "test_loss", "seconds"};
  EXPECT_EQ(rows[0], header);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "3.5", "-1.25", "", "", "0.10000000000000001"}));
  EXPECT_EQ(rows[2][0], "2");
  EXPECT_EQ(rows[2][2], "");  // no free_energy after pretraining
  // 17 significant digits: the value read back is the logged double exactly.
  EXPECT_EQ(std::stod(rows[2][3]), 0.333333333333333314829616256247);
  EXPECT_EQ(rows[3], (std::vector<std::string>{"3", "1", "", "0.5", "1.5", "0.29999999999999999"}));
}

TEST(MetricsCsv, RejectsALineThatIsNotJsonNamingTheFile) {
  const std::string jsonl = temp_path("bad.jsonl"), csv = temp_path("bad.csv");
  fs::remove(csv);
  write(jsonl, "{\"epoch\":1}\n{\"epoch\":2\n");
  try {
    write_metrics_csv(jsonl, csv);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(jsonl), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(csv));
}

}  // namespace metrics_csv_test
