#!/usr/bin/env python3
"""Validation-only hyperparameter search around the "Best" sentiment preset, on one GPU, Keras 3 on JAX.

    KERAS_BACKEND=jax python3 bench/gpu_search/search.py --out DIR [--budget 430] [--workers 10] [--variants a,b] [--smoke]

Reads bench/gpu_search/data_s{split}.npz (written by bench/gpu_search/export.py: untruncated 40k-vocabulary ids of the product's
training and validation reviews). Never sees a test review.

Faithful to the product's training (explorer.tasks.sentiment.presets.BEST, explorer.tasks.sentiment.run.fit, explorer.train.training):
- same split (the bench/tuner hold the DATA split at seed 0 and vary the MODEL seed; `--split per-seed` uses
  split s for model seed s instead), same vocabulary (ids >= V mapped to [UNK] = 1, checked identical to the
  product's 20k pipeline), same truncation (keep_end = the product's front padding);
- the SAME batches as the product: `explorer.data.buckets.groups` (reviews of one 16-word length class per batch,
  fewer than batch_size rows past 256 words, reshuffled every epoch from default_rng(seed));
- each batch is padded with zeros to a fixed bucket length (--buckets, default 128, 256, max_len) and with
  dummy rows (weight 0) to batch_size rows, so XLA compiles few shapes. With the padding masked the outputs
  are the product's; the loss is sum(w * bce) / sum(w) = the product's batch mean; nothing is dropped;
- Adam (Keras, same defaults), binary cross-entropy (Keras' clipped form), the val loss / accuracy over the
  whole validation split after every epoch, Keras EarlyStopping semantics (val loss, patience, keep the best
  epoch), cosine = keras CosineDecay(lr, epochs * batches per epoch) stepped per batch as the product does;
- initialisation as explorer.nn.models.build_model (seeded Orthogonal / GlorotUniform, the same seeds for both
  directions as the product's Bidirectional clone, LSTM forget bias 1, embedding uniform ±0.05).
Differences: RNG streams (JAX vs TensorFlow), float op order, and `--rnn fused` (default) runs both
directions of a layer in one lax.scan with the input projection hoisted out of the loop (same math;
tests/check in this file: `--check-fused`). `--rnn keras` uses keras.layers.GRU/LSTM + Bidirectional.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from explorer.data.buckets import batch_length, cut, groups  # noqa: E402  (numpy only, no TensorFlow)
from explorer.data.text_pipeline import pad  # noqa: E402

BASE = dict(cell="GRU", units=64, embedding_dim=64, vocab=20_000, max_len=500, trunc="keep_end", layers=1,
            bidirectional=True, dropout=0.5, word_dropout=0.5, head_dropout=0.0, readout="meanmax", lr=1e-3,
            batch_size=128, max_epochs=4, patience=1, schedule="constant")
VARIANTS = {
    "base": {},
    "v40k": dict(vocab=40_000),
    "v10k": dict(vocab=10_000),
    "len1000": dict(max_len=1000),
    "keepstart": dict(trunc="keep_start"),
    "emb128": dict(embedding_dim=128),
    "u128": dict(units=128),
    "lstm": dict(cell="LSTM"),
    "l2": dict(layers=2),
    "b64": dict(batch_size=64),
    "lr2e3": dict(lr=2e-3),
    "wd03": dict(word_dropout=0.3),
    "do03": dict(dropout=0.3),
    "max": dict(readout="max"),
    "cos6": dict(schedule="cosine", lr=2e-3, max_epochs=6, patience=6),
    "hd05": dict(head_dropout=0.5),
    "e6p2": dict(max_epochs=6, patience=2),
    "v40k_emb128": dict(vocab=40_000, embedding_dim=128),
}
# The product's own figures (TensorFlow, CPU): validation accuracy of the kept epoch, model seeds 0, 1, 2.
REFERENCE = {"seeds": [0, 1, 2], "val_acc": [0.8592, 0.8696, 0.8696]}
LONG_BUCKETS = (128, 256)
EPS = 1e-7  # keras.backend.epsilon(): Keras' binary cross-entropy clips probabilities to [eps, 1 - eps]


# ---------------------------------------------------------------- data (numpy only)

def load_split(path: Path) -> dict:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def encode(d: dict, part: str, k: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows (n, max_len) uint16 padded like the product, lengths min(len, max_len), labels float32)."""
    flat = d[f"{part}_ids"].astype(np.int32)
    flat = np.where(flat >= k["vocab"], 1, flat)  # a V-word vocabulary: rarer words are [UNK]
    lengths = d[f"{part}_len"].astype(np.int64)
    padding = "front" if k["trunc"] == "keep_end" else "end"
    rows = pad(flat, lengths, k["max_len"], padding).astype(np.uint16)
    return rows, np.minimum(lengths, k["max_len"]), d[f"{part}_y"].astype(np.float32)


def bucket_of(t: int, buckets: list[int]) -> int:
    return next(b for b in buckets if b >= t)


class Batcher:
    """Fixed-shape (batch_size, bucket) batches of the product's length-class batches."""

    def __init__(self, rows, lengths, y, batch_size, max_len, padding, buckets, mode="product"):
        self.rows, self.lengths, self.y = rows, lengths, y
        self.bs, self.max_len, self.padding, self.mode = batch_size, max_len, padding, mode
        self.buckets = sorted({b for b in buckets if b < max_len} | {max_len})
        self.by_length = mode == "product"
        self.n_batches = len(groups(lengths, batch_size, None, self.by_length))

    def epoch(self, rng):
        """Index batches of one pass (rng None: fixed order, for scoring)."""
        return groups(self.lengths, self.bs, rng, self.by_length)[:self.n_batches]

    def shapes(self) -> list[int]:
        return sorted({self.bucket(idx) for idx in groups(self.lengths, self.bs, None, self.by_length)})

    def bucket(self, idx) -> int:
        return bucket_of(batch_length(self.lengths[idx], self.max_len), self.buckets)

    def make(self, idx):
        t = self.bucket(idx)
        xb = cut(self.rows[idx], t, self.padding).astype(np.int32)
        n = len(idx)
        x = np.zeros((self.bs, t), np.int32)
        x[:n] = xb
        if n < self.bs:  # dummy rows: one [UNK] word (an all-padding row would make the masked mean 0/0)
            x[n:, -1 if self.padding == "front" else 0] = 1
        y = np.zeros(self.bs, np.float32)
        y[:n] = self.y[idx]
        w = np.zeros(self.bs, np.float32)
        w[:n] = 1.0
        return t, x, y, w


# ---------------------------------------------------------------- model (Keras 3 on JAX; imported in workers)

def define_layers():
    import jax
    import jax.numpy as jnp
    import keras

    class MaskedGlobalMaxPooling1D(keras.layers.Layer):
        """explorer.nn.models.MaskedGlobalMaxPooling1D (copied)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is None:
                return keras.ops.max(inputs, axis=1)
            keep = keras.ops.cast(mask, "bool")[:, :, None]
            low = keras.ops.min(inputs) - 1.0
            pooled = keras.ops.max(keras.ops.where(keep, inputs, low), axis=1)
            return keras.ops.where(keras.ops.any(keep, axis=1), pooled, 0.0)

        def compute_mask(self, inputs, mask=None):
            return None

        def compute_output_shape(self, input_shape):
            return (input_shape[0], input_shape[2])

    class MaskedMeanMaxPooling1D(keras.layers.Layer):
        """explorer.nn.models.MaskedMeanMaxPooling1D, copied: that module imports TensorFlow, which the GPU image lacks."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True
            self.mean = keras.layers.GlobalAveragePooling1D()
            self.max = MaskedGlobalMaxPooling1D()

        def call(self, inputs, mask=None):
            return keras.ops.concatenate([self.mean(inputs, mask=mask), self.max(inputs, mask=mask)], axis=-1)

        def compute_mask(self, inputs, mask=None):
            return None

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2 * input_shape[2])

    class FusedRNN(keras.layers.Layer):
        """Bidirectional(GRU|LSTM(units, dropout, return_sequences=True)) as built by explorer.nn.models, in one scan.

        Same weights per direction as Keras' cells (kernel, recurrent_kernel, bias; GRU reset_after=True),
        the same initialisers (seeded, so both directions start equal, as in the product), variational input
        dropout (one mask per sequence and direction), masked steps carry the state and output zeros.
        """

        def __init__(self, cell, units, bidirectional, dropout, seed, unroll=1, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True
            self.cell, self.units, self.ndir = cell, int(units), 2 if bidirectional else 1
            self.dropout, self.seed, self.unroll = float(dropout), int(seed), int(unroll)
            self.seed_generator = keras.random.SeedGenerator(seed + 5)

        def build(self, input_shape):
            f, u = input_shape[-1], self.units
            g = 3 if self.cell == "GRU" else 4
            self.kernels, self.recs, self.biases = [], [], []
            for d in range(self.ndir):
                self.kernels.append(self.add_weight(shape=(f, g * u), name=f"kernel_{d}",
                                                    initializer=keras.initializers.GlorotUniform(seed=self.seed + 1)))
                self.recs.append(self.add_weight(shape=(u, g * u), name=f"recurrent_kernel_{d}",
                                                 initializer=keras.initializers.Orthogonal(gain=1.0, seed=self.seed)))
                if self.cell == "GRU":
                    self.biases.append(self.add_weight(shape=(2, 3 * u), name=f"bias_{d}", initializer="zeros"))
                else:
                    def forget_one(shape, dtype=None, u=u):
                        return keras.ops.concatenate([keras.ops.zeros((u,)), keras.ops.ones((u,)),
                                                      keras.ops.zeros((2 * u,))])
                    self.biases.append(self.add_weight(shape=(4 * u,), name=f"bias_{d}", initializer=forget_one))

        def call(self, inputs, mask=None, training=False):
            x = inputs
            b, t, f = x.shape[0], x.shape[1], x.shape[2]
            m = jnp.ones(x.shape[:2], bool) if mask is None else mask.astype(bool)
            ps, ms, rec_b = [], [], []
            for d in range(self.ndir):
                xd = x
                if training and 0.0 < self.dropout < 1.0:
                    keep = keras.random.dropout(jnp.ones((b, f), x.dtype), rate=self.dropout, seed=self.seed_generator)
                    xd = x * keep[:, None, :]
                bias = self.biases[d].value
                p = jnp.matmul(xd, self.kernels[d].value) + (bias[0] if self.cell == "GRU" else bias)
                md = m
                if d == 1:
                    p, md = jnp.flip(p, 1), jnp.flip(m, 1)
                ps.append(p)
                ms.append(md)
                if self.cell == "GRU":
                    rec_b.append(bias[1])
            p_all = jnp.transpose(jnp.stack(ps), (2, 0, 1, 3))  # (T, D, B, G*u)
            m_all = jnp.transpose(jnp.stack(ms), (2, 0, 1))[..., None]  # (T, D, B, 1)
            rk = jnp.stack([r.value for r in self.recs])  # (D, u, G*u)
            u = self.units
            if self.cell == "GRU":
                rb = jnp.stack(rec_b)[:, None, :]

                def step(h, inp):
                    pt, mt = inp
                    inner = jnp.einsum("dbu,dug->dbg", h, rk) + rb
                    xz, xr, xh = pt[..., :u], pt[..., u:2 * u], pt[..., 2 * u:]
                    hz, hr, hh = inner[..., :u], inner[..., u:2 * u], inner[..., 2 * u:]
                    z = jax.nn.sigmoid(xz + hz)
                    r = jax.nn.sigmoid(xr + hr)
                    cand = jnp.tanh(xh + r * hh)
                    hn = z * h + (1.0 - z) * cand
                    hn = jnp.where(mt, hn, h)
                    return hn, jnp.where(mt, hn, 0.0)

                h0 = jnp.zeros((self.ndir, b, u), x.dtype)
                _, ys = jax.lax.scan(step, h0, (p_all, m_all), unroll=self.unroll)
            else:
                def step(carry, inp):
                    h, c = carry
                    pt, mt = inp
                    zz = pt + jnp.einsum("dbu,dug->dbg", h, rk)
                    i = jax.nn.sigmoid(zz[..., :u])
                    fg = jax.nn.sigmoid(zz[..., u:2 * u])
                    cn = fg * c + i * jnp.tanh(zz[..., 2 * u:3 * u])
                    o = jax.nn.sigmoid(zz[..., 3 * u:])
                    hn = o * jnp.tanh(cn)
                    hn, cn = jnp.where(mt, hn, h), jnp.where(mt, cn, c)
                    return (hn, cn), jnp.where(mt, hn, 0.0)

                z0 = jnp.zeros((self.ndir, b, u), x.dtype)
                _, ys = jax.lax.scan(step, (z0, z0), (p_all, m_all), unroll=self.unroll)
            outs = [jnp.transpose(ys[:, 0], (1, 0, 2))]  # (B, T, u)
            if self.ndir == 2:
                outs.append(jnp.flip(jnp.transpose(ys[:, 1], (1, 0, 2)), 1))
            return jnp.concatenate(outs, -1)

        def compute_mask(self, inputs, mask=None):
            return mask

        def compute_output_shape(self, input_shape):
            return (input_shape[0], input_shape[1], self.ndir * self.units)

    return dict(MaskedGlobalMaxPooling1D=MaskedGlobalMaxPooling1D, MaskedMeanMaxPooling1D=MaskedMeanMaxPooling1D,
                FusedRNN=FusedRNN)


def patch_keras_scan(unroll: int) -> None:
    """Make Keras' JAX RNN loop (the masked path of keras.layers.GRU/LSTM) use lax.scan(unroll=...)."""
    import functools

    import importlib

    import jax

    krnn = importlib.import_module("keras.src.backend.jax.rnn")  # the module (the package attribute is the function)

    class _Lax:
        def __getattr__(self, name):
            return getattr(jax.lax, name)

        scan = staticmethod(functools.partial(jax.lax.scan, unroll=unroll))

    krnn.lax = _Lax()


def build_model(k: dict, seed: int, impl: str, unroll: int, L: dict):
    """explorer.nn.models.build_model for the Best preset's family, with k's knobs."""
    import random

    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(k["vocab"], k["embedding_dim"], mask_zero=True, name="embedding")(inputs)
    if k["word_dropout"]:
        x = keras.layers.Dropout(k["word_dropout"], noise_shape=(None, None, 1), seed=seed + 3, name="word_dropout")(x)
    if k["readout"] not in ("meanmax", "max", "mean"):
        raise ValueError("readout must be meanmax, max or mean")
    for i in range(k["layers"]):
        s = seed + 10 * i
        if impl == "fused":
            x = L["FusedRNN"](k["cell"], k["units"], k["bidirectional"], k["dropout"], s, unroll, name=f"rnn_{i}")(x)
        else:
            cls = {"GRU": keras.layers.GRU, "LSTM": keras.layers.LSTM}[k["cell"]]
            layer = cls(units=k["units"], dropout=k["dropout"], return_sequences=True,
                        recurrent_initializer=keras.initializers.Orthogonal(gain=1.0, seed=s),
                        kernel_initializer=keras.initializers.GlorotUniform(seed=s + 1), name=f"rnn_{i}")
            if k["bidirectional"]:
                layer = keras.layers.Bidirectional(layer, name=f"bi_rnn_{i}")
            x = layer(x)
    pool = {"meanmax": L["MaskedMeanMaxPooling1D"], "max": L["MaskedGlobalMaxPooling1D"],
            "mean": keras.layers.GlobalAveragePooling1D}[k["readout"]]
    x = pool(name="readout")(x)
    if k["head_dropout"]:
        x = keras.layers.Dropout(k["head_dropout"], seed=seed + 2, name="head_dropout")(x)
    out = keras.layers.Dense(1, activation="sigmoid", name="head")(x)
    return keras.Model(inputs, out, name="best_search")


# ---------------------------------------------------------------- one job

def run_job(job: dict, opts: dict, data_cache: dict, L: dict, report) -> dict:
    import jax
    import jax.numpy as jnp
    import keras

    k, seed = job["knobs"], job["seed"]
    t_start = time.perf_counter()
    split = 0 if opts["split"] == "fixed0" else seed
    if split not in data_cache:
        data_cache[split] = load_split(HERE / f"data_s{split}.npz")
    d = data_cache[split]
    tr_rows, tr_len, tr_y = encode(d, "train", k)
    va_rows, va_len, va_y = encode(d, "val", k)
    if opts["n_train"]:
        pick = np.sort(np.random.default_rng(123).permutation(len(tr_y))[:opts["n_train"]])
        tr_rows, tr_len, tr_y = tr_rows[pick], tr_len[pick], tr_y[pick]
    if opts["n_val"]:
        pick = np.sort(np.random.default_rng(321).permutation(len(va_y))[:opts["n_val"]])
        va_rows, va_len, va_y = va_rows[pick], va_len[pick], va_y[pick]
    padding = "front" if k["trunc"] == "keep_end" else "end"
    train_b = Batcher(tr_rows, tr_len, tr_y, k["batch_size"], k["max_len"], padding, opts["buckets"], opts["batching"])
    val_b = Batcher(va_rows, va_len, va_y, opts["eval_batch"], k["max_len"], padding, opts["buckets"], "product")

    keras.backend.clear_session()
    model = build_model(k, seed, opts["rnn"], opts["unroll"], L)
    if k["schedule"] == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(k["lr"], max(1, k["max_epochs"] * train_b.n_batches))
    else:
        lr = k["lr"]
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    optimizer.build(model.trainable_variables)
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]
    ov = [v.value for v in optimizer.variables]

    def train_step(tv, ntv, ov, x, y, w):
        def loss_fn(tv, ntv):
            p, ntv2 = model.stateless_call(tv, ntv, x, training=True)
            p = jnp.clip(p[:, 0], EPS, 1.0 - EPS)
            bce = -(y * jnp.log(p) + (1.0 - y) * jnp.log(1.0 - p))
            s, n = jnp.sum(w * bce), jnp.sum(w)
            return s / n, (ntv2, s)

        (_, (ntv2, s)), grads = jax.value_and_grad(loss_fn, has_aux=True)(tv, ntv)
        tv2, ov2 = optimizer.stateless_apply(ov, grads, tv)
        return tv2, ntv2, ov2, s

    def eval_step(tv, ntv, x):
        p, _ = model.stateless_call(tv, ntv, x, training=False)
        return p[:, 0]

    # compile every shape this job needs up front (lowering in this thread, XLA compiles in parallel threads)
    t_c = time.perf_counter()
    jt = jax.jit(train_step, donate_argnums=(0, 1, 2))
    je = jax.jit(eval_step)
    spec = lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype)  # noqa: E731
    state_specs = [jax.tree_util.tree_map(spec, s) for s in (tv, ntv, ov)]
    lowered = {}
    for t in train_b.shapes():
        xs = jax.ShapeDtypeStruct((train_b.bs, t), jnp.int32)
        fs = jax.ShapeDtypeStruct((train_b.bs,), jnp.float32)
        lowered[("train", t)] = jt.lower(*state_specs, xs, fs, fs)
    for t in val_b.shapes():
        lowered[("eval", t)] = je.lower(state_specs[0], state_specs[1], jax.ShapeDtypeStruct((val_b.bs, t), jnp.int32))
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max(1, min(len(lowered), opts["compile_threads"]))) as ex:
        futs = {key: ex.submit(low.compile) for key, low in lowered.items()}
        compiled = {key: f.result() for key, f in futs.items()}
    compile_s = time.perf_counter() - t_c

    rng = np.random.default_rng(seed)  # explorer.data.buckets.length_batches: one generator, a new order each epoch
    hist = dict(train_loss=[], val_loss=[], val_acc=[], epoch_s=[])
    best, best_epoch, wait, status = math.inf, 0, 0, "finished"
    for epoch in range(1, k["max_epochs"] + 1):
        t0 = time.perf_counter()
        sums = []
        for idx in train_b.epoch(rng):
            t, x, y, w = train_b.make(idx)
            tv, ntv, ov, s = compiled[("train", t)](tv, ntv, ov, x, y, w)
            sums.append(s)
        train_loss = float(np.sum(jax.device_get(sums))) / len(tr_y)
        probs = np.zeros(len(va_y), np.float64)
        outs = []
        for idx in val_b.epoch(None):
            t, x, _, _ = val_b.make(idx)
            outs.append((idx, compiled[("eval", t)](tv, ntv, x)))
        for idx, p in outs:
            probs[idx] = np.asarray(p)[:len(idx)]
        pc = np.clip(probs, EPS, 1 - EPS)
        val_loss = float(np.mean(-(va_y * np.log(pc) + (1 - va_y) * np.log(1 - pc))))
        val_acc = float(np.mean((probs > 0.5) == (va_y > 0.5)))
        sec = time.perf_counter() - t0
        for key, v in (("train_loss", train_loss), ("val_loss", val_loss), ("val_acc", val_acc), ("epoch_s", sec)):
            hist[key].append(round(v, 5) if key != "epoch_s" else round(v, 2))
        report("epoch", dict(epoch=epoch, train_loss=round(train_loss, 4), val_loss=round(val_loss, 4),
                             val_acc=round(val_acc, 4), s=round(sec, 1)))
        if not math.isfinite(val_loss) or not math.isfinite(train_loss):
            status = "diverged"
            break
        # keras.callbacks.EarlyStopping(monitor="val_loss", patience, restore_best_weights=True)
        if val_loss < best:
            best, best_epoch, wait = val_loss, epoch, 0
        else:
            wait += 1
            if k["patience"] > 0 and wait >= k["patience"]:
                status = "stopped_early"
                break
    if k["patience"] == 0 or best_epoch == 0:
        best_epoch = len(hist["val_acc"])
    kept = best_epoch - 1
    return dict(variant=job["variant"], seed=seed, split_seed=split, knobs=k, finished=True, status=status,
                kept_epoch=best_epoch, kept_val_acc=hist["val_acc"][kept], kept_val_loss=hist["val_loss"][kept],
                epochs_done=len(hist["val_acc"]), **hist, n_train=int(len(tr_y)), n_val=int(len(va_y)),
                batches_per_epoch=train_b.n_batches, shapes=train_b.shapes(), compile_s=round(compile_s, 1),
                seconds=round(time.perf_counter() - t_start, 1), rnn=opts["rnn"], unroll=opts["unroll"],
                batching=opts["batching"])


# ---------------------------------------------------------------- worker process

def worker_main(wid: int, task_q, result_q, opts: dict) -> None:
    import jax

    jax.config.update("jax_default_matmul_precision", opts["precision"])
    if opts["cache_dir"]:
        jax.config.update("jax_compilation_cache_dir", opts["cache_dir"])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    import keras

    assert keras.backend.backend() == "jax", keras.backend.backend()
    if opts["rnn"] == "keras":
        patch_keras_scan(opts["unroll"])
    L = define_layers()
    data_cache: dict = {}
    result_q.put(("ready", wid, None, dict(devices=str(jax.devices()), jax=jax.__version__, keras=keras.__version__)))
    while True:
        job = task_q.get()
        if job is None:
            return
        report = lambda kind, info: result_q.put((kind, wid, job["id"], info))  # noqa: E731
        try:
            rec = run_job(job, opts, data_cache, L, report)
            result_q.put(("done", wid, job["id"], rec))
        except Exception:  # noqa: BLE001 - one failed variant must not end the search
            result_q.put(("error", wid, job["id"], traceback.format_exc()[-3000:]))


# ---------------------------------------------------------------- driver

def summarize(records: list[dict], partial: list[dict], elapsed: float, note: str) -> str:
    by: dict[str, list[dict]] = {}
    for r in records:
        by.setdefault(r["variant"], []).append(r)
    base = by.get("base", [])
    base_by_seed = {r["seed"]: r["kept_val_acc"] for r in base}
    rows = []
    for name, rs in by.items():
        accs = np.array([r["kept_val_acc"] for r in sorted(rs, key=lambda r: r["seed"])])
        sd = float(np.std(accs, ddof=1)) if len(accs) > 1 else float("nan")
        paired = [r["kept_val_acc"] - base_by_seed[r["seed"]] for r in rs if r["seed"] in base_by_seed]
        rows.append((float(accs.mean()), name, len(accs), sd, rs, paired))
    rows.sort(key=lambda r: -r[0])
    ref = REFERENCE["val_acc"]
    out = [f"Validation-only search around the Best preset ({note}); {elapsed:.0f}s elapsed.",
           f"Product reference (TF/CPU) kept val_acc seeds 0,1,2: {ref} mean {np.mean(ref):.4f}.",
           "mean ± sd of the kept epoch's val_acc over finished seeds; Δbase = mean paired difference to base "
           "(same seeds).", "",
           f"{'variant':<13}{'n':>2} {'mean':>7} {'± sd':>7} {'Δbase':>8}  per seed (kept epoch)            s/job"]
    for mean, name, n, sd, rs, paired in rows:
        per = " ".join(f"s{r['seed']}:{r['kept_val_acc']:.4f}(e{r['kept_epoch']})"
                       for r in sorted(rs, key=lambda r: r["seed"]))
        dbase = f"{np.mean(paired):+.4f}" if paired and name != "base" else ""
        secs = np.mean([r["seconds"] for r in rs])
        out.append(f"{name:<13}{n:>2} {mean:7.4f} {sd:7.4f} {dbase:>8}  {per:<36} {secs:5.0f}")
    if partial:
        out += ["", "unfinished (killed at the deadline; not in the table):"]
        out += [f"  {p['variant']} s{p['seed']}: epochs {p.get('val_acc', [])}" for p in partial]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.environ.get("OUT", "."), help="folder for search.jsonl and summary.txt")
    ap.add_argument("--jsonl", default=None, help="jsonl path (default OUT/search.jsonl)")
    ap.add_argument("--budget", type=float, default=430, help="seconds: no job starts that cannot end by then; "
                                                              "running jobs are killed at it")
    ap.add_argument("--workers", type=int, default=10)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma list of variant names")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--split", choices=("fixed0", "per-seed"), default="fixed0",
                    help="fixed0: data split 0 for every model seed (what bench/tune_sentiment.py do)")
    ap.add_argument("--rnn", choices=("fused", "keras"), default="fused")
    ap.add_argument("--unroll", type=int, default=4, help="lax.scan unroll of the recurrent loop")
    ap.add_argument("--buckets", default="128,256", help="padded batch lengths below max_len (max_len is added)")
    ap.add_argument("--batching", choices=("product", "random"), default="product",
                    help="product: explorer.data.buckets length-class batches; random: shuffled fixed-size batches")
    ap.add_argument("--eval-batch", type=int, default=128)
    ap.add_argument("--precision", default="highest", help="jax_default_matmul_precision (highest = true fp32)")
    ap.add_argument("--mem-fraction", type=float, default=0.0, help="per worker (default 0.9 / workers)")
    ap.add_argument("--cache-dir", default="/tmp/jax_cache_search", help="persistent compile cache ('' = off)")
    ap.add_argument("--compile-threads", type=int, default=3)
    ap.add_argument("--n-train", type=int, default=0)
    ap.add_argument("--n-val", type=int, default=0)
    ap.add_argument("--max-len", type=int, default=0, help="override every variant's max_len")
    ap.add_argument("--max-epochs", type=int, default=0, help="override every variant's max_epochs")
    ap.add_argument("--smoke", action="store_true",
                    help="1,000 train / 500 val reviews, max_len 100, 1 epoch, variants base,lstm, 2 workers")
    ap.add_argument("--check-fused", action="store_true", help="compare the fused RNN with Keras' layers and exit")
    args = ap.parse_args()
    if args.smoke:
        args.n_train, args.n_val, args.max_len, args.max_epochs = 1000, 500, 100, 1
        args.buckets = "64"
        if args.variants == ",".join(VARIANTS):
            args.variants = "base,lstm"
        args.workers = 2
    os.environ.setdefault("KERAS_BACKEND", "jax")
    if args.check_fused:
        return check_fused()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jsonl = Path(args.jsonl) if args.jsonl else out / "search.jsonl"
    names = [v for v in args.variants.split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variants: {unknown}")
    seeds = [int(s) for s in args.seeds.split(",")]
    jobs = []
    for seed in seeds:  # seed 0 of every variant first, then seed 1, then seed 2
        for name in names:
            k = {**BASE, **VARIANTS[name]}
            if args.max_len:
                k["max_len"] = args.max_len
            if args.max_epochs:
                k["max_epochs"] = args.max_epochs
                k["patience"] = min(k["patience"], args.max_epochs)
            jobs.append(dict(id=len(jobs), variant=name, seed=seed, knobs=k))
    opts = dict(split=args.split, rnn=args.rnn, unroll=args.unroll, batching=args.batching,
                buckets=[int(b) for b in args.buckets.split(",") if b], eval_batch=args.eval_batch,
                precision=args.precision, cache_dir=args.cache_dir, compile_threads=args.compile_threads,
                n_train=args.n_train, n_val=args.n_val)
    frac = args.mem_fraction or min(0.3, 0.9 / max(1, args.workers))
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] = f"{frac:.3f}"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    note = (f"rnn={args.rnn} unroll={args.unroll} buckets={opts['buckets']}+max_len batching={args.batching} "
            f"split={args.split} precision={args.precision} workers={args.workers}"
            + (f" n_train={args.n_train} n_val={args.n_val}" if args.n_train or args.n_val else "")
            + (f" max_len={args.max_len}" if args.max_len else "") + (f" max_epochs={args.max_epochs}" if args.max_epochs else ""))

    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    log = lambda msg: print(f"[{time.perf_counter() - t0:5.0f}s] {msg}", flush=True)  # noqa: E731
    log(f"{len(jobs)} jobs, {args.workers} workers, budget {args.budget:.0f}s; {note}")
    result_q = ctx.Queue()
    workers, task_qs, busy, started, progress = {}, {}, {}, {}, {}

    def spawn(wid):
        task_qs[wid] = ctx.Queue()
        p = ctx.Process(target=worker_main, args=(wid, task_qs[wid], result_q, opts), daemon=True)
        p.start()
        workers[wid] = p

    for wid in range(min(args.workers, len(jobs))):
        spawn(wid)
    pending = list(jobs)
    records, partial, durations = [], [], {}
    fh = open(jsonl, "a", buffering=1)

    def write(rec):
        fh.write(json.dumps(rec) + "\n")
        fh.flush()
        os.fsync(fh.fileno())

    def write_summary():
        (out / "summary.txt").write_text(summarize(records, partial, time.perf_counter() - t0, note))

    def estimate(job):
        same = durations.get(job["variant"])
        if same:
            return float(np.median(same))
        alls = [s for v in durations.values() for s in v]
        return float(np.median(alls)) if alls else 0.0

    def assign(wid):
        now = time.perf_counter() - t0
        while pending:
            job = pending[0]
            if now + 0.9 * estimate(job) < args.budget:
                pending.pop(0)
                task_qs[wid].put(job)
                busy[wid], started[wid], progress[job["id"]] = job, now, []
                log(f"w{wid} start {job['variant']} s{job['seed']}")
                return
            pending.pop(0)
            log(f"skip {job['variant']} s{job['seed']} (est {estimate(job):.0f}s does not fit)")
        task_qs[wid].put(None)
        busy.pop(wid, None)

    while True:
        elapsed = time.perf_counter() - t0
        if elapsed >= args.budget:
            break
        if not pending and not busy and all(not p.is_alive() or w not in busy for w, p in workers.items()):
            if all(w not in busy for w in workers):
                break
        try:
            kind, wid, job_id, info = result_q.get(timeout=1.0)
        except queue_mod.Empty:
            for wid, p in list(workers.items()):
                if wid in busy and not p.is_alive():
                    job = busy.pop(wid)
                    log(f"w{wid} died during {job['variant']} s{job['seed']} (exit {p.exitcode})")
                    write(dict(variant=job["variant"], seed=job["seed"], knobs=job["knobs"], finished=False,
                               error=f"worker died, exit code {p.exitcode}"))
                    if pending:
                        spawn(wid)
            continue
        if kind == "ready":
            log(f"w{wid} ready: {info}")
            assign(wid)
        elif kind == "epoch":
            job = busy.get(wid)
            progress.setdefault(job_id, []).append(info)
            if job is not None:
                log(f"w{wid} {job['variant']} s{job['seed']} epoch {info['epoch']}: val_acc {info['val_acc']:.4f} "
                    f"val_loss {info['val_loss']:.4f} train_loss {info['train_loss']:.4f} ({info['s']:.1f}s)")
        elif kind == "done":
            info["wall_since_start"] = round(time.perf_counter() - t0, 1)
            records.append(info)
            durations.setdefault(info["variant"], []).append(info["seconds"])
            write(info)
            write_summary()
            log(f"w{wid} DONE {info['variant']} s{info['seed']}: kept epoch {info['kept_epoch']} val_acc "
                f"{info['kept_val_acc']:.4f} (val_loss {info['kept_val_loss']:.4f}; {info['status']}) "
                f"{info['seconds']:.0f}s incl. compile {info['compile_s']:.0f}s")
            assign(wid)
        elif kind == "error":
            job = busy.get(wid)
            log(f"w{wid} ERROR in {job and job['variant']} s{job and job['seed']}:\n{info}")
            if job is not None:
                write(dict(variant=job["variant"], seed=job["seed"], knobs=job["knobs"], finished=False, error=info))
            assign(wid)

    for wid, job in list(busy.items()):
        ep = progress.get(job["id"], [])
        rec = dict(variant=job["variant"], seed=job["seed"], knobs=job["knobs"], finished=False,
                   error="killed at the time budget", val_acc=[e["val_acc"] for e in ep],
                   val_loss=[e["val_loss"] for e in ep], epoch_s=[e["s"] for e in ep])
        partial.append(rec)
        write(rec)
        log(f"w{wid} killed at the budget: {job['variant']} s{job['seed']} after {len(ep)} epoch(s)")
    for wid, p in workers.items():
        if p.is_alive():
            if wid in busy:
                p.kill()
            else:
                try:
                    task_qs[wid].put(None)
                except Exception:  # noqa: BLE001
                    pass
    for p in workers.values():
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
    for job in pending:
        log(f"not run: {job['variant']} s{job['seed']}")
    write_summary()
    fh.close()
    log("summary:\n" + (out / "summary.txt").read_text())


# ---------------------------------------------------------------- equivalence check (CPU is enough)

def check_fused() -> None:
    """The fused layer vs keras.layers.Bidirectional(GRU|LSTM) with the same weights: outputs and gradients."""
    import jax
    import jax.numpy as jnp
    import keras

    jax.config.update("jax_default_matmul_precision", "highest")
    L = define_layers()
    rng = np.random.default_rng(0)
    for cell in ("GRU", "LSTM"):
        for bidir in (True, False):
            k = {**BASE, "cell": cell, "bidirectional": bidir, "vocab": 50, "max_len": 40, "units": 8,
                 "embedding_dim": 6, "word_dropout": 0.0, "dropout": 0.0, "layers": 2}
            keras.backend.clear_session()
            mk = build_model(k, 7, "keras", 1, L)
            mf = build_model(k, 7, "fused", 3, L)
            # initial weights: the same initialisers give the same values
            fw = {v.path: np.asarray(v.value) for v in mf.weights}
            kw = {v.path: np.asarray(v.value) for v in mk.weights}
            # map keras weights into the fused model
            cellname = "gru_cell" if cell == "GRU" else "lstm_cell"
            for i in range(k["layers"]):
                dirs = ["forward", "backward"] if bidir else [None]
                for d, side in enumerate(dirs):
                    for name in ("kernel", "recurrent_kernel", "bias"):
                        src = (f"bi_rnn_{i}/{side}_rnn_{i}/{cellname}/{name}" if bidir
                               else f"rnn_{i}/{cellname}/{name}")
                        dst = f"rnn_{i}/{name}_{d}"
                        assert np.allclose(fw[dst], kw[src]), f"init differs: {dst} vs {src}"
                        fw[dst] = kw[src]
            for name in ("embedding/embeddings", "head/kernel", "head/bias"):
                fw[name] = kw[name]
            for v in mf.weights:
                v.assign(fw[v.path])
            lengths = rng.integers(1, 41, 16)
            x = np.zeros((16, 40), np.int32)
            for r, n in enumerate(lengths):
                x[r, 40 - n:] = rng.integers(1, 50, n)  # front padding
            y = (rng.random(16) > 0.5).astype(np.float32)
            pk, pf = np.asarray(mk(x)), np.asarray(mf(x))

            def grads(m):
                tv = [v.value for v in m.trainable_variables]
                ntv = [v.value for v in m.non_trainable_variables]

                def f(tv):
                    p, _ = m.stateless_call(tv, ntv, x, training=True)
                    p = jnp.clip(p[:, 0], EPS, 1 - EPS)
                    return jnp.mean(-(y * jnp.log(p) + (1 - y) * jnp.log(1 - p)))
                g = jax.grad(f)(tv)
                return {v.path: np.asarray(gi) for v, gi in zip(m.trainable_variables, g)}
            gk, gf = grads(mk), grads(mf)
            gdiff = max(float(np.max(np.abs(gk[n] - gf[n]))) for n in ("embedding/embeddings", "head/kernel"))
            print(f"{cell} bidirectional={bidir} 2 layers: max |p_keras - p_fused| = {np.max(np.abs(pk - pf)):.2e}, "
                  f"max grad diff (embedding, head) = {gdiff:.2e}; initial weights equal")
            assert np.max(np.abs(pk - pf)) < 1e-5 and gdiff < 1e-5


if __name__ == "__main__":
    main()
