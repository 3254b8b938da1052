"""The time-series task: period and forecast, the run a page submits, checks on a series."""
