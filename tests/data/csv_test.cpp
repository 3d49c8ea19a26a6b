// read_csv / write_csv against hand-written CSV text, and the rejections with line and column.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "test_files.h"

using latentkit::read_csv;

namespace csv_test {

using latentkit::testing::TempDir;

void expect_values(const torch::Tensor& t, const std::vector<std::vector<float>>& rows) {
  ASSERT_EQ(t.scalar_type(), torch::kFloat32);
  ASSERT_EQ(t.size(0), int64_t(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(t.size(1), int64_t(rows[i].size()));
    for (size_t j = 0; j < rows[i].size(); ++j)
      EXPECT_EQ(t[i][j].item<float>(), rows[i][j]) << "row " << i << ", column " << j;
  }
}


TEST(ReadCsv, HeaderCrlfSpacesAndTrailingBlankLines) {
  TempDir dir;
  const auto p = dir.write("a.csv", "a,b,c\r\n1,2.5,-3\r\n4e2, 5 ,+6\r\n\r\n\n");
  expect_values(read_csv(p), {{1, 2.5f, -3}, {400, 5, 6}});
  expect_values(read_csv(p, "yes"), {{1, 2.5f, -3}, {400, 5, 6}});
}

TEST(ReadCsv, NoHeader) {
  TempDir dir;
  const auto p = dir.write("b.csv", "0.125,-7\n1e-3,8");  // no final newline
  expect_values(read_csv(p), {{0.125f, -7}, {1e-3f, 8}});
  expect_values(read_csv(p, "no"), {{0.125f, -7}, {1e-3f, 8}});
  // "yes" drops a first line even when it is numeric.
  expect_values(read_csv(p, "yes"), {{1e-3f, 8}});
}

TEST(ReadCsv, QuotedHeaderNamesMayHoldCommas) {
  TempDir dir;
  const auto p = dir.write("q.csv", "\"x, first\",y\n1,2\n");
  expect_values(read_csv(p), {{1, 2}});
}

TEST(ReadCsv, RejectsNonNumericCellWithLineAndColumn) {
  TempDir dir;
  const auto p = dir.write("bad.csv", "x,y\n1,2\n3,abc\n");
  EXPECT_INPUT_ERROR(read_csv(p), p, "line 3, column 2: not a number: 'abc'");
  const auto q = dir.write("bad2.csv", "1,2\n3,4\n,5\n");
  EXPECT_INPUT_ERROR(read_csv(q), q, "line 3, column 1: not a number: ''");
  // With header "no" a textual first line is data, hence an error.
  EXPECT_INPUT_ERROR(read_csv(p, "no"), p, "line 1, column 1: not a number: 'x'");
}

TEST(ReadCsv, RejectsRaggedRows) {
  TempDir dir;
  const auto p = dir.write("ragged.csv", "1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3\n");
  EXPECT_INPUT_ERROR(read_csv(p), p, "line 5 has 3 columns, expected 4");
  const auto q = dir.write("long.csv", "a,b\n1,2\n1,2,3\n");
  EXPECT_INPUT_ERROR(read_csv(q), q, "line 3 has 3 columns, expected 2");
}

TEST(ReadCsv, RejectsNaNAndInf) {
  TempDir dir;
  const auto nan = dir.write("nan.csv", "a,b\n1,2\n3,nan\n");
  EXPECT_INPUT_ERROR(read_csv(nan), nan, "line 3, column 2: NaN");
  const auto inf = dir.write("inf.csv", "1,2\n-inf,4\n");
  EXPECT_INPUT_ERROR(read_csv(inf), inf, "line 2, column 1: infinite value '-inf'");
  const auto overflow = dir.write("overflow.csv", "1,1e999\n");
  EXPECT_INPUT_ERROR(read_csv(overflow), overflow, "line 1, column 2: infinite value");
  const auto big = dir.write("big.csv", "1,1e39\n");  // finite as double, not as float32
  EXPECT_INPUT_ERROR(read_csv(big), big, "line 1, column 2: 1e39 is outside the float32 range");
}

TEST(ReadCsv, RejectsEmptyFilesAndHeaderOnly) {
  TempDir dir;
  const auto empty = dir.write("empty.csv", "");
  EXPECT_INPUT_ERROR(read_csv(empty), empty, "empty file");
  const auto blank = dir.write("blank.csv", "\n\r\n\n");
  EXPECT_INPUT_ERROR(read_csv(blank), blank, "empty file");
  const auto header = dir.write("header.csv", "a,b\n");
  EXPECT_INPUT_ERROR(read_csv(header), header, "no data rows");
  const auto gap = dir.write("gap.csv", "1,2\n\n3,4\n");
  EXPECT_INPUT_ERROR(read_csv(gap), gap, "line 2 is blank");
}

TEST(ReadCsv, RejectsUnknownHeaderModeAndMissingFile) {
  TempDir dir;
  const auto p = dir.write("a.csv", "1\n");
  EXPECT_INPUT_ERROR(read_csv(p, "maybe"), p, "unknown CSV header mode 'maybe'");
  const std::string absent = (dir.path() / "absent.csv").string();
  EXPECT_INPUT_ERROR(read_csv(absent), absent, "no such file");
}

TEST(WriteCsv, WritesHeaderAndNineDigitValues) {
  TempDir dir;
  const std::string p = (dir.path() / "out.csv").string();
  const float values[] = {1.0f, 0.1f, -2.5f, 1e-10f};
  latentkit::write_csv(p, {"a", "b,c"}, torch::from_blob((void*)values, {2, 2}, torch::kFloat32));
  std::ifstream in(p);
  std::stringstream text;
  text << in.rdbuf();
  // float(0.1) = 0.100000001490116..., float(1e-10) = 1.00000001335e-10: 9 significant digits.
  EXPECT_EQ(text.str(), "a,\"b,c\"\n1,0.100000001\n-2.5,1.00000001e-10\n");
  EXPECT_FALSE(std::filesystem::exists(p + ".tmp." + std::to_string(::getpid())));
}

}  // namespace csv_test
