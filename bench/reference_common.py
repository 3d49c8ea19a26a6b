"""What bench/reference_ae.py and bench/reference_realnvp.py share: the training set limited as
latentkit's --limit limits it, parameter counts, loading a latentkit checkpoint's weights, and
their command line (one JSON line per epoch)."""

import argparse
import json
import sys

import torch

from reference_vae import DEFAULT_DATA_DIR, DataError, load_fashion_mnist


def load(data_dir=DEFAULT_DATA_DIR, limit=0):
    """(train_x [N, 784], test_x [10000, 784]) = level / 255; limit > 0 keeps the first `limit`
    training images (latentkit's --limit); the test set is never limited."""
    train_x, test_x = load_fashion_mnist(data_dir)
    if limit and limit < train_x.shape[0]:
        train_x = train_x[:limit].clone()
    return train_x, test_x


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def load_latentkit_weights(model, checkpoint_path):
    """Loads the model tensors of a latentkit checkpoint (run/checkpoints/last.pt) into model,
    whose state_dict names must be latentkit's (e.g. encoder.0.weight)."""
    checkpoint = torch.load(checkpoint_path)
    model.load_state_dict(checkpoint["model"])
    return model


def positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text}")
    return value


def main(prog, doc, train, seed, batch_size, lr, argv=None):
    """The scripts' command line: parses argv, loads the data and prints train()'s records,
    one JSON line per epoch. train(train_x, test_x, epochs=, seed=, batch_size=, lr=, threads=,
    on_epoch=) is the script's own. Returns the exit status (2 for missing data)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="torch.set_num_threads (default: torch's default)")
    parser.add_argument("--seed", type=non_negative_int, default=seed,
                        help=f"torch.manual_seed before initialisation (default {seed}, "
                             "latentkit's default --seed)")
    parser.add_argument("--batch-size", type=positive_int, default=batch_size)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--limit", type=non_negative_int, default=0,
                        help="train on the first N training images (0: all 60000); the test "
                             "set is unchanged")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR,
                        help=f"directory holding the Fashion-MNIST .gz files ({DEFAULT_DATA_DIR})")
    args = parser.parse_args(argv)
    try:
        train_x, test_x = load(args.data_dir, args.limit)
    except DataError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2

    def emit(record):
        print(json.dumps(record), flush=True)

    train(train_x, test_x, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size,
          lr=args.lr, threads=args.threads, on_epoch=emit)
    return 0
