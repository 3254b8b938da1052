"""The gradient lab: set-ups, theory, per-architecture training, NumPy cells, verdicts, the lag sweep."""
