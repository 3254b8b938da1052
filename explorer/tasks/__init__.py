"""Floor 6, the three tasks the pages teach: time series, sentiment and the gradient lab."""
