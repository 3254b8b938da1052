"""Floor 2, the networks: configs, the model builder, word vectors, the pool of built models and batched prediction."""
