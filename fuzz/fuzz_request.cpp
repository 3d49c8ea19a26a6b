// The bodies and query values of `latentkit serve`'s requests: JSON rows and labels, indices.
#include <torch/types.h>

#include <string>

#include "../src/cli/serve_json.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latentkit::cli;
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The API's parsers name the request, not a file.
  latentkit::fuzz::expect_success_or_input_error("request", [&] {
    const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return;
    const torch::Tensor rows = rows_of(body, 100);  // [N, D]
    labels_of(body, rows.size(0));
  });
  latentkit::fuzz::expect_success_or_input_error("request", [&] { indices_of(text, 1000, 100); });
  latentkit::fuzz::expect_success_or_input_error("request", [&] { count_of("limit", text, 1, 1000); });
  return 0;
}
