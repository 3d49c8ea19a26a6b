// Trains a model from C++ into a run directory, then opens it and reports a figure.
//   train_model DATA OUT_DIR [KIND] [EPOCHS]
// DATA is a --data source (fashion-mnist, idx:DIR, csv:FILE, npy:FILE, moons, ...). The run
// directory is the same as `latentkit train` makes: `latentkit eval OUT_DIR` reads it.
#include <latentkit/latentkit.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: %s DATA OUT_DIR [KIND] [EPOCHS]\n", argv[0]);
    return 2;
  }
  try {
    latentkit::RunConfig config;
    config.data.source = argv[1];
    config.data.limit = 2000;                                     // a quick run
    config.model = latentkit::default_config(argc > 3 ? argv[3] : "vae");
    if (auto* network = config.model.options.find<latentkit::NetworkOptions>())
      network->latent_dim = 2;                                    // a 2-D code, to plot
    config.train.epochs = argc > 4 ? std::stoll(argv[4]) : 2;
    // Fills in what the data decides (input size, image shape, the decoder's likelihood).
    latentkit::PreparedRun prepared = latentkit::prepare_run(config, nullptr);
    latentkit::TrainingRunOptions options;
    options.trainer.quiet = true;
    latentkit::train_prepared(prepared, argv[2], nullptr, options);

    latentkit::TrainedModel run = latentkit::TrainedModel::open(argv[2]);
    latentkit::Dataset data = run.dataset();
    torch::Tensor errors = run.score(run.to_raw(data.test.x), {}, data.test.y).reconstruction_error;
    std::printf("trained %s on %s for %lld epochs into %s: test reconstruction error %.4f\n",
                run.kind().c_str(), argv[1], static_cast<long long>(config.train.epochs), argv[2],
                errors.mean().item<double>());
  } catch (const latentkit::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const latentkit::TrainingDiverged& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
