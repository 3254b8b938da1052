"""The sentiment task: presets, encoding, scoring one review and its views, evaluation, the run."""
