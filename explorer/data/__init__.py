"""Data sources (synthetic series, CSV, IMDB) and the windowing that turns a series into samples."""
