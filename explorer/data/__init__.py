"""Floor 1, data: sources (synthetic series, CSV, IMDB), text encoding, windows and batches, number formatting."""
