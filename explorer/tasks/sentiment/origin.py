"""Where a sentiment run's reviews came from (the aclImdb dataset or a CSV of labelled texts) and how its
validation reviews were held out: what the run's exported script needs to read the same reviews."""
from __future__ import annotations

from dataclasses import dataclass

from explorer.data.imdb import validation_grouping

ACLIMDB, CSV = "aclImdb", "csv"


@dataclass(frozen=True)
class ReviewSource:
    """Where a run's reviews came from: the aclImdb dataset, or a CSV of labelled texts (its columns, file name).

    `grouping` is how validation was held out of the training reviews (`explorer.data.imdb.validation_grouping`):
    "movie", "id-blocks" or "random"."""

    kind: str = ACLIMDB
    grouping: str = "id-blocks"
    text_column: str = "text"
    label_column: str = "label"
    split_column: str = ""
    file_name: str = "reviews.csv"


def review_source(data) -> ReviewSource:
    """The `ReviewSource` of loaded reviews (`explorer.data.imdb.ImdbData`)."""
    grouping = validation_grouping(data.train)[0]
    if data.train.ids is not None:
        return ReviewSource(ACLIMDB, grouping)
    text, label, split = (tuple(data.columns) + ("text", "label", ""))[:3]
    return ReviewSource(CSV, grouping, text, label, split, data.file_name or "reviews.csv")


def stored_source(validation: str) -> ReviewSource:
    """The source of a model in the store (trained on the server's aclImdb copy), from its validation sentence."""
    return ReviewSource(ACLIMDB, "movie" if "grouped by movie" in validation else "id-blocks")
