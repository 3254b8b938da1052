#!/usr/bin/env python3
"""Try one variant of a sentiment preset on all of IMDB; append its VALIDATION accuracy per epoch to bench/tuning.jsonl.

    .venv/bin/python bench/tune_sentiment.py quick '{"embedding_dim": 32}' '{"vocab_size": 10000}' ['{}' [epochs [seed]]]

Arguments: the preset (quick | best), then JSON overrides of its ModelConfig, TextConfig and
TrainConfig, then how many epochs to train (default: the preset's + 1, with early stopping off,
so every epoch's validation accuracy is logged), then the seed. With '{"embedding_init": "cooccurrence"}',
TUNE_START_SD_X=3 sets the word vectors' spread in units of Keras' own start (explorer.nn.word_vectors).

Selection procedure (issue 18): variants are compared on a validation split carved from the
training reviews only (`explorer.data.imdb.split_validation`: by movie when the copy has
urls_*.txt, else in blocks of neighbouring review ids, and each line says which). This script
never reads the test reviews. The test set is scored once per chosen preset, over 3 seeds, by
bench/bench_sentiment.py. The lines written before this rule are in
bench/tuning-history-test-in-view.jsonl, kept as history only.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

OUT = Path(__file__).resolve().parent / "tuning.jsonl"


def validate(setup, data) -> dict:
    """Train `setup` as the page does, scoring nothing but the validation reviews; per-epoch figures."""
    from explorer.tasks.sentiment import run as sentiment_run

    run = sentiment_run.prepare_run(data, setup)
    marks = []
    c0, w0 = time.process_time(), time.perf_counter()

    def sink(event):
        if event.kind == "epoch":
            marks.append((time.process_time() - c0, time.perf_counter() - w0))

    result = sentiment_run.fit(run, sink=sink)
    cpu = [b[0] - a[0] for a, b in zip([(0.0, 0.0)] + marks, marks)]
    wall = [b[1] - a[1] for a, b in zip([(0.0, 0.0)] + marks, marks)]
    h = result.history
    return dict(val_acc=[round(v, 4) for v in h.get("val_accuracy", [])],
                val_loss=[round(v, 4) for v in h.get("val_loss", [])],
                cpu_s_per_epoch=[round(c, 1) for c in cpu], wall_s_per_epoch=[round(w, 1) for w in wall],
                n_train=int(len(run.enc.y_train)), n_val=int(len(run.enc.y_val)), validation=run.enc.validation,
                status=result.status, best_epoch=result.best_epoch)


def _peak_mib() -> float:
    """This process's peak resident memory (the kernel's VmHWM), MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> dict:
    from explorer.data import imdb
    from explorer.server import settings
    from explorer.tasks.sentiment.presets import PRESETS

    preset = argv[0]
    model_kw, text_kw, train_kw = (json.loads(argv[i]) if len(argv) > i else {} for i in (1, 2, 3))
    base = PRESETS[preset]
    epochs = int(argv[4]) if len(argv) > 4 else base.train.epochs + 1
    seed = int(argv[5]) if len(argv) > 5 else base.train.seed
    setup = replace(base, model=replace(base.model, **model_kw), text=replace(base.text, **text_kw),
                    train=replace(base.train, **{"patience": 0, **train_kw}, epochs=epochs, seed=seed))
    if os.environ.get("TUNE_START_SD_X"):  # co-occurrence word vectors' sd, in units of Keras' own start
        from explorer.nn import word_vectors
        word_vectors.START_SD = float(os.environ["TUNE_START_SD_X"]) * word_vectors.KERAS_SD
        model_kw = {**model_kw, "start_sd_x_keras": float(os.environ["TUNE_START_SD_X"])}
    data = imdb.load_imdb(configured=settings.load().imdb)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures = validate(setup, data)
    line = dict(date=started, preset=preset, model=model_kw, text=text_kw, **({"train": train_kw} if train_kw else {}),
                epochs=epochs, seed=seed, **figures, peak_rss_mib=round(_peak_mib()),
                load_avg_5min=round(os.getloadavg()[1], 1))  # 2 cores shared: CPU-s and wall-s move with the load
    with OUT.open("a") as fh:
        fh.write(json.dumps(line) + "\n")
    return line


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
