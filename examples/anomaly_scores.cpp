// Flags anomalous rows: scores incoming rows with a trained run and compares them with a
// threshold taken from the training data's own scores.
//   anomaly_scores RUN ROWS [QUANTILE]
// ROWS: a CSV or .npy of raw rows (or an IDX file of images). The score is -log p(x) for kinds
// with a likelihood, else the reconstruction error; the threshold is the QUANTILE (default 0.99)
// of the training split's scores. Prints "index,score,anomalous" per row.
#include <latentkit/latentkit.h>

#include <cstdio>
#include <string>

namespace {

// Higher is more anomalous. -> [N]
torch::Tensor anomaly_score(const latentkit::SampleScores& s) {
  return s.log_likelihood.defined() ? -s.log_likelihood : s.reconstruction_error;
}

torch::Tensor read_rows(const std::string& path) {
  auto ends = [&](const std::string& ext) {
    return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".csv")) return latentkit::read_csv(path);
  if (ends(".npy")) return latentkit::read_npy(path);
  return latentkit::read_idx(path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: %s RUN ROWS [QUANTILE]\n", argv[0]);
    return 2;
  }
  try {
    const double quantile = argc == 4 ? std::stod(argv[3]) : 0.99;
    latentkit::TrainedModel run = latentkit::TrainedModel::open(argv[1]);
    // The training split, back in raw units, scored the same way as the incoming rows.
    latentkit::Dataset data = run.dataset();
    torch::Tensor train_raw = run.to_raw(data.train.x);                        // [N, D]
    torch::Tensor train_scores = anomaly_score(run.score(train_raw, {}, data.train.y));
    const double threshold = torch::quantile(train_scores.to(torch::kFloat64), quantile).item<double>();

    torch::Tensor scores = anomaly_score(run.score(read_rows(argv[2])));       // [M]
    const auto s = scores.accessor<float, 1>();
    int64_t flagged = 0;
    std::printf("index,score,anomalous\n");
    for (int64_t i = 0; i < s.size(0); ++i) {
      const bool anomalous = s[i] > threshold;
      flagged += anomalous;
      std::printf("%lld,%.6g,%d\n", static_cast<long long>(i), s[i], anomalous ? 1 : 0);
    }
    std::fprintf(stderr, "%lld of %lld rows above the threshold %.6g (the %g quantile of %lld training scores)\n",
                 static_cast<long long>(flagged), static_cast<long long>(s.size(0)), threshold, quantile,
                 static_cast<long long>(train_scores.size(0)));
  } catch (const latentkit::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument&) {
    std::fprintf(stderr, "error: QUANTILE must be a number in [0, 1]\n");
    return 2;
  }
  return 0;
}
