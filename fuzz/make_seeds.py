"""Writes the seed corpora in fuzz/corpus/: a few small valid inputs per target, from which the
fuzzers mutate. Run with Debian's /usr/bin/python3 (numpy) from the project root:
    /usr/bin/python3 fuzz/make_seeds.py
The config seeds besides "{}" are runs' config.json files. The JPEG seed is written by stb_image_write through a throwaway C program (cc and libstb-dev).
"""
import gzip
import io
import json
import pathlib
import struct
import subprocess
import tempfile
import zlib

import numpy

root = pathlib.Path(__file__).resolve().parent / "corpus"


def put(target, name, data):
    d = root / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def idx(array, code):
    header = struct.pack(">HBB", 0, code, array.ndim) + b"".join(struct.pack(">I", n) for n in array.shape)
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    return header + array.astype(dtype).tobytes()


rng = numpy.random.default_rng(0)
images = rng.integers(0, 256, size=(2, 3, 3))
put("idx", "images-ubyte", idx(images, 0x08))
put("idx", "labels-ubyte", idx(numpy.array([3, 7]), 0x08))
put("idx", "floats", idx(rng.random((2, 2)), 0x0D))
put("idx", "images-ubyte.gz", gzip.compress(idx(images, 0x08), mtime=0))

put("gzip", "text.gz", gzip.compress(b"1,2,3\n4,5,6\n", mtime=0))
put("gzip", "two-members.gz", gzip.compress(b"ab", mtime=0) + gzip.compress(b"cd", mtime=0))
put("gzip", "empty.gz", gzip.compress(b"", mtime=0))

put("csv", "header.csv", "a,b,label\n1,2,0\n3.5,-4e2,1\n")
put("csv", "plain.csv", "1,2,3\n4,5,6\n")
put("csv", "crlf.csv", "x,y\r\n0.25,0.5\r\n1,2\r\n")
put("csv", "table.csv.gz", gzip.compress(b"1,2\n3,4\n", mtime=0))


def npy(array, fortran=False):
    buf = io.BytesIO()
    numpy.save(buf, numpy.asfortranarray(array) if fortran else array)
    return buf.getvalue()


put("npy", "uint8.npy", npy(rng.integers(0, 256, size=(4, 3)).astype(numpy.uint8)))
put("npy", "float32.npy", npy(rng.random((2, 2)).astype(numpy.float32)))
put("npy", "float64-fortran.npy", npy(rng.random((3, 2)), fortran=True))
put("npy", "images.npy", npy(rng.integers(0, 256, size=(2, 1, 3, 3)).astype(numpy.uint8)))
put("npy", "int64.npy", npy(numpy.arange(6, dtype=numpy.int64).reshape(3, 2)))


def png(pixels, colour):
    h, w = pixels.shape[:2]
    raw = b"".join(b"\x00" + pixels[y].astype(numpy.uint8).tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2 if colour else 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


put("image", "grey.png", png(rng.integers(0, 256, size=(4, 4)), False))
put("image", "rgb.png", png(rng.integers(0, 256, size=(3, 2, 3)), True))
with tempfile.TemporaryDirectory() as tmp:
    c = pathlib.Path(tmp) / "jpeg.c"
    c.write_text('#include <stb/stb_image_write.h>\nint main(int c, char** v) { unsigned char p[4 * 4 * 3];'
                 ' for (int i = 0; i < 48; ++i) p[i] = (unsigned char)(i * 5);'
                 ' return !stbi_write_jpg(v[1], 4, 4, 3, p, 90); }\n')
    exe = pathlib.Path(tmp) / "jpeg"
    subprocess.run(["cc", str(c), "-o", str(exe), "-lstb"], check=True)
    subprocess.run([str(exe), str(root / "image" / "rgb.jpg")], check=True)

put("request", "rows.json", json.dumps({"rows": [[1, 2.5], [3, -4e-3]], "labels": [0, 1]}))
put("request", "indices.txt", "0,5-7,9")
put("request", "big-number.json", '{"rows": [[1e39, 0]]}')
put("request", "nested.json", '{"rows": [[[1]]], "labels": "x"}')

put("config", "empty-object.json", "{}")
# The checkpoint seeds (vae.pt, flow2d.pt) are checkpoints/last.pt of tiny runs:
#   latentkit train --model vae --data moons --limit 100 --hidden 4 --latent 2 --epochs 1
#   latentkit train --model flow2d --data moons --limit 100 --flow-steps 1 --flow-hidden 4 --epochs 1
# The other config seeds are config.json files of runs `latentkit train` wrote (vae, cvae, flow2d,
# realnvp), copied by hand: they follow the format the options tables give.
print("wrote", sum(1 for _ in root.rglob("*") if _.is_file()), "seeds under", root)
