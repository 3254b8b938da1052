#!/usr/bin/env python3
"""Try one variant of a sentiment preset on all of IMDB; append its per-epoch accuracies to bench/tuning.jsonl.

    .venv/bin/python bench/tune_sentiment.py quick '{"embedding_dim": 32}' '{"vocab_size": 10000}' ['{}' [epochs]]

Arguments: the preset (quick | best), then JSON overrides of its ModelConfig, TextConfig and
TrainConfig, then how many epochs to train (default: the preset's + 1, so one run also shows one
epoch more; early stopping is off so that every epoch is scored).
The run is the bench's (`bench_sentiment._train_config`): the page's path, test accuracy after
every epoch on every test review. Presets were chosen by validation accuracy, not test
accuracy; the lines in tuning.jsonl are the evidence (≈ 2 min a quick variant, ≈ 10 min a best one).
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sentiment as bench  # noqa: E402  (puts the repository on sys.path)

OUT = Path(__file__).resolve().parent / "tuning.jsonl"


def main(argv: list[str]) -> dict:
    from explorer.sentiment import PRESETS

    preset = argv[0]
    model_kw, text_kw, train_kw = (json.loads(argv[i]) if len(argv) > i else {} for i in (1, 2, 3))
    base = PRESETS[preset]
    epochs = int(argv[4]) if len(argv) > 4 else base.train.epochs + 1
    # One epoch "as the page runs it" plus the rest as extra epochs: the bench then scores the test set after each.
    setup = replace(base, model=replace(base.model, **model_kw), text=replace(base.text, **text_kw),
                    train=replace(base.train, **train_kw, epochs=1, patience=0))
    data, _ = bench._load()
    _, _, f = bench._train_config(data, dict(name=preset, setup=setup, target=0, extra_epochs=epochs - 1), quick=False)
    line = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), preset=preset, model=model_kw, text=text_kw,
                **({"train": train_kw} if train_kw else {}),
                val_acc=[round(v, 4) for v in f["val"]], test_acc=[round(a, 4) for a in f["per_epoch_test"] or [f["accuracy"]]],
                n_test=f["n_test"], cpu_s_per_epoch=round(f["cpu_per_epoch"], 1))
    with OUT.open("a") as fh:
        fh.write(json.dumps(line) + "\n")
    return line


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
