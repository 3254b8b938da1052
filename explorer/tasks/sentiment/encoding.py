"""Reviews turned into model inputs: subset, validation held out, the pipeline fitted on the training part only."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from explorer.data.imdb import ImdbData, Reviews, split_validation, subset, validation_grouping
from explorer.data.text_pipeline import TextConfig, TextPipeline
from explorer.tasks.sentiment.presets import DataConfig


@dataclass
class Encoded:
    """A dataset turned into model inputs by one fitted pipeline (ids uint16 when the vocabulary fits)."""

    pipeline: TextPipeline
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_texts: list[str] = field(default_factory=list)
    validation: str = ""  # how the validation reviews were held out, in one plain sentence


@dataclass
class Parts:
    """The reviews of a run before encoding: training, validation (held out from training) and test."""

    train: Reviews
    val: Reviews
    test: Reviews
    validation: str


def split_parts(data: ImdbData, data_cfg: DataConfig = DataConfig()) -> Parts:
    """Subset both splits and hold validation out of the training reviews (grouped by movie when known)."""
    part = subset(data, data_cfg.n_train, data_cfg.n_test, data_cfg.seed)
    train, val = split_validation(part.train, data_cfg.val_fraction, data_cfg.seed)
    return Parts(train, val, part.test, validation_grouping(part.train)[1])


def compact(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """uint16 ids when the vocabulary fits (half the memory of int32), else int32."""
    return ids.astype(np.uint16 if vocab_size <= np.iinfo(np.uint16).max + 1 else np.int32)


def encode_dataset(data: ImdbData, text_cfg: TextConfig, data_cfg: DataConfig = DataConfig(),
                   pipeline: Optional[TextPipeline] = None) -> Encoded:
    """Subset, hold out validation, adapt the pipeline on the training part only, encode all three."""
    parts = split_parts(data, data_cfg)
    pipeline = pipeline or TextPipeline.fit(parts.train.texts, text_cfg)

    def enc(reviews: Reviews) -> np.ndarray:
        return compact(pipeline.encode(reviews.texts), pipeline.vocab_size)

    return Encoded(pipeline, enc(parts.train), parts.train.labels.astype(np.float32), enc(parts.val),
                   parts.val.labels.astype(np.float32), enc(parts.test), parts.test.labels.astype(np.float32),
                   parts.test.texts, parts.validation)
