"""Time and peak memory of the embedding readers on a GloVe-sized text file.

Writes real GloVe 6B vectors (tiled to ``--dim`` columns if more than 50 are asked for) as
text, word2vec binary and npy, then reads each back with :func:`icaxes.load_embeddings` in
its own subprocess (so peak memory is the reader's own). Prints one JSON line per format.

Usage::

    python benchmarks/bench_readers.py [--rows 400000] [--dim 300] [--dir /tmp/bench]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _write(folder: Path, rows: int, dim: int) -> dict[str, Path]:
    import icaxes

    emb = icaxes.load_embeddings("glove-6b-50d", limit=rows)
    reps = -(-dim // emb.dim)
    vectors = np.tile(emb.vectors, (1, reps))[:, :dim]
    paths = {"text": folder / f"glove_{rows}x{dim}.txt", "bin": folder / f"glove_{rows}x{dim}.bin",
             "npy": folder / f"glove_{rows}x{dim}.npy"}
    if not paths["text"].exists():
        with open(paths["text"], "w", encoding="utf-8") as f:
            for t, row in zip(emb.tokens, vectors, strict=True):
                f.write(t + " " + " ".join(f"{v:.6f}" for v in row) + "\n")
    if not paths["bin"].exists():
        with open(paths["bin"], "wb") as f:
            f.write(f"{len(emb)} {dim}\n".encode())
            for t, row in zip(emb.tokens, vectors, strict=True):
                f.write(t.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n")
    if not paths["npy"].exists():
        np.save(paths["npy"], vectors)
        (folder / "tokens.txt").write_text("\n".join(emb.tokens) + "\n", encoding="utf-8")
    return paths


CHILD = """
import json, resource, sys, time
import icaxes
path, tokens = sys.argv[1], sys.argv[2] or None
t = time.perf_counter()
emb = icaxes.load_embeddings(path, tokens_path=tokens)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": len(emb), "dim": emb.dim, "seconds": round(dt, 2),
                  "peak_rss_mb": round(peak), "matrix_mb": round(emb.vectors.nbytes / 2**20)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--dir", type=Path, default=Path("bench-data"))
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    paths = _write(args.dir, args.rows, args.dim)
    for fmt, path in paths.items():
        tokens = str(args.dir / "tokens.txt") if fmt == "npy" else ""
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", CHILD, str(path), tokens], capture_output=True,
                             text=True, check=True)
        row = json.loads(res.stdout.strip().splitlines()[-1])
        row.update(format=fmt, file_mb=round(path.stat().st_size / 2**20),
                   process_seconds=round(time.perf_counter() - t, 2))
        print(json.dumps(row))


if __name__ == "__main__":
    main()
