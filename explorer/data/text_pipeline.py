"""Text → token ids: one Keras `TextVectorization`, adapted on training texts only.

The same `TextPipeline` encodes the training reviews, the test reviews and a review
someone types (never refitted), so a typed review gets exactly the ids the model
learned. Ids: 0 = padding, 1 = out-of-vocabulary ("[UNK]"), 2… = words by training
frequency; `vocab_size` counts all of them (it is the Embedding's input size).

Padding side reproduces the two standard Keras recipes:
- ``front`` = `keras.utils.pad_sequences` defaults (padding and truncating 'pre'):
  zeros go before the review and a long review keeps its LAST `max_len` words, so
  the words right before the prediction are real words. A plain RNN learns this way.
- ``end`` = `TextVectorization(output_sequence_length=…)`: a long review keeps its
  FIRST `max_len` words and zeros follow. Without a mask the RNN reads up to hundreds
  of zeros last and forgets the review (vanishing gradients; see the gradient heatmap).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

PADDINGS = ("front", "end")
PAD, OOV = 0, 1
# Keras' own punctuation set ('lower_and_strip_punctuation'), used after removing HTML line breaks.
_PUNCT = r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']'
_BR = r"<\s*br\s*/?\s*>"


@dataclass(frozen=True)
class TextConfig:
    """How texts become fixed-length id sequences."""

    vocab_size: int = 10_000
    max_len: int = 200
    padding: str = "front"  # front | end (see module docstring)
    mask: bool = False  # Embedding(mask_zero=True): the RNN skips padding


def text_problems(cfg: TextConfig) -> list[str]:
    """Plain-language reasons a text config cannot be used; empty when it can."""
    out = []
    if not 100 <= cfg.vocab_size <= 100_000:
        out.append("Use a vocabulary of 100 to 100,000 words.")
    if not 5 <= cfg.max_len <= 2_000:
        out.append("Use a maximum length of 5 to 2,000 words.")
    if cfg.padding not in PADDINGS:
        out.append(f"Padding must be one of {', '.join(PADDINGS)}.")
    return out


def standardize(texts):
    """Lower-case, turn '<br />' into spaces, strip punctuation (a TF op, also used by Keras)."""
    import tensorflow as tf

    x = tf.strings.lower(texts)
    x = tf.strings.regex_replace(x, _BR, " ")
    return tf.strings.regex_replace(x, _PUNCT, "")


class TextPipeline:
    """A fitted vocabulary plus the padding rules; `encode` turns texts into (n, max_len) int32."""

    def __init__(self, cfg: TextConfig, vocabulary: Sequence[str]):
        import keras

        problems = text_problems(cfg)
        if problems:
            raise ValueError(" ".join(problems))
        self.cfg = cfg
        vocab = list(vocabulary)
        if vocab[:2] == ["", "[UNK]"]:
            vocab = vocab[2:]
        self.layer = keras.layers.TextVectorization(
            max_tokens=cfg.vocab_size, standardize=standardize, split="whitespace",
            output_mode="int", ragged=True, vocabulary=vocab or ["the"])
        self._vocab = [str(w) for w in self.layer.get_vocabulary()]

    # ---- building
    @classmethod
    def fit(cls, texts: Sequence[str], cfg: TextConfig = TextConfig()) -> "TextPipeline":
        """Adapt the vocabulary on `texts` (the TRAINING texts only)."""
        import keras
        import tensorflow as tf

        problems = text_problems(cfg)
        if problems:
            raise ValueError(" ".join(problems))
        if len(texts) == 0:
            raise ValueError("There are no training texts to build a vocabulary from.")
        layer = keras.layers.TextVectorization(max_tokens=cfg.vocab_size, standardize=standardize,
                                               split="whitespace", output_mode="int")
        layer.adapt(tf.data.Dataset.from_tensor_slices(list(texts)).batch(1024))
        return cls(cfg, layer.get_vocabulary())

    # ---- vocabulary
    @property
    def vocabulary(self) -> list[str]:
        """Index → word; [0] is '' (padding), [1] is '[UNK]'."""
        return list(self._vocab)

    @property
    def vocab_size(self) -> int:
        """Size of the id space (≤ cfg.vocab_size when the texts have fewer distinct words)."""
        return len(self._vocab)

    def save(self, path: str | os.PathLike) -> None:
        """Write the config and vocabulary as JSON, so a saved model can be reused with it."""
        Path(path).write_text(json.dumps({"config": asdict(self.cfg), "vocabulary": self._vocab}), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TextPipeline":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(TextConfig(**data["config"]), data["vocabulary"])

    # ---- encoding
    def ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Unpadded, untruncated ids of each text."""
        flat, lengths = self._ragged(texts)
        ends = np.cumsum(lengths)
        return [flat[e - n:e] for e, n in zip(ends, lengths)]

    def _ragged(self, texts: Sequence[str], chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        import tensorflow as tf

        flats, lens = [], []
        for i in range(0, len(texts), chunk):
            rt = self.layer(tf.constant(list(texts[i:i + chunk]), dtype=tf.string))
            flats.append(rt.flat_values.numpy().astype(np.int32))
            lens.append(rt.row_lengths().numpy())
        if not flats:
            return np.zeros(0, np.int32), np.zeros(0, np.int64)
        return np.concatenate(flats), np.concatenate(lens)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, max_len) int32 ids, padded and truncated on the configured side."""
        flat, lengths = self._ragged(texts)
        return pad(flat, lengths, self.cfg.max_len, self.cfg.padding)

    def words(self, text: str) -> list[str]:
        """The words of `text` after standardization, one per id of `ids([text])[0]`."""
        import tensorflow as tf

        tokens = tf.strings.split(standardize(tf.constant([text])))[0].numpy()
        return [t.decode("utf-8", errors="replace") for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Ids → words (padding dropped, OOV shown as '[UNK]')."""
        return [self._vocab[i] for i in ids if i != PAD]


def pad(flat: np.ndarray, lengths: np.ndarray, max_len: int, padding: str = "front") -> np.ndarray:
    """Pack ragged rows (concatenated in `flat`) into (n, max_len): front = keep the end, end = keep the start."""
    lengths = np.asarray(lengths, dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    cols = np.arange(max_len)[None, :]
    if padding == "front":
        src = ends[:, None] - max_len + cols
        valid = src >= starts[:, None]
    elif padding == "end":
        src = starts[:, None] + cols
        valid = src < ends[:, None]
    else:
        raise ValueError(f"Padding must be one of {', '.join(PADDINGS)}.")
    if flat.size == 0:
        return np.zeros((len(lengths), max_len), np.int32)
    return np.where(valid, flat[np.clip(src, 0, flat.size - 1)], PAD).astype(np.int32)
