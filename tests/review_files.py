"""A test tool: reviews written as the text,label CSV that `explorer.data.imdb.read_csv` reads back."""
import io

import pandas as pd

from explorer.data.imdb import Reviews


def to_csv_bytes(reviews: Reviews) -> bytes:
    """The reviews as a text,label CSV (what `read_csv` reads back)."""
    buf = io.StringIO()
    pd.DataFrame({"text": reviews.texts, "label": reviews.labels.astype(int)}).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")

