"""Floor 3, training: the training loop, run statuses, the runner contract and the store of trained models."""
