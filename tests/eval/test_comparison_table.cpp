// The comparison table: every row's figures survive the round trip through CSV, and the Markdown
// marks bounds, likelihoods of another scale and missing figures as its legend says.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "latentkit/eval/comparison_table.h"

namespace latentkit {
namespace comparison_table_test {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<ComparisonRow> sample_rows() {
  ComparisonRow vae;
  vae.name = "vae";
  vae.kind = "vae";
  vae.parameters = 652824;
  vae.epochs = 5;
  vae.train_seconds = 21.25;
  vae.mse = 14.5;
  vae.bce = 240.125;
  vae.nll_nats = 245.5;
  vae.bits_per_dim = 0.4517;
  vae.nll_kind = NllKind::IwaeBound;
  vae.iwae_k = 1000;
  vae.prior_sampler = "prior";
  vae.fd_prior = 12.5;
  vae.fd_gmm = 9.25;
  vae.knn_accuracy = 0.8125;
  ComparisonRow flow;
  flow.name = "realnvp";
  flow.kind = "realnvp";
  flow.parameters = 30821;
  flow.epochs = 2;
  flow.train_seconds = 200;
  flow.mse = kNaN;
  flow.bce = kNaN;
  flow.nll_nats = 2134.0;
  flow.bits_per_dim = 3.9313;
  flow.nll_kind = NllKind::DequantBound;
  flow.nll_on_8bit_scale = true;
  flow.prior_sampler = "prior";
  flow.fd_prior = 40;
  flow.fd_gmm = kNaN;
  flow.knn_accuracy = 0.75;
  ComparisonRow ae;
  ae.name = "ae";
  ae.kind = "ae";
  ae.parameters = 1000;
  ae.mse = 10;
  ae.bce = 230;
  ae.nll_nats = kNaN;
  ae.bits_per_dim = kNaN;
  ae.prior_sampler = "gaussian";
  ae.fd_prior = 15;
  ae.fd_gmm = 11;
  ae.knn_accuracy = 0.8;
  return {vae, flow, ae};
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.push_back("");
    rows.push_back(fields);
  }
  return rows;
}

TEST(ComparisonTable, CsvKeepsEveryFigureAndLeavesMissingOnesEmpty) {
  const auto rows = sample_rows();
  const auto csv = parse_csv(comparison_csv(rows));
  ASSERT_EQ(csv.size(), rows.size() + 1);
  const auto& header = csv[0];
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  for (size_t r = 0; r < rows.size(); ++r) ASSERT_EQ(csv[r + 1].size(), header.size()) << "row " << r;
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const auto& f = csv[r + 1];
    EXPECT_EQ(f[column("model")], row.name);
    EXPECT_EQ(std::stoll(f[column("parameters")]), row.parameters);
    auto same = [&](const char* name, double expected) {
      const std::string cell = f[column(name)];
      if (std::isnan(expected)) EXPECT_EQ(cell, "") << name << " of " << row.name;
      else EXPECT_NEAR(std::stod(cell), expected, 1e-5 * std::abs(expected)) << name << " of " << row.name;
    };
    same("test_mse", row.mse);
    same("test_bce", row.bce);
    same("nll_nats", row.nll_kind == NllKind::None ? kNaN : row.nll_nats);
    same("bits_per_dim", row.nll_kind == NllKind::None ? kNaN : row.bits_per_dim);
    same("fd_prior", row.fd_prior);
    same("fd_gmm", row.fd_gmm);
    same("knn_accuracy", row.knn_accuracy);
  }
  EXPECT_EQ(csv[1][column("nll_kind")], "IWAE bound");
  EXPECT_EQ(csv[1][column("iwae_k")], "1000");
  EXPECT_EQ(csv[2][column("nll_kind")], "dequantisation bound");
  EXPECT_EQ(csv[2][column("nll_on_8bit_scale")], "1");
  EXPECT_EQ(csv[3][column("nll_kind")], "");
}

TEST(ComparisonTable, MarkdownMarksBoundsScalesAndGaps) {
  ComparisonReference ref;
  ref.fd_real = 1.5;
  ref.classifier_accuracy = 0.877;
  ref.knn_pixels = 0.855;
  ref.gmm_components = 10;
  const std::string md = comparison_markdown(sample_rows(), ref);
  std::stringstream lines(md);
  std::string line, vae, flow, ae;
  while (std::getline(lines, line)) {
    if (line.rfind("| vae |", 0) == 0) vae = line;
    if (line.rfind("| realnvp |", 0) == 0) flow = line;
    if (line.rfind("| ae |", 0) == 0) ae = line;
  }
  ASSERT_FALSE(vae.empty());
  ASSERT_FALSE(flow.empty());
  ASSERT_FALSE(ae.empty());
  EXPECT_NE(vae.find("| 652,824 |"), std::string::npos) << vae;
  EXPECT_NE(vae.find("≤ 245.50 †"), std::string::npos) << vae;   // IWAE bound, own scale
  EXPECT_NE(flow.find("≤ 3.9313 |"), std::string::npos) << flow;  // 8-bit scale: no dagger
  EXPECT_NE(flow.find("| — | — |"), std::string::npos) << flow;    // no reconstruction error
  EXPECT_NE(ae.find("15.00 (gaussian)"), std::string::npos) << ae;
  EXPECT_NE(vae.find("81.25%"), std::string::npos) << vae;
  EXPECT_NE(md.find("FD gmm:10"), std::string::npos);
  EXPECT_NE(md.find("1.50 apart"), std::string::npos);
  EXPECT_NE(md.find("accuracy is 87.70%"), std::string::npos);
  EXPECT_NE(md.find("85.50%"), std::string::npos);
  EXPECT_NE(md.find("†: the model's own likelihood"), std::string::npos);
}

}  // namespace comparison_table_test
}  // namespace latentkit
