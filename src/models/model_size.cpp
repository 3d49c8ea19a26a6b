#include "latentkit/models/model_size.h"

#include <cmath>
#include <cstdio>

#include "latentkit/util/memory_budget.h"

namespace latentkit {

double dense_parameters(const std::vector<double>& widths) {
  double n = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) n += (widths[i] + 1) * widths[i + 1];
  return n;
}

void require_parameters_fit(const std::string& flag, double parameters) {
  char count[32];
  std::snprintf(count, sizeof count, "%.3g", parameters);
  require_memory(flag, std::string("a model of about ") + count + " parameters (to train)", parameters * 16);
}

}  // namespace latentkit
