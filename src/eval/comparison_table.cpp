#include "latentkit/eval/comparison_table.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace latentkit {
namespace {

std::string fixed_or_dash(double v, int decimals) {
  if (std::isnan(v)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// 1234567 -> "1,234,567"
std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

const char* nll_kind_name(NllKind k) {
  switch (k) {
    case NllKind::None: return "";
    case NllKind::Exact: return "exact";
    case NllKind::DequantBound: return "dequantisation bound";
    case NllKind::IwaeBound: return "IWAE bound";
  }
  return "";
}

// The NLL cell: "≤ " marks an upper bound; "†" a likelihood not of the 8-bit images.
std::string nll_cell(const ComparisonRow& r, double value, int decimals) {
  if (r.nll_kind == NllKind::None || std::isnan(value)) return "—";
  std::string cell = (r.nll_kind == NllKind::Exact ? "" : "≤ ") + fixed_or_dash(value, decimals);
  if (!r.nll_on_8bit_scale) cell += " †";
  return cell;
}

}  // namespace

std::string comparison_markdown(const std::vector<ComparisonRow>& rows, const ComparisonReference& ref) {
  std::ostringstream md;
  md << "| model | parameters | epochs | train s | test MSE | test BCE | NLL nats | bits/dim | "
        "FD prior | FD gmm:" << ref.gmm_components << " | " << ref.knn_k << "-NN acc |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  bool any_foreign_scale = false;
  for (const auto& r : rows) {
    if (r.nll_kind != NllKind::None && !r.nll_on_8bit_scale) any_foreign_scale = true;
    std::string fd_prior = fixed_or_dash(r.fd_prior, 2);
    if (!std::isnan(r.fd_prior) && r.prior_sampler != "prior") fd_prior += " (" + r.prior_sampler + ")";
    md << "| " << r.name << " | " << with_thousands(r.parameters) << " | " << r.epochs << " | "
       << fixed_or_dash(r.train_seconds, 1) << " | " << fixed_or_dash(r.mse, 2) << " | "
       << fixed_or_dash(r.bce, 2) << " | " << nll_cell(r, r.nll_nats, 2) << " | "
       << nll_cell(r, r.bits_per_dim, 4) << " | " << fd_prior << " | " << fixed_or_dash(r.fd_gmm, 2)
       << " | " << (std::isnan(r.knn_accuracy) ? "—" : fixed_or_dash(100 * r.knn_accuracy, 2) + "%")
       << " |\n";
  }
  md << "\n";
  if (!ref.budget.empty()) md << "Budget: " << ref.budget << ".\n\n";
  md << "- NLL: test negative log-likelihood per image; bits/dim divides it by D ln 2. \"≤\" marks "
        "an upper bound (the dequantisation bound for flows and mixtures, the IWAE bound for VAEs).\n";
  if (any_foreign_scale)
    md << "- †: the model's own likelihood (a Bernoulli decoder on grey levels is not a probability "
          "of 8-bit images), so it is not comparable with the unmarked rows.\n";
  md << "- FD: Fréchet distance between generated and test images in the feature space of "
        "latentkit's own classifier (not the Inception FID); \"gaussian\" marks a Gaussian fitted "
        "to the training codes where the model has no prior.";
  if (!std::isnan(ref.classifier_accuracy))
    md << " The classifier's test accuracy is " << fixed_or_dash(100 * ref.classifier_accuracy, 2) << "%.";
  if (!std::isnan(ref.fd_real)) md << " Two real sets (train vs test) are " << fixed_or_dash(ref.fd_real, 2) << " apart.";
  md << "\n";
  md << "- FD gmm:" << ref.gmm_components << ": samples decoded from a " << ref.gmm_components
     << "-component Gaussian mixture fitted by EM to (up to 20,000) training codes; full "
        "covariances, diagonal ones for codes wider than 64.\n";
  md << "- " << ref.knn_k << "-NN acc: test codes classified by their " << ref.knn_k
     << " nearest training codes.";
  if (!std::isnan(ref.knn_pixels)) md << " Raw pixels give " << fixed_or_dash(100 * ref.knn_pixels, 2) << "%.";
  md << "\n";
  return md.str();
}

std::string comparison_csv(const std::vector<ComparisonRow>& rows) {
  std::ostringstream csv;
  csv << "model,kind,parameters,epochs,train_seconds,test_mse,test_bce,nll_nats,bits_per_dim,"
         "nll_kind,iwae_k,nll_on_8bit_scale,prior_sampler,fd_prior,fd_gmm,knn_accuracy\n";
  for (const auto& r : rows) {
    const bool nll = r.nll_kind != NllKind::None;
    csv << r.name << ',' << r.kind << ',' << r.parameters << ',' << r.epochs << ','
        << csv_number(r.train_seconds) << ',' << csv_number(r.mse) << ',' << csv_number(r.bce) << ','
        << (nll ? csv_number(r.nll_nats) : "") << ',' << (nll ? csv_number(r.bits_per_dim) : "") << ','
        << nll_kind_name(r.nll_kind) << ',' << (r.nll_kind == NllKind::IwaeBound ? std::to_string(r.iwae_k) : "")
        << ',' << (nll ? (r.nll_on_8bit_scale ? "1" : "0") : "") << ',' << r.prior_sampler << ','
        << csv_number(r.fd_prior) << ',' << csv_number(r.fd_gmm) << ',' << csv_number(r.knn_accuracy)
        << '\n';
  }
  return csv.str();
}

}  // namespace latentkit
