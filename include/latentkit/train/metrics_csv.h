#pragma once
// metrics.csv beside a run's metrics.jsonl, for spreadsheets and pandas: one row per epoch, the
// JSON objects flattened ("train": {"loss": ..} becomes the column train_loss).
#include <string>

namespace latentkit {

// Rewrites `csv_path` (atomically) from every line of `jsonl_path`. Columns are the union of the
// lines' flattened keys: epoch, train_loss, the other train_ terms, test_loss, the other test_
// terms, then the rest (seconds, ...); a key a line lacks (the deep autoencoder's pretraining
// epochs have other terms) is an empty cell. Numbers are written with
// 17 significant digits, so the CSV holds the log's values exactly. Throws InputError naming
// jsonl_path for a line that is not a JSON object.
void write_metrics_csv(const std::string& jsonl_path, const std::string& csv_path);

}  // namespace latentkit
