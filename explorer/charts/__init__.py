"""Floor 5, figures: Plotly builders, pure functions from arrays to figures."""
