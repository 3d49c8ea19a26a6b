#!/usr/bin/env python3
"""Writes a small colour image folder for `latentkit train --data images:DIR`: 3x32x32 PNG files
in four classes, each a coloured pattern at a random phase or place with a little noise:

    OUT/train/<class>/NNN.png   (--train per class, default 200)
    OUT/test/<class>/NNN.png    (--test per class, default 25)

Classes: blue-square, green-columns, red-stripes, yellow-disc. Plain Python (zlib), no imaging
library. Usage: scripts/colour_shapes.py OUT [--train N] [--test N] [--seed S]
"""
import argparse
import pathlib
import random
import struct
import sys
import zlib

SIZE = 32
CLASSES = ["blue-square", "green-columns", "red-stripes", "yellow-disc"]  # sorted: labels 0..3


def pattern(cls, rng):
    """One SIZE x SIZE RGB image of class `cls` as rows of (r, g, b) levels."""
    phase, cx, cy = rng.randrange(8), rng.randrange(6, SIZE - 6), rng.randrange(6, SIZE - 6)
    img = []
    for y in range(SIZE):
        row = []
        for x in range(SIZE):
            if cls == "red-stripes":
                on = (y + phase) % 8 < 4
                px = (210, 40, 40) if on else (30, 20, 20)
            elif cls == "green-columns":
                on = (x + phase) % 8 < 4
                px = (30, 200, 50) if on else (20, 30, 20)
            elif cls == "blue-square":
                on = abs(x - cx) < 6 and abs(y - cy) < 6
                px = (40, 60, 220) if on else (20, 20, 40)
            else:
                on = (x - cx) ** 2 + (y - cy) ** 2 < 36
                px = (220, 210, 40) if on else (30, 30, 20)
            row.append(tuple(max(0, min(255, v + rng.randrange(-8, 9))) for v in px))
        img.append(row)
    return img


def png_bytes(img):
    """RGB rows -> a PNG file (colour type 2, no filtering)."""
    h, w = len(img), len(img[0])
    raw = b"".join(b"\0" + bytes(v for px in row for v in px) for row in img)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_folder(root, rng, train_per_class=200, test_per_class=25):
    """root/{train,test}/<class>/NNN.png; returns {split: [(class index, image)]} in file order."""
    images = {"train": [], "test": []}
    for split, per_class in (("train", train_per_class), ("test", test_per_class)):
        for label, cls in enumerate(CLASSES):
            d = root / split / cls
            d.mkdir(parents=True)
            for i in range(per_class):
                img = pattern(cls, rng)
                (d / f"{i:03d}.png").write_bytes(png_bytes(img))
                images[split].append((label, img))
    return images


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", help="folder to create (must not exist)")
    p.add_argument("--train", type=int, default=200, help="training images per class")
    p.add_argument("--test", type=int, default=25, help="test images per class")
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    out = pathlib.Path(a.out)
    if out.exists():
        sys.exit(f"colour_shapes.py: {out}: exists; give a new folder")
    write_folder(out, random.Random(a.seed), a.train, a.test)
    print(f"{out}: {len(CLASSES) * (a.train + a.test)} images of 3x{SIZE}x{SIZE} in {len(CLASSES)} classes")


if __name__ == "__main__":
    main()
