#!/usr/bin/env python3
"""Export IMDB train/val token ids for the GPU search (run with /work/main/.venv/bin/python).

For each split seed: load IMDB, `split_parts(data, DataConfig(seed=s))` (n_train 25,000 = all, 10 % validation,
exactly as the product), fit a 40,000-word `TextPipeline` on the training part only, and save the untruncated
ragged ids (uint16 flat + int32 lengths) and labels of train and val to bench/gpu_search/data_s{seed}.npz.

The ids of a V-word vocabulary (V <= 40,000) are the 40k ids with every id >= V mapped to 1 ([UNK]): the
vocabulary is frequency-ranked with a stable sort, so its first V entries are the V-word vocabulary.
`--check20k` fits the product's 20k pipeline too and asserts that (seed 0 only).

NOTE: the bench/product (bench/bench_sentiment.py, bench/tune_sentiment.py) vary only the MODEL seed; the
data split is always DataConfig seed 0. data_s0.npz is that split.

    nice -n 19 .venv/bin/python bench/gpu_search/export.py [--seeds 0,1,2] [--keep 0] [--check20k]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

VOCAB = 40_000


def last_ids(flat: np.ndarray, lengths: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row cut to its last `keep` ids (0: keep all)."""
    if not keep:
        return flat, lengths
    ends = np.cumsum(lengths)
    new_len = np.minimum(lengths, keep)
    parts = [flat[e - n:e] for e, n in zip(ends, new_len)]
    return np.concatenate(parts), new_len


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--keep", type=int, default=0, help="keep only the last N ids of each review (0: all)")
    ap.add_argument("--check20k", action="store_true")
    args = ap.parse_args()

    from explorer.data.imdb import load_imdb
    from explorer.data.text_pipeline import TextConfig, TextPipeline
    from explorer.server import settings
    from explorer.tasks.sentiment.encoding import split_parts
    from explorer.tasks.sentiment.presets import DataConfig

    t0 = time.perf_counter()
    data = load_imdb(allow_download=False, configured=settings.load().imdb)
    print(f"loaded {len(data.train)} train / {len(data.test)} test reviews in {time.perf_counter() - t0:.0f}s", flush=True)
    for seed in [int(s) for s in args.seeds.split(",")]:
        t1 = time.perf_counter()
        parts = split_parts(data, DataConfig(seed=seed))
        pipe = TextPipeline.fit(parts.train.texts, TextConfig(vocab_size=VOCAB, max_len=500, mask=True))
        assert pipe.vocab_size <= 65_536
        out = {"vocab_size": np.int32(pipe.vocab_size), "split_seed": np.int32(seed)}
        for name, rev in (("train", parts.train), ("val", parts.val)):
            flat, lengths = pipe._ragged(rev.texts)
            flat, lengths = last_ids(flat, lengths, args.keep)
            out[f"{name}_ids"] = flat.astype(np.uint16)
            out[f"{name}_len"] = lengths.astype(np.int32)
            out[f"{name}_y"] = np.asarray(rev.labels).astype(np.uint8)
        if args.check20k and seed == 0:
            p20 = TextPipeline.fit(parts.train.texts, TextConfig(vocab_size=20_000, max_len=500, mask=True))
            same = p20.vocabulary == pipe.vocabulary[:p20.vocab_size]
            f20, _ = p20._ragged(parts.val.texts)
            f40 = out["val_ids"].astype(np.int32)
            mapped = np.where(f40 >= p20.vocab_size, 1, f40)
            print(f"  20k check: vocab prefix identical={same}, val ids identical={np.array_equal(mapped, f20)}", flush=True)
        path = HERE / f"data_s{seed}.npz"
        np.savez_compressed(path, **out)
        lt, lv = out["train_len"], out["val_len"]
        print(f"seed {seed}: {len(lt)} train / {len(lv)} val, vocab {pipe.vocab_size}, "
              f"median len {int(np.median(lt))}, >256: {np.mean(lt > 256):.2f}, >500: {np.mean(lt > 500):.2f}, "
              f"val pos {out['val_y'].mean():.3f}; {parts.validation}; "
              f"{path.stat().st_size / 2**20:.1f} MiB, {time.perf_counter() - t1:.0f}s", flush=True)


if __name__ == "__main__":
    main()
