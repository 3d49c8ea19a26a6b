#pragma once
// latentkit's public API in one include, for programs that embed it (docs/API.md):
//   TrainedModel  open a trained run and encode, decode, reconstruct, score, sample raw data
//   prepare_run, train_prepared, Trainer   train a model from C++ into a run directory
//   load_dataset, read_idx, read_npy, read_csv   data as latentkit reads it
//   model_catalog, make_model   the kinds and their traits
//   write_image_grid, encode_png   pictures
#include "latentkit/api/trained_model.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/data/dataset.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/exec/execution.h"
#include "latentkit/models/model.h"
#include "latentkit/models/network.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/train/run_config.h"
#include "latentkit/train/trainer.h"
#include "latentkit/train/training_run.h"
#include "latentkit/version.h"
#include "latentkit/viz/image_grid.h"
